"""Metrics on analytic fixtures and against independent implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from incumbent.evaluation import metrics as M

# --- independent implementations (deliberately naive: loops, no shared code) ----------


def km_eer_reference(genuine, impostor):
    """Literal port of the rule in K&M's evaluation-script.R, on anomaly scores.

    Anomaly = -score; ROCR cut-offs at +inf and every distinct anomaly value; an input is
    flagged when anomaly >= cut-off. miss = impostors not flagged, FA = genuine flagged.
    """
    anomaly_g, anomaly_i = -np.asarray(genuine), -np.asarray(impostor)
    cuts = [np.inf, *sorted(set(np.r_[anomaly_g, anomaly_i]), reverse=True)]
    miss = np.array([np.mean(anomaly_i < c) for c in cuts])
    fa = np.array([np.mean(anomaly_g >= c) for c in cuts])
    d = miss - fa
    idx1 = np.flatnonzero(d == d[d >= 0].min())
    idx2 = np.flatnonzero(d == d[d < 0].max())
    assert len(idx1) == 1 and len(idx2) == 1 and abs(idx1[0] - idx2[0]) == 1
    x = (miss[idx1[0]], fa[idx1[0]])
    y = (miss[idx2[0]], fa[idx2[0]])
    a = (x[0] - x[1]) / (y[1] - x[1] - y[0] + x[0])
    return x[0] + a * (y[0] - x[0])


def rocch_eer_reference(genuine, impostor):
    """Brute force: the smallest value at which a mixture of two ROC points has FMR = FNMR.

    Any point of the ROC convex hull is such a mixture, and the hull's crossing of the
    diagonal is the lowest crossing among all mixtures.
    """
    fpr, tpr, _ = roc_curve(np.r_[np.ones(len(genuine)), np.zeros(len(impostor))],
                            np.r_[genuine, impostor], drop_intermediate=False)  # fmt: skip
    pts = np.c_[fpr, 1 - tpr]  # (FMR, FNMR)
    best = 1.0
    for p in pts:
        for q in pts:
            dp, dq = p[0] - p[1], q[0] - q[1]
            if dp == dq:
                if dp == 0:
                    best = min(best, p[0])
                continue
            lam = dq / (dq - dp)  # lam*p + (1-lam)*q on the diagonal
            if 0 <= lam <= 1:
                best = min(best, lam * p[0] + (1 - lam) * q[0])
    return best


# --- analytic fixtures -----------------------------------------------------------------


def test_perfect_separation():
    g, i = [3.0, 4.0, 5.0], [0.0, 1.0, 2.0]
    assert M.eer_km(g, i) == 0.0
    assert M.eer_rocch(g, i) == 0.0
    assert M.zero_miss_far(g, i) == 0.0
    assert M.fnmr_at_fmr(g, i, 0.01) == 0.0
    assert M.roc_auc(g, i) == 1.0


def test_fully_inverted():
    g, i = [0.0, 1.0], [2.0, 3.0]
    assert M.eer_km(g, i) == 1.0
    assert M.zero_miss_far(g, i) == 1.0
    assert M.roc_auc(g, i) == 0.0


def test_one_overlap_interpolates_halfway():
    # genuine 1,3 ; impostor 0,2: ROC points (FMR,FNMR): (0,1) (0,.5) (.5,.5) (.5,0) (1,0)
    # (0.5, 0.5) lies on the diagonal -> EER = 0.5 exactly; hull skips it -> 0.25.
    g, i = [1.0, 3.0], [0.0, 2.0]
    assert M.eer_km(g, i) == pytest.approx(0.5)
    assert M.eer_rocch(g, i) == pytest.approx(0.25)
    assert M.zero_miss_far(g, i) == pytest.approx(0.5)
    assert M.roc_auc(g, i) == pytest.approx(0.75)


def test_interpolation_between_two_points():
    # genuine 2,3,4 ; impostor 1,2.5 -> points around the diagonal (0,1/3) and (1/2,1/3)
    g, i = [2.0, 3.0, 4.0], [1.0, 2.5]
    thr, fmr, fnmr = M.roc(g, i)
    assert list(fmr) == [0, 0, 0, 0.5, 0.5, 1.0]
    assert np.allclose(fnmr, [1, 2 / 3, 1 / 3, 1 / 3, 0, 0])
    # crossing on segment (0, 1/3) -> (1/2, 1/3): FMR = FNMR = 1/3
    assert M.eer_km(g, i) == pytest.approx(1 / 3)


def test_ties_are_accepted_together():
    thr, fmr, fnmr = M.roc([1.0, 1.0], [1.0, 0.0])
    assert list(thr) == [np.inf, 1.0, 0.0]
    assert list(fmr) == [0.0, 0.5, 1.0] and list(fnmr) == [1.0, 0.0, 0.0]
    assert M.roc_auc([1.0, 1.0], [1.0, 0.0]) == pytest.approx(0.75)


def test_fnmr_at_fmr_uses_most_lenient_allowed_threshold():
    g = np.arange(100, dtype=float)  # 0..99
    i = np.r_[np.full(98, -1.0), 50.5, 80.5]  # 100 impostors, two of them high
    assert M.fnmr_at_fmr(g, i, 0.005) == pytest.approx(0.81)  # none allowed: accept > 80.5
    assert M.fnmr_at_fmr(g, i, 0.01) == pytest.approx(0.51)  # one allowed: accept > 50.5
    assert M.fnmr_at_fmr(g, i, 0.02) == pytest.approx(0.0)  # both allowed: accept all genuine


def test_rejects_nan_and_empty():
    with pytest.raises(ValueError, match="finite"):
        M.eer_km([np.nan, 1.0], [0.0])
    with pytest.raises(ValueError, match="need genuine"):
        M.eer_km([], [0.0])


# --- against the independent implementations on random scores ---------------------------


@pytest.mark.parametrize("seed", range(25))
def test_against_independent_implementations(seed):
    rng = np.random.default_rng(seed)
    n_g, n_i = rng.integers(5, 60, size=2)
    g = rng.normal(1.0, 1.0, n_g)
    i = rng.normal(0.0, 1.0, n_i)
    if seed % 3 == 0:  # coarse scores: many ties
        g, i = np.round(g, 1), np.round(i, 1)
    assert M.eer_km(g, i) == pytest.approx(km_eer_reference(g, i), abs=1e-12)
    assert M.eer_rocch(g, i) == pytest.approx(rocch_eer_reference(g, i), abs=1e-12)
    assert M.eer_rocch(g, i) <= M.eer_km(g, i) + 1e-12
    labels = np.r_[np.ones(n_g), np.zeros(n_i)]
    assert M.roc_auc(g, i) == pytest.approx(roc_auc_score(labels, np.r_[g, i]))
    fpr, tpr, _ = roc_curve(labels, np.r_[g, i], drop_intermediate=False)
    _, fmr, fnmr = M.roc(g, i)
    assert np.allclose(fmr, fpr) and np.allclose(fnmr, 1 - tpr)
    assert M.zero_miss_far(g, i) == pytest.approx(1 - tpr[fpr == 0].max())


def test_per_subject_and_aggregate():
    scores = pd.DataFrame(
        {
            "subject": ["a"] * 4 + ["b"] * 4,
            "label": [1, 1, 0, 0] * 2,
            "score": [3, 4, 1, 2, 1, 3, 0, 2],
        }
    )
    table = M.per_subject(scores)
    assert list(table["subject"]) == ["a", "b"]
    assert list(table["eer"]) == pytest.approx([0.0, 0.5])
    agg = M.aggregate(table)
    assert agg["eer_mean"] == pytest.approx(0.25)
    assert agg["eer_sd"] == pytest.approx(np.std([0.0, 0.5], ddof=1))


@pytest.mark.parametrize("seed", range(20))
def test_sampled_roc_matches_direct_counts(seed):
    rng = np.random.default_rng(seed)
    g, i = np.round(rng.normal(1, 1, 40), 1), np.round(rng.normal(0, 1, 60), 1)
    n_points = int(rng.integers(2, 40))
    thr, fmr, fnmr = M.roc(g, i, n_points=n_points)
    assert thr.size == n_points + 1 and thr[0] == np.inf
    assert thr[1] == max(g.max(), i.max()) and thr[-1] == min(g.min(), i.min())
    for t, a, b in zip(thr, fmr, fnmr, strict=True):
        assert a == np.mean(i >= t) and b == pytest.approx(np.mean(g < t), abs=1e-12)


def test_sampled_roc_of_constant_scores():
    thr, fmr, fnmr = M.roc([1.0, 1.0], [1.0], n_points=5)
    assert list(fmr) == [0, 1, 1, 1, 1, 1] and list(fnmr) == [1, 0, 0, 0, 0, 0]


EVERY_METRIC = {
    "roc": M.roc,
    "roc_sampled": lambda g, i: M.roc(g, i, n_points=5),
    "det": M.det,
    "eer_km": M.eer_km,
    "eer_rocch": M.eer_rocch,
    "zero_miss_far": M.zero_miss_far,
    "fnmr_at_fmr": lambda g, i: M.fnmr_at_fmr(g, i, 0.01),
    "roc_auc": M.roc_auc,
}


@pytest.mark.parametrize("name", EVERY_METRIC)
def test_every_metric_rejects_an_empty_side_and_non_finite_scores(name):
    metric = EVERY_METRIC[name]
    with pytest.raises(ValueError, match="need genuine and impostor scores, got 0 and 2"):
        metric([], [0.0, 1.0])
    with pytest.raises(ValueError, match="need genuine and impostor scores, got 2 and 0"):
        metric([0.0, 1.0], [])
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="finite"):
            metric([0.0, bad, 1.0], [0.5])
        with pytest.raises(ValueError, match="finite"):
            metric([0.5], [0.0, bad, 1.0])


@pytest.mark.parametrize("seed", range(3))
def test_many_hull_candidates_and_small_chunks_agree_with_references(seed, monkeypatch):
    # > 62 hull candidates: the vectorised pruning passes run (not only the monotone chain)
    rng = np.random.default_rng(100 + seed)
    g, i = rng.normal(0.3, 1.0, 200), rng.normal(0.0, 1.0, 200)
    if seed == 2:
        g, i = np.round(g, 1), np.round(i, 1)  # ties
    rocch, km = rocch_eer_reference(g, i), km_eer_reference(g, i)
    labels = np.r_[np.ones(g.size), np.zeros(i.size)]
    fpr, tpr, _ = roc_curve(labels, np.r_[g, i], drop_intermediate=False)
    from incumbent.evaluation import curves

    for chunk in (curves.CHUNK, 7):  # the O(n) passes in several chunks give the same answer
        monkeypatch.setattr(M, "CHUNK", chunk)
        monkeypatch.setattr(curves, "CHUNK", chunk)
        assert M.eer_rocch(g, i) == pytest.approx(rocch, abs=1e-12)
        assert M.eer_km(g, i) == pytest.approx(km, abs=1e-12)
        _, fmr, fnmr = M.roc(g, i)
        assert np.allclose(fmr, fpr) and np.allclose(fnmr, 1 - tpr)
        _, fmr5, fnmr5 = M.roc(g, i, n_points=5)
        assert fmr5[0] == 0.0 and fmr5[-1] == 1.0 and np.all(np.diff(fmr5) >= 0)


def test_per_subject_fnmr_is_at_one_percent_fmr():
    g = np.arange(100, dtype=float)
    i = np.r_[np.full(98, -1.0), 50.5, 80.5]  # see test_fnmr_at_fmr_uses_most_lenient...
    scores = pd.DataFrame({"subject": "s", "label": np.r_[np.ones(100), np.zeros(100)],
                           "score": np.r_[g, i]})  # fmt: skip
    row = M.per_subject(scores).iloc[0]
    assert row["fnmr_at_fmr_1pct"] == pytest.approx(M.fnmr_at_fmr(g, i, 0.01)) == 0.51
