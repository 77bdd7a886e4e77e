"""The killourhy2009 split: 200 train / 200 genuine / 250 impostor per subject, no overlap."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synthetic_cmu_frame

from incumbent.data.cards import Dataset
from incumbent.data.loaders.cmu_dsl import official_columns
from incumbent.protocols.killourhy2009 import Killourhy2009


def make_dataset(n_subjects=51):
    frame = synthetic_cmu_frame(n_subjects=n_subjects).rename(columns={"sessionIndex": "session"})
    # shuffle rows: the protocol must not rely on file order
    frame = frame.sample(frac=1.0, random_state=0).reset_index(drop=True)
    frame["row_id"] = np.arange(len(frame))
    return Dataset("synthetic", frame, official_columns()[3:] + ["row_id"], "x")


def test_counts_and_disjointness():
    ds = make_dataset()
    splits = list(Killourhy2009().splits(ds))
    assert len(splits) == 51
    f = ds.frame.set_index("row_id")
    for sp in splits:
        assert sp.train.shape == (200, 32)
        assert sp.genuine.shape == (200, 32)
        assert sp.impostor.shape == (250, 32)
        tr, ge, im = (set(a[:, -1].astype(int)) for a in (sp.train, sp.genuine, sp.impostor))
        assert not (tr & ge) and not (tr & im) and not (ge & im)
        assert set(f.loc[list(tr), "session"]) == {1, 2, 3, 4}
        assert set(f.loc[list(ge), "session"]) == {5, 6, 7, 8}
        imp = f.loc[list(im)]
        assert (imp["session"] == 1).all() and (imp["rep"] <= 5).all()
        assert sp.subject not in set(imp["subject"])
        assert imp.groupby("subject").size().eq(5).all() and imp["subject"].nunique() == 50
        assert list(sp.impostor_subjects) == list(f.loc[sp.impostor[:, -1].astype(int), "subject"])


def test_first_200_are_in_time_order():
    ds = make_dataset(n_subjects=3)
    sp = next(Killourhy2009().splits(ds))
    f = ds.frame.set_index("row_id").loc[sp.train[:, -1].astype(int)]
    order = list(zip(f["session"], f["rep"], strict=True))
    assert order == sorted(order)


def test_too_few_samples_is_a_clear_error():
    ds = make_dataset(n_subjects=3)
    ds.frame = ds.frame[~((ds.frame["subject"] == "s003") & (ds.frame["session"] > 4))]
    with pytest.raises(ValueError, match="subject s003 has 200 samples.*needs more than 200"):
        list(Killourhy2009().splits(ds))
