"""incumbent.evaluate / incumbent.compare on synthetic data (the installed-kit test runs them
on the real CMU data from outside the checkout)."""

from __future__ import annotations

import numpy as np
import pytest
from incumbent.baselines.distance import ScaledManhattan
from sklearn.base import BaseEstimator

import incumbent
from incumbent.gate import compare as cmp

SYNTHETIC = ["dataset.loader._target_=conftest.synthetic_dataset", "~dataset.loader.data_dir"]


class Centroid:
    """Not a scikit-learn estimator (no get_params): only usable through a factory."""

    def fit(self, X):
        self.mean = np.asarray(X).mean(axis=0)
        return self

    def score_samples(self, X):
        return -np.abs(np.asarray(X) - self.mean).sum(axis=1)


class Noisy(BaseEstimator):
    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        return self

    def score_samples(self, X):
        return np.random.default_rng(self.random_state).normal(size=len(X))


def test_evaluate_writes_a_normal_record_and_resumes(tmp_path):
    rec = incumbent.evaluate(ScaledManhattan(), overrides=SYNTHETIC, results_dir=tmp_path)
    assert rec["baseline"] == "scaled_manhattan" and not rec.get("_skipped")
    assert rec["_path"].startswith(str(tmp_path / "synthetic_cmu" / "killourhy2009-v1"))
    assert rec["config"]["baseline"]["estimator"]["class"].endswith("distance.ScaledManhattan")
    again = incumbent.evaluate(ScaledManhattan(), overrides=SYNTHETIC, results_dir=tmp_path)
    assert again["_skipped"] and again["run_id"] == rec["run_id"]
    other = incumbent.evaluate(ScaledManhattan(), overrides=SYNTHETIC, results_dir=tmp_path,
                               n_impostor_reps=3)  # fmt: skip
    assert other["protocol"]["params"]["n_impostor_reps"] == 3


def test_a_factory_and_the_seed_reach_the_estimator(tmp_path):
    rec = incumbent.evaluate(Centroid, name="centroid", overrides=SYNTHETIC, results_dir=tmp_path)
    assert rec["metrics"]["eer_mean"] < 0.05  # synthetic subjects are well separated
    assert rec["provenance"]["outside_code"][0]["module"].endswith("test_api")
    a = incumbent.evaluate(Noisy(), overrides=SYNTHETIC, results_dir=tmp_path, seed=1)
    b = incumbent.evaluate(Noisy(), overrides=SYNTHETIC, results_dir=tmp_path, seed=2)
    assert a["per_subject"] != b["per_subject"]


def test_compare_returns_the_gates_verdict(tmp_path):
    good = incumbent.evaluate(ScaledManhattan(), overrides=SYNTHETIC, results_dir=tmp_path)
    noise = incumbent.evaluate(Noisy(), overrides=SYNTHETIC, results_dir=tmp_path)
    v = incumbent.compare(noise, against=good["_path"], n_resamples=1000)
    c = cmp.compare(noise, [good], n_resamples=1000)
    assert (v.exit_code, v.outcome) == (c.exit_code, "FAIL") == (cmp.EXIT_NO_WIN, "FAIL")
    assert v.delta == pytest.approx(c.versus[0].result.mean_delta) and v.delta > 0.2
    assert v.ci[0] <= v.delta <= v.ci[1] and v.p == c.versus[0].p_holm
    assert list(v.guards["flag"]) == ["REGRESSES"] * 3 and "FAIL" in str(v)
    win = incumbent.compare(good, against=[noise], n_resamples=1000)
    assert (win.outcome, win.exit_code) == ("PASS", cmp.EXIT_WIN)
