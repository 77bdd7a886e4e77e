"""The generic fixed-text protocol, its per-dataset config, and the cross-dataset table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from incumbent import ROOT
from incumbent.data.cards import Dataset
from incumbent.protocols.fixed_text import FixedText
from incumbent.protocols.killourhy2009 import Killourhy2009
from incumbent.reports import cross_dataset
from tests.conftest import synthetic_cmu_frame


def cmu_dataset(n_subjects=4):
    from incumbent.data.loaders.cmu_dsl import official_columns

    raw = synthetic_cmu_frame(n_subjects=n_subjects)
    frame = raw.rename(columns={"sessionIndex": "session"})
    # shuffle rows: the protocol must order by (session, rep), not trust file order
    frame = frame.sample(frac=1, random_state=0).reset_index(drop=True)
    return Dataset("synthetic_cmu", frame, official_columns()[3:], "0" * 64)


def small_dataset(n_subjects=5, per_subject=10):
    rng = np.random.default_rng(1)
    rows = [
        {"subject": f"u{s}", "session": 1, "rep": r + 1, "f0": s * 100 + r, "f1": rng.normal()}
        for s in range(n_subjects)
        for r in range(per_subject)
    ]
    return Dataset("small", pd.DataFrame(rows), ["f0", "f1"], "0" * 64)


def test_equals_killourhy2009_on_cmu_layout():
    ds = cmu_dataset()
    generic = list(FixedText(200, 200, 5).splits(ds))
    km = list(Killourhy2009(200, 5).splits(ds))
    assert len(generic) == len(km) == 4
    for a, b in zip(generic, km, strict=True):
        assert a.subject == b.subject
        for part in ("train", "genuine", "impostor", "impostor_subjects"):
            np.testing.assert_array_equal(getattr(a, part), getattr(b, part))


def test_split_counts_order_and_no_overlap():
    ds = small_dataset(n_subjects=5, per_subject=10)
    splits = list(FixedText(n_enroll=4, n_genuine_test=3, n_impostor_per_subject=2).splits(ds))
    assert [s.subject for s in splits] == [f"u{k}" for k in range(5)]
    for k, sp in enumerate(splits):
        # f0 = subject*100 + (rep-1): identifies every sample
        assert sp.train[:, 0].tolist() == [k * 100 + r for r in range(4)]
        assert sp.genuine[:, 0].tolist() == [k * 100 + r for r in range(4, 7)]
        assert len(sp.impostor) == 2 * 4 and f"u{k}" not in set(sp.impostor_subjects)
        assert sorted(sp.impostor[:, 0] % 100) == [0, 0, 0, 0, 1, 1, 1, 1]
        assert not set(sp.train[:, 0]) & set(sp.genuine[:, 0])


def test_genuine_none_takes_the_rest():
    ds = small_dataset(per_subject=10)
    sp = next(FixedText(n_enroll=6, n_genuine_test=None).splits(ds))
    assert len(sp.train) == 6 and len(sp.genuine) == 4


def test_too_few_samples_fails_clearly():
    ds = small_dataset(per_subject=10)
    ds.frame = ds.frame[~((ds.frame["subject"] == "u3") & (ds.frame["rep"] > 8))]
    with pytest.raises(ValueError, match=r"small: subject u3 has 8 samples.*needs at least 10"):
        list(FixedText(5, 5, 5).splits(ds))


@pytest.mark.parametrize(
    "bad", [{"n_enroll": 0}, {"n_enroll": 2.5}, {"n_impostor_per_subject": -1}]
)
def test_invalid_params(bad):
    kw = {"n_enroll": 5, "n_genuine_test": 5, "n_impostor_per_subject": 5, **bad}
    with pytest.raises(ValueError, match="must be a positive integer"):
        FixedText(**kw)


def test_versioned_and_params_recorded():
    p = FixedText(5, 5, 5)
    assert p.describe() == {
        "name": "fixed_text",
        "version": 1,
        "params": {"n_enroll": 5, "n_genuine_test": 5, "n_impostor_per_subject": 5},
    }


@pytest.mark.parametrize(
    "dataset, expected",
    [
        ("cmu_dsl", (200, 200, 5)),
        ("greyc_nislab", (5, 5, 5)),
        ("keystroke100", (5, 5, 5)),
        ("meu_mobile_ksd", (25, 26, 5)),
    ],
)
def test_protocol_defaults_come_from_the_dataset_config(dataset, expected):
    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        cfg = compose("config", overrides=[f"dataset={dataset}", "protocol=fixed_text"])
    from hydra.utils import instantiate

    p = instantiate(cfg.protocol)
    assert (p.n_enroll, p.n_genuine_test, p.n_impostor_per_subject) == expected
    # the per-dataset default fits what the card says each subject holds
    from incumbent.data.cards import read_card

    card = read_card(dataset)
    assert expected[0] + expected[1] <= card["samples_per_subject"]


def test_experiment_selects_fixed_text_baselines(tmp_path):
    conf = tmp_path / "baseline"
    conf.mkdir()
    (conf / "a.yaml").write_text("name: a\n")
    (conf / "b.yaml").write_text("name: b\ninput: fixed_text\n")
    (conf / "mouse.yaml").write_text("name: mouse\ninput: mouse_blocks\n")
    (conf / "cmu_only.yaml").write_text("name: cmu_only\n")
    assert cross_dataset.fixed_text_baselines(["cmu_only"], conf) == ["a", "b"]
    with pytest.raises(ValueError, match="do not exist"):
        cross_dataset.fixed_text_baselines(["gone"], conf)
    with initialize_config_dir(str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(
            "config", overrides=["experiment=fixed_text_cross_dataset"], return_hydra_config=True
        )
    names = cfg.hydra.sweeper.params.baseline.split(",")
    assert {"euclidean", "manhattan", "mahalanobis", "manhattan_scaled"} <= set(names)
    assert not set(cfg.cross_dataset.exclude) & set(names)
    assert cfg.hydra.sweeper.params.dataset.split(",") == [
        "cmu_dsl", "greyc_nislab", "keystroke100", "meu_mobile_ksd"
    ]  # fmt: skip
    assert cfg.protocol._target_.endswith("FixedText")


def fake_sweep(tmp_path):
    """A sweep folder as run.py leaves it: job_status.json per job, records elsewhere."""
    sweep_dir = tmp_path / "sweep"
    eers = {("cmu_dsl", "good"): [0.1, 0.2, 0.3], ("keystroke100", "good"): [0.0, 0.2],
            ("cmu_dsl", "bad"): [0.4, 0.4]}  # fmt: skip
    jobs = [("cmu_dsl", "good"), ("keystroke100", "good"), ("cmu_dsl", "bad"),
            ("keystroke100", "bad")]  # fmt: skip
    for k, (ds, bl) in enumerate(jobs):
        job = sweep_dir / str(k)
        job.mkdir(parents=True)
        status = {"job": k, "overrides": [f"dataset={ds}", f"baseline={bl}"]}
        if (ds, bl) in eers:
            e = np.array(eers[ds, bl])
            rec = {
                "schema": 1, "run_id": f"r{k}", "baseline": bl, "seed": 0, "git": {},
                "metrics": {"eer_mean": e.mean(), "eer_sd": e.std(ddof=1)},
                "dataset": {"name": ds, "subjects": len(eers[ds, bl])},
                "protocol": {"name": "fixed_text", "version": 1, "params": {"n_enroll": 5},
                             "primary_metric": "eer"},
                "per_subject": [{"subject": str(i), "eer": e} for i, e in enumerate(eers[ds, bl])],
            }  # fmt: skip
            path = tmp_path / f"r{k}.json"
            path.write_text(json.dumps(rec))
            status.update(status="ok", record=str(path))
        else:
            status.update(status="failed", error="ValueError: k-means needs k <= samples")
        (job / "job_status.json").write_text(json.dumps(status))
    return sweep_dir


def test_leaderboard_from_sweep_records(tmp_path):
    sweep_dir = fake_sweep(tmp_path)
    text, out = cross_dataset.write(sweep_dir, tmp_path / "results", exclude=["cmu_only"])
    assert out[0].read_text() == text == out[1].read_text()
    lines = text.splitlines()
    good = next(ln for ln in lines if ln.startswith("| good"))
    bad = next(ln for ln in lines if ln.startswith("| bad"))
    assert lines.index(good) < lines.index(bad)  # sorted by mean over datasets
    assert "0.2000 [0.100, 0.300]" in good and "0.1000 [0.000, 0.200]" in good
    assert "n/a (ValueError: k-means needs k <= samples)" in bad
    assert "0.4000 (1 of 2 datasets)" in bad
    assert "`cmu_only`" in text and "fixed_text v1" in text
