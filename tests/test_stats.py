"""Statistics on constructed data where the answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from incumbent.evaluation import stats


def test_identical_systems_ci_covers_zero_and_p_is_one():
    a = np.random.default_rng(1).uniform(0.02, 0.3, 51)
    r = stats.paired(a, a.copy())
    assert r.mean_delta == 0
    assert r.ci[0] <= 0 <= r.ci[1]
    assert r.p == 1.0


def test_noise_only_differences_are_not_significant():
    rng = np.random.default_rng(7)
    base = rng.uniform(0.05, 0.2, 60)
    r = stats.paired(base + rng.normal(0, 0.01, 60), base)
    assert r.ci[0] < 0 < r.ci[1]
    assert r.p > 0.05


def test_shifted_system_is_detected():
    rng = np.random.default_rng(3)
    base = rng.uniform(0.05, 0.2, 40)
    r = stats.paired(base - 0.02 + rng.normal(0, 0.005, 40), base)
    assert r.mean_delta == pytest.approx(-0.02, abs=0.003)
    assert r.ci[1] < 0  # CI excludes 0 on the improving side
    assert r.ci[0] < -0.02 < r.ci[1]
    assert r.p < 1e-6


def test_wilcoxon_exact_value():
    # all 5 differences positive: exact two-sided p = 2 * (1/2)^5 = 0.0625
    assert stats.wilcoxon_p([1, 2, 3, 4, 5]) == pytest.approx(0.0625)
    assert stats.wilcoxon_p([0, 0, 0]) == 1.0


def test_holm_known_values():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([0.2]) == pytest.approx([0.2])


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    v = np.random.default_rng(0).normal(1.0, 0.3, 50)
    assert stats.bootstrap_ci(v, seed=4) == stats.bootstrap_ci(v, seed=4)
    lo, hi = stats.bootstrap_ci(v, n_resamples=2000)
    se = v.std(ddof=1) / np.sqrt(v.size)
    assert lo < v.mean() < hi
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_paired_rejects_unpaired_input():
    with pytest.raises(ValueError, match="equal-length"):
        stats.paired([0.1, 0.2, 0.3], [0.1, 0.2])


def test_bootstrap_ci_matches_the_normal_approximation_on_both_sides():
    v = np.random.default_rng(5).normal(0.0, 1.0, 400)
    lo, hi = stats.bootstrap_ci(v, n_resamples=20000, ci=0.90, seed=1)
    half = 1.6449 * v.std() / np.sqrt(v.size)  # z(0.95) * standard error (ddof 0)
    assert v.mean() - lo == pytest.approx(half, rel=0.04)
    assert hi - v.mean() == pytest.approx(half, rel=0.04)


def test_bootstrap_resamples_every_subject_including_the_first():
    # only the first subject differs: a resampler that skips it gives (0, 0)
    lo, hi = stats.bootstrap_ci([1.0] + [0.0] * 9, n_resamples=2000, seed=0)
    assert lo == 0.0 and 0.2 <= hi <= 0.4
    lo, hi = stats.bootstrap_ci([0.0] * 9 + [1.0], n_resamples=2000, seed=0)
    assert lo == 0.0 and 0.2 <= hi <= 0.4


def test_paired_defaults_are_recorded():
    r = stats.paired([0.1, 0.2, 0.3], [0.2, 0.2, 0.2])
    assert (r.n_resamples, r.seed, r.n) == (2000, 0, 3)
    assert r.ci == stats.paired([0.1, 0.2, 0.3], [0.2, 0.2, 0.2], 2000, 0).ci


def test_bootstrap_defaults():
    v = np.random.default_rng(2).normal(0, 1, 30)
    assert stats.bootstrap_ci(v) == stats.bootstrap_ci(v, n_resamples=2000, ci=0.95, seed=0)
    assert stats.bootstrap_ci(v) != stats.bootstrap_ci(v, n_resamples=2001, ci=0.95, seed=0)
