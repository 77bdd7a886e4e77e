"""typenet_open_set protocol on a synthetic free-text dataset (per-sentence rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from incumbent.baselines.digraph_manhattan import DigraphScaledManhattan
from incumbent.baselines.gunetti_picardi import GunettiPicardi, a_distance, r_distance
from sklearn.base import BaseEstimator

from incumbent.data.cards import Dataset
from incumbent.protocols.typenet_open_set import _CACHE, TypeNetOpenSet


def synthetic_free_text(n_subjects=30, sessions=15, keys=40, noise=0.15, seed=0) -> Dataset:
    """Each subject has its own per-digraph speed; sentences draw keys from 12 codes."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        speed = rng.uniform(80, 300, size=(12, 12))
        hold = rng.uniform(60, 140)
        for k in range(sessions):
            codes = rng.integers(0, 12, keys)
            gaps = speed[codes[:-1], codes[1:]] * rng.lognormal(0, noise, keys - 1)
            press = np.r_[0, np.cumsum(gaps)].astype(np.int64) + 10**12
            rows.append({"subject": str(s + 1), "session": 1000 * s + k, "order": k,
                         "n_keys": keys, "press": press,
                         "release": press + int(hold), "keycode": (codes + 65).astype(np.int16)})  # fmt: skip
    return Dataset(name="synthetic_free_text", frame=pd.DataFrame(rows), features=[], checksum="x")


class Recorder(BaseEstimator):
    """Embedding = (subject-free) row index; records what the protocol passes."""

    def fit(self, sequences, subjects):
        self.n_fit_ = len(sequences)
        self.fit_lengths_ = {len(s["press"]) for s in sequences}
        return self

    def transform(self, sequences):
        self.lengths_ = {len(s["press"]) for s in sequences}
        return np.array([[s["press"][0]] for s in sequences], dtype=np.float64)

    def score_gallery(self, gallery, queries):
        self.gallery_sizes_ = getattr(self, "gallery_sizes_", set()) | {len(gallery)}
        return -np.abs(queries[:, 0] - gallery[:, 0].mean())


@pytest.fixture(autouse=True)
def _no_cross_test_cache():
    _CACHE.clear()


def test_split_is_seeded_disjoint_and_sized():
    ds = synthetic_free_text()
    p = TypeNetOpenSet(n_train=18, n_eval=12, split_seed=3)
    train, evals, excluded = p.split_subjects(ds)
    assert len(train) == 18 and len(evals) == 12 and not set(train) & set(evals)
    assert (train, evals) == p.split_subjects(ds)[:2]
    assert TypeNetOpenSet(n_train=18, n_eval=12, split_seed=4).split_subjects(ds)[0] != train
    assert excluded == []


def test_scores_table_counts_gallery_and_truncation():
    ds = synthetic_free_text()
    est = Recorder()
    p = TypeNetOpenSet(n_train=20, n_eval=10, gallery_size=7, sequence_length=25)
    scores = p.run(ds, lambda: est, progress=False)
    per = scores.groupby("subject")["label"].agg(["sum", "size"])
    assert (per["sum"] == 5).all() and (per["size"] == 5 + 9).all()
    assert est.n_fit_ == 20 * 15 and est.fit_lengths_ == {40}  # training sequences whole
    assert est.lengths_ == {25}  # evaluation sequences truncated to M
    assert est.gallery_sizes_ == {7}
    imp = scores[scores.label == 0]
    assert (imp["probe_subject"] != imp["subject"]).all()
    m = p.extra_metrics(scores)
    assert {"eer_global", "fnmr_at_fmr_1pct_global", "n_train_subjects"} <= set(m)
    assert m["n_train_subjects"] == 20


def test_gallery_and_queries_must_not_overlap():
    with pytest.raises(ValueError, match="overlap"):
        TypeNetOpenSet(gallery_size=11).split_subjects(synthetic_free_text())


def test_ga_distances_on_known_cases():
    a = np.array([100.0, 200, 300, np.nan])
    same_order = np.array([[110.0, 210, 330, 50]])
    reversed_ = np.array([[300.0, 200, 100, np.nan]])
    assert r_distance(a, same_order)[0] == 0
    assert r_distance(a, reversed_)[0] == pytest.approx(4 / 4)  # disorder 4, max (9-1)/2
    assert a_distance(a, same_order, t=1.25)[0] == 0
    assert a_distance(a, reversed_, t=1.25)[0] == pytest.approx(2 / 3)
    assert r_distance(a, np.array([[np.nan, np.nan, 1.0, 1.0]]))[0] == 1.0  # < 2 shared


@pytest.mark.parametrize("make", [DigraphScaledManhattan,
                                  lambda: GunettiPicardi(measure="RA", max_ngraphs=500)])  # fmt: skip
def test_classical_baselines_separate_subjects_and_improve_with_gallery(make):
    ds = synthetic_free_text(noise=0.4)
    eers = {}
    for g in (1, 5):
        _CACHE.clear()
        p = TypeNetOpenSet(n_train=10, n_eval=20, gallery_size=g, sequence_length=40)
        scores = p.run(ds, make, progress=False)
        eers[g] = p.extra_metrics(scores)["eer_global"]
    assert eers[5] < 0.25
    assert eers[5] < eers[1]


def test_gallery_plus_queries_may_use_every_session_and_no_more():
    ds = synthetic_free_text(n_subjects=4, sessions=10)
    kw = {"n_train": 2, "n_eval": 2, "n_queries": 5, "sessions": 10, "impostor_session": 9}
    p = TypeNetOpenSet(gallery_size=5, **kw)
    assert len(p.split_subjects(ds)[0]) == 2  # 5 + 5 = 10 sessions: allowed
    with pytest.raises(ValueError, match=r"(exceeds|must not exceed) (10 )?sessions"):
        TypeNetOpenSet(
            n_train=2, n_eval=2, gallery_size=6, n_queries=5, sessions=10
        ).split_subjects(ds)


def test_sequences_take_the_first_sessions_only():
    ds = synthetic_free_text(n_subjects=3, sessions=12)
    p = TypeNetOpenSet(n_train=2, n_eval=1, gallery_size=2, n_queries=2, sessions=10,
                       impostor_session=9)  # fmt: skip
    seqs = p._sequences(ds, ["2", "1"], m=7)
    assert len(seqs) == 2 * 10  # orders 0-9 of each subject, not 10 or 11
    first = ds.frame[(ds.frame["subject"] == "2") & (ds.frame["order"] == 0)].iloc[0]
    assert np.array_equal(seqs[0]["press"], first["press"][:7])  # subjects in the given order
    assert all(len(s["press"]) == 7 and len(s["keycode"]) == 7 for s in seqs)
    assert all(set(s) == {"press", "release", "keycode"} and len(s["release"]) == 7 for s in seqs)
