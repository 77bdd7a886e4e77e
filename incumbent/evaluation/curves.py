"""ROC and DET curves of (genuine, impostor) scores, and the score checks and exact
(FMR, FNMR)-at-a-threshold that every metric in :mod:`incumbent.evaluation.metrics`
shares. Pure functions, with that module's conventions: higher = more genuine, a score
``>= t`` is accepted at threshold ``t`` (ties are accepted), and the ROC is evaluated at
every distinct score plus +inf (ROCR's cut-offs, as K&M's ``evaluation-script.R``)."""

from __future__ import annotations

import numpy as np


def as_arrays(genuine, impostor) -> tuple[np.ndarray, np.ndarray]:
    g = np.asarray(genuine, dtype=np.float64).ravel()
    i = np.asarray(impostor, dtype=np.float64).ravel()
    if g.size == 0 or i.size == 0:
        raise ValueError(f"need genuine and impostor scores, got {g.size} and {i.size}")
    if not (np.isfinite(g).all() and np.isfinite(i).all()):
        raise ValueError("scores must be finite (found NaN or inf)")
    return g, i


def sorted_scores(genuine, impostor) -> tuple[np.ndarray, np.ndarray]:
    """Sorted float64 copies of both score sets, checked as in :func:`as_arrays`."""
    g = np.sort(np.asarray(genuine, dtype=np.float64).ravel())
    i = np.sort(np.asarray(impostor, dtype=np.float64).ravel())
    if g.size == 0 or i.size == 0:
        raise ValueError(f"need genuine and impostor scores, got {g.size} and {i.size}")
    # NaN sorts last and +-inf to the ends, so the two ends of each array check it all
    if not (np.isfinite(g[[0, -1]]).all() and np.isfinite(i[[0, -1]]).all()):
        raise ValueError("scores must be finite (found NaN or inf)")
    return g, i


def rates_at_sorted(g: np.ndarray, i: np.ndarray, t: float) -> tuple[float, float]:
    """(fmr, fnmr) at threshold ``t``, with the same float operations as :func:`roc`."""
    acc_i = i.size - int(np.searchsorted(i, t, "left"))
    acc_g = g.size - int(np.searchsorted(g, t, "left"))
    return float(np.float64(acc_i) / i.size), float(1.0 - np.float64(acc_g) / g.size)


CHUNK = 1 << 20  # bounds the temporaries of the O(n) passes


def roc(genuine, impostor, n_points: int | None = None):
    """(thresholds, fmr, fnmr) at +inf and at every distinct score, thresholds descending.

    At threshold +inf nothing is accepted (fmr = 0, fnmr = 1); at the lowest score
    everything is accepted (fmr = 1, fnmr = 0). With ``n_points``, the curve is sampled
    instead at +inf and ``n_points`` evenly spaced thresholds from the highest to the
    lowest score (as ``bob.measure.roc``): O(n) time, O(n_points) memory, for plotting
    millions of scores.
    """
    if n_points is not None:
        return _sampled_roc(genuine, impostor, n_points)
    g, i = sorted_scores(genuine, impostor)
    merged = np.concatenate([g, i])
    merged.sort(kind="stable")  # two sorted runs: timsort merges them in O(n)
    last = np.empty(merged.size, bool)  # last of each run of equal scores
    np.not_equal(merged[1:], merged[:-1], out=last[:-1])
    last[-1] = True
    thr = np.empty(int(last.sum()) + 1)
    thr[0] = np.inf
    thr[1:] = merged[last][::-1]
    del merged, last
    fmr, fnmr = np.empty_like(thr), np.empty_like(thr)
    fmr[0], fnmr[0] = 0.0, 1.0
    for lo in range(1, thr.size, CHUNK):
        t = thr[lo : lo + CHUNK]
        fmr[lo : lo + t.size] = (i.size - np.searchsorted(i, t, "left")) / i.size
        fnmr[lo : lo + t.size] = 1.0 - (g.size - np.searchsorted(g, t, "left")) / g.size
    return thr, fmr, fnmr


def _sampled_roc(genuine, impostor, n_points: int):
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2, got {n_points}")
    g, i = as_arrays(genuine, impostor)
    hi, lo = max(g.max(), i.max()), min(g.min(), i.min())
    thr = np.empty(n_points + 1)
    thr[0] = np.inf
    thr[1:] = np.linspace(hi, lo, n_points)
    thr[1], thr[-1] = hi, lo  # exact ends: the top score is accepted first, all at the end
    step = (hi - lo) / (n_points - 1) if hi > lo else 1.0

    def accepted(a: np.ndarray) -> np.ndarray:
        hist = np.zeros(n_points + 1, np.int64)  # by each score's first accepting index
        for start in range(0, a.size, CHUNK):
            s = a[start : start + CHUNK]
            k = np.clip(np.ceil((hi - s) / step).astype(np.int64) + 1, 1, n_points)
            k += thr[k] > s  # rounding in the division: move to the exact first index
            k -= (k > 1) & (thr[np.maximum(k - 1, 1)] <= s)
            hist += np.bincount(k, minlength=n_points + 1)
        return np.cumsum(hist)

    fmr = accepted(i) / i.size
    fnmr = 1.0 - accepted(g) / g.size
    return thr, fmr, fnmr


def det(genuine, impostor, n_points: int | None = None):
    """DET curve: (thresholds, probit(fmr), probit(fnmr)) at the :func:`roc` points.

    The normal deviate scale of Martin et al. (Eurospeech 1997), as ``bob.measure.det``;
    rates of 0 and 1 map to -inf and +inf.
    """
    from scipy.special import ndtri

    thr, fmr, fnmr = roc(genuine, impostor, n_points)
    return thr, ndtri(fmr, out=fmr), ndtri(fnmr, out=fnmr)
