"""A-priori thresholds: analytic fixtures and scikit-learn's roc_curve as the reference."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from incumbent.evaluation import metrics
from incumbent.evaluation.thresholds import TARGETS, apriori, hter_at, rates_at, threshold_for


def test_separable_scores_eer_threshold_is_the_lowest_genuine():
    g, i = [3.0, 4.0, 5.0], [0.0, 1.0, 2.0]
    # every cut-off in (2, 3] gives FMR = FNMR = 0; the candidates are scores: 3.0
    assert threshold_for(g, i, "eer") == 3.0
    assert rates_at(g, i, 3.0) == (0.0, 0.0)


def test_ties_are_accepted():
    g, i = [1.0, 2.0], [1.0, 0.0]
    assert rates_at(g, i, 1.0) == (0.5, 0.0)  # the impostor at 1.0 gets in, the genuine too
    assert rates_at(g, i, 1.0 + 1e-9) == (0.0, 0.5)
    assert hter_at(g, i, 1.0) == 0.25


def test_eer_tie_between_cut_offs_takes_the_stricter():
    # cut-offs (FMR, FNMR): inf (0, 1), 3 (0, .5), 2 (1, .5), 1 (1, 0): |gap| .5 at 3 and 2
    g, i = [3.0, 1.0], [2.0]
    assert threshold_for(g, i, "eer") == 3.0
    assert rates_at(g, i, 3.0) == (0.0, 0.5)


def test_fmr_target_is_the_most_lenient_within_bound():
    g = np.arange(100, 200, dtype=float)
    i = np.arange(0, 200, 2, dtype=float)  # 100 impostors, 0..198
    # FMR <= 1 %: at most one impostor (198) accepted -> lowest such cut-off is 197
    # (a genuine score, just above impostor 196)
    t = threshold_for(g, i, "fmr1")
    assert t == 197.0
    assert rates_at(g, i, t) == (0.01, 0.97)
    t0 = threshold_for(g, i, "fmr0.1")  # no impostor: above 198 -> 199
    assert t0 == 199.0 and rates_at(g, i, t0)[0] == 0.0


def test_fmr_target_with_no_possible_cut_off_is_inf():
    g, i = [1.0], [5.0]
    assert threshold_for(g, i, "fmr1") == np.inf
    assert rates_at(g, i, np.inf) == (0.0, 1.0)


def _sklearn_threshold(g, i, target):
    """Reference written from sklearn's ROC (score >= threshold is positive)."""
    y = np.r_[np.ones(len(g)), np.zeros(len(i))]
    fpr, tpr, thr = roc_curve(y, np.r_[g, i], drop_intermediate=False)
    fnmr = 1 - tpr
    if TARGETS[target] is None:
        gap = np.abs(fpr - fnmr)
        return thr[np.flatnonzero(np.isclose(gap, gap.min(), rtol=0, atol=1e-12))[0]]
    return thr[np.flatnonzero(fpr <= TARGETS[target] + 1e-12)[-1]]


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("target", list(TARGETS))
def test_matches_sklearn_roc_curve(seed, target):
    rng = np.random.default_rng(seed)
    # rounded scores: plenty of ties across and within the two classes
    g = np.round(rng.normal(1.0, 1.0, 300 + seed), 1)
    i = np.round(rng.normal(-0.5, 1.0, 1500), 1)
    t = threshold_for(g, i, target)
    assert t == _sklearn_threshold(g, i, target)
    fmr, fnmr = rates_at(g, i, t)
    assert fmr == pytest.approx(np.mean(i >= t)) and fnmr == pytest.approx(np.mean(g < t))


@pytest.mark.parametrize("seed", range(5))
def test_fmr_threshold_agrees_with_fnmr_at_fmr(seed):
    rng = np.random.default_rng(seed)
    g, i = rng.normal(1, 1, 400), rng.normal(0, 1, 2000)
    for target, bound in (("fmr1", 0.01), ("fmr0.1", 0.001)):
        t = threshold_for(g, i, target)
        assert rates_at(g, i, t)[1] == pytest.approx(metrics.fnmr_at_fmr(g, i, bound), abs=1e-15)


def test_apriori_reports_evaluation_rates_at_development_threshold():
    dev_g, dev_i = [3.0, 4.0, 5.0], [0.0, 1.0, 2.0]
    eval_g, eval_i = [2.5, 3.5, 4.5, 5.5], [2.9, 3.0, 0.0, 1.0]
    out = apriori(dev_g, dev_i, eval_g, eval_i)
    assert out["eer"]["threshold"] == 3.0
    assert out["eer"]["fmr"] == 0.25  # 3.0 is accepted (tie)
    assert out["eer"]["fnmr"] == 0.25  # 2.5 rejected
    assert out["eer"]["hter"] == 0.25


def test_unknown_target_and_bad_scores_are_refused():
    with pytest.raises(ValueError, match="unknown target"):
        threshold_for([1.0], [0.0], "fmr5")
    with pytest.raises(ValueError, match="finite"):
        rates_at([np.nan], [0.0], 0.0)
