"""Metrics of Monaco & Tappert (Pattern Recognition 2018), as pure functions.

* :func:`eer_roc_crossing`: the EER where the ROC polyline (FAR, FRR at every distinct
  score, scores cast to float32 as the authors do) crosses FAR = FRR, found at the first
  ROC point (thresholds ascending) with FAR <= FRR and interpolated linearly from the
  point before it. A score is accepted when it is >= the threshold (scikit-learn's
  ``roc_curve``; dropping collinear points, as ``drop_intermediate`` does, cannot move
  the crossing). Ties therefore enter together.
* :func:`min_max_per_query`: each query's scores over all reference models mapped to
  [0, 1] (the verification scores the ROC uses).
* :func:`penalty` / :func:`max_rejection_time`: the continuous-verification rule of
  section 5.3: per event, the rank of each model among all models (0 = best, ties
  averaged); penalty = sum of the last ``window`` ranks; a model is rejected at the
  first event whose penalty exceeds the threshold; the threshold of a query sample is
  the largest penalty its own user's model reaches on it (no false rejection).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def eer_roc_crossing(labels, scores) -> float:
    """EER of one ROC (labels 1 = genuine, 0 = impostor; higher score = genuine)."""
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float32).astype(np.float64)
    if y.all() or not y.any():
        raise ValueError("need genuine and impostor scores")
    thr = np.unique(s)  # ascending
    n_g, n_i = y.sum(), (~y).sum()
    g, i = np.sort(s[y]), np.sort(s[~y])
    far = (n_i - np.searchsorted(i, thr, "left")) / n_i  # impostors accepted (s >= t)
    frr = np.searchsorted(g, thr, "left") / n_g  # genuine rejected (s < t)
    far = np.r_[far, 0.0]  # threshold above every score: nothing accepted
    frr = np.r_[frr, 1.0]
    k = int(np.flatnonzero(far <= frr)[0])
    if k == 0:
        return float(far[0])
    a0, a1, b0, b1 = far[k - 1], far[k], frr[k - 1], frr[k]
    t = (b0 - a0) / ((a1 - a0) - (b1 - b0))
    return float(a0 + t * (a1 - a0))


def min_max_per_query(raw: np.ndarray) -> np.ndarray:
    """``raw`` (n_models, n_queries) -> each column scaled to [0, 1]."""
    lo, hi = raw.min(axis=0, keepdims=True), raw.max(axis=0, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    return (raw - lo) / span


def penalty(event_scores: np.ndarray, window: int = 25) -> np.ndarray:
    """``event_scores`` (n_models, n_queries, n_events) -> rolling rank sums, same shape."""
    rank = rankdata(-event_scores, axis=0, method="average") - 1.0
    c = np.cumsum(rank, axis=2)
    out = c.copy()
    out[:, :, window:] = c[:, :, window:] - c[:, :, :-window]
    return out


def max_rejection_time(event_scores: np.ndarray, genuine_model: np.ndarray,
                       window: int = 25) -> np.ndarray:  # fmt: skip
    """MRT (n_models, n_queries): 0-based index of the first event whose penalty exceeds
    the query's threshold, or the number of events if none does. ``genuine_model[q]``
    is the row of query ``q``'s own user (its MRT is the sample length by construction)."""
    p = penalty(event_scores, window)
    q = np.arange(p.shape[1])
    thresh = p[genuine_model, q].max(axis=1)  # (n_queries,)
    over = p > thresh[None, :, None]
    return np.where(over.any(axis=2), over.argmax(axis=2), p.shape[2])
