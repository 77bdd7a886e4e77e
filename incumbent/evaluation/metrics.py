"""Verification metrics as pure functions of (genuine, impostor) scores.

Conventions, shared by every function here:

* A score means "higher = more genuine". A sample is **accepted** at threshold ``t``
  when ``score >= t`` (ties are accepted).
* FMR(t) = fraction of impostor scores accepted (K&M's "miss": an impostor gets in).
  FNMR(t) = fraction of genuine scores rejected (K&M's "false alarm": the user is
  flagged). These follow ISO/IEC 19795-1.
* The ROC is evaluated at every distinct score plus +inf, exactly the cut-offs that
  ROCR (used by Killourhy & Maxion's ``evaluation-script.R``) produces.

Two EER estimators are offered because papers differ:

* :func:`eer_km` -- Killourhy & Maxion (DSN 2009), ``evaluation-script.R``: take the
  two adjacent ROC points between which miss - false-alarm changes sign and
  interpolate linearly to the point where they are equal.
* :func:`eer_rocch` -- EER on the ROC convex hull, as ``bob.measure.eer_rocch``
  (Brümmer & du Preez, "The PAV algorithm optimizes binary proper scoring rules",
  2013; bob.measure documentation): the intersection of the lower-left convex hull
  of the (FMR, FNMR) points with the line FMR = FNMR.

All functions run in O(n log n) on numpy arrays and allocate O(n); the EERs need
about one sorted copy of the scores (see ``experiments/bench_metrics.py``).
"""

from __future__ import annotations

import numpy as np


def _as_arrays(genuine, impostor) -> tuple[np.ndarray, np.ndarray]:
    g = np.asarray(genuine, dtype=np.float64).ravel()
    i = np.asarray(impostor, dtype=np.float64).ravel()
    if g.size == 0 or i.size == 0:
        raise ValueError(f"need genuine and impostor scores, got {g.size} and {i.size}")
    if not (np.isfinite(g).all() and np.isfinite(i).all()):
        raise ValueError("scores must be finite (found NaN or inf)")
    return g, i


def _sorted_scores(genuine, impostor) -> tuple[np.ndarray, np.ndarray]:
    """Sorted float64 copies of both score sets, checked as in :func:`_as_arrays`."""
    g = np.sort(np.asarray(genuine, dtype=np.float64).ravel())
    i = np.sort(np.asarray(impostor, dtype=np.float64).ravel())
    if g.size == 0 or i.size == 0:
        raise ValueError(f"need genuine and impostor scores, got {g.size} and {i.size}")
    # NaN sorts last and +-inf to the ends, so the two ends of each array check it all
    if not (np.isfinite(g[[0, -1]]).all() and np.isfinite(i[[0, -1]]).all()):
        raise ValueError("scores must be finite (found NaN or inf)")
    return g, i


def _point(g: np.ndarray, i: np.ndarray, t: float) -> tuple[float, float]:
    """(fmr, fnmr) at threshold ``t``, with the same float operations as :func:`roc`."""
    acc_i = i.size - int(np.searchsorted(i, t, "left"))
    acc_g = g.size - int(np.searchsorted(g, t, "left"))
    return float(np.float64(acc_i) / i.size), float(1.0 - np.float64(acc_g) / g.size)


def _last_true(a: np.ndarray, pred) -> int:
    """Largest index j with ``pred(a[j])``, for ``pred`` true on a prefix of ``a``; -1 if none."""
    lo, hi = 0, a.size  # invariant: pred true below lo, false from hi on
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(a[mid]):
            lo = mid + 1
        else:
            hi = mid
    return lo - 1


def _next_above(g: np.ndarray, i: np.ndarray, t: float) -> float:
    """The smallest score above ``t`` (the previous ROC threshold), +inf if none."""
    out = np.inf
    for a in (g, i):
        j = int(np.searchsorted(a, t, "right"))
        if j < a.size:
            out = min(out, float(a[j]))
    return out


_CHUNK = 1 << 20  # bounds the temporaries of the O(n) passes


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
    g, i = _sorted_scores(genuine, impostor)
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
    for lo in range(1, thr.size, _CHUNK):
        t = thr[lo : lo + _CHUNK]
        fmr[lo : lo + t.size] = (i.size - np.searchsorted(i, t, "left")) / i.size
        fnmr[lo : lo + t.size] = 1.0 - (g.size - np.searchsorted(g, t, "left")) / g.size
    return thr, fmr, fnmr


def _sampled_roc(genuine, impostor, n_points: int):
    if n_points < 2:
        raise ValueError(f"n_points must be at least 2, got {n_points}")
    g, i = _as_arrays(genuine, impostor)
    hi, lo = max(g.max(), i.max()), min(g.min(), i.min())
    thr = np.empty(n_points + 1)
    thr[0] = np.inf
    thr[1:] = np.linspace(hi, lo, n_points)
    thr[1], thr[-1] = hi, lo  # exact ends: the top score is accepted first, all at the end
    step = (hi - lo) / (n_points - 1) if hi > lo else 1.0

    def accepted(a: np.ndarray) -> np.ndarray:
        hist = np.zeros(n_points + 1, np.int64)  # by each score's first accepting index
        for start in range(0, a.size, _CHUNK):
            s = a[start : start + _CHUNK]
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


def eer_km(genuine, impostor) -> float:
    """EER by Killourhy & Maxion's rule (``evaluation-script.R``, DSN 2009).

    On the ROC, find the point with the smallest non-negative (miss - false alarm)
    and its neighbour with the largest negative one, and interpolate linearly to
    miss = false alarm. In our terms miss = FMR, false alarm = FNMR.

    Computed without materialising the ROC: miss - false alarm is monotone in the
    threshold, so the crossing is found by binary search on the sorted scores.
    """
    g, i = _sorted_scores(genuine, impostor)

    def crossed(t: float) -> bool:  # miss >= false alarm at threshold t
        fmr, fnmr = _point(g, i, t)
        return fmr - fnmr >= 0

    # the first ROC point (thresholds descending) with d >= 0: the largest such score
    cands = [a[j] for a in (g, i) if (j := _last_true(a, crossed)) >= 0]
    t_k = float(max(cands))  # the lowest score always qualifies (fmr = 1, fnmr = 0)
    y = _point(g, i, t_k)
    if y[0] - y[1] == 0:
        return y[0]
    x = _point(g, i, _next_above(g, i, t_k))
    a = (x[0] - x[1]) / (y[1] - x[1] - y[0] + x[0])
    return float(x[0] + a * (y[0] - x[0]))


def eer_rocch(genuine, impostor) -> float:
    """EER on the ROC convex hull (ROCCH), as ``bob.measure.eer_rocch``.

    The lower-left convex hull of the ROC points in (FMR, FNMR) space is the set of
    operating points reachable by randomising between thresholds; its crossing with
    FMR = FNMR is the ROCCH-EER. Never larger than :func:`eer_km`.

    Computed in O(n log n) time and O(n) memory: hull vertices can only be ROC points
    entered by accepting a genuine score and left by accepting an impostor one, i.e.
    the point just above ``max{impostor < s}`` for each genuine ``s``; those candidates
    are pruned in vectorised passes and the monotone chain runs on the survivors.
    """
    g, i = _sorted_scores(genuine, impostor)
    parts, prev = [], -1
    for lo in range(0, g.size, _CHUNK):
        j = np.searchsorted(i, g[lo : lo + _CHUNK], "left") - 1  # last impostor below s
        j = j[j > prev]
        if j.size:
            keep = np.r_[True, j[1:] != j[:-1]]
            parts.append(j[keep])
            prev = int(j[-1])
    j = np.concatenate(parts) if parts else np.empty(0, np.int64)
    j = j[::-1]  # thresholds descending = fmr ascending, as on the ROC
    x = np.empty(j.size + 2)
    y = np.empty(j.size + 2)
    x[0], y[0], x[-1], y[-1] = 0.0, 1.0, 1.0, 0.0  # +inf and the lowest score
    x[1:-1] = (i.size - (j + 1)) / i.size
    acc_g = g.size - np.searchsorted(g, i[j], "right")
    y[1:-1] = 1.0 - acc_g / g.size
    del j, acc_g
    # Prune in vectorised passes: a point on or above the chord of its two neighbours is
    # no hull vertex (the chord lies in the hull), so all such points go at once. Then
    # the exact monotone chain runs on the few survivors.
    while x.size > 64:
        cross = (x[1:-1] - x[:-2]) * (y[2:] - y[:-2]) - (y[1:-1] - y[:-2]) * (x[2:] - x[:-2])
        keep = np.ones(x.size, bool)
        np.greater(cross, 0, out=keep[1:-1])
        if keep.all():
            break
        x, y = x[keep], y[keep]
    return _hull_eer(*_lower_hull(x, y))


def _hull_eer(hx: np.ndarray, hy: np.ndarray) -> float:
    d = hx - hy
    k = int(np.flatnonzero(d >= 0)[0])
    if d[k] == 0 or k == 0:
        return float(hx[k])
    x0, y0, x1, y1 = hx[k - 1], hy[k - 1], hx[k], hy[k]
    a = (y0 - x0) / ((x1 - x0) - (y1 - y0))
    return float(x0 + a * (x1 - x0))


def _lower_hull(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower convex hull (monotone chain) of points already sorted by x ascending."""
    hull: list[int] = []
    for j in range(x.size):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (x[b] - x[a]) * (y[j] - y[a]) - (y[b] - y[a]) * (x[j] - x[a])
            if cross <= 0:
                hull.pop()
            else:
                break
        hull.append(j)
    idx = np.asarray(hull)
    return x[idx], y[idx]


def zero_miss_far(genuine, impostor) -> float:
    """K&M's zero-miss false-alarm rate: FNMR at the strictest threshold with FMR = 0.

    The threshold sits just above the highest impostor score; every genuine score at
    or below it is rejected (a "false alarm" in K&M's terms).
    """
    g, i = _as_arrays(genuine, impostor)
    return float(np.mean(g <= i.max()))


def fnmr_at_fmr(genuine, impostor, fmr_target: float) -> float:
    """FNMR at the most lenient threshold whose FMR does not exceed ``fmr_target``."""
    g, i = _sorted_scores(genuine, impostor)
    # FMR falls as the threshold rises: the lowest score still within the target
    ok = [
        a[::-1][j]
        for a in (g, i)
        if (j := _last_true(a[::-1], lambda t: _point(g, i, t)[0] <= fmr_target)) >= 0
    ]
    return _point(g, i, float(min(ok)))[1] if ok else 1.0


def roc_auc(genuine, impostor) -> float:
    """Area under the ROC = P(genuine > impostor) + 0.5 P(tie) (Mann-Whitney U)."""
    g, i = _as_arrays(genuine, impostor)
    both = np.concatenate([g, i])
    from scipy.stats import rankdata

    ranks = rankdata(both)[: g.size]
    u = ranks.sum() - g.size * (g.size + 1) / 2
    return float(u / (g.size * i.size))


METRICS = {
    "eer": eer_km,
    "eer_rocch": eer_rocch,
    "zero_miss_far": zero_miss_far,
    "fnmr_at_fmr_1pct": lambda g, i: fnmr_at_fmr(g, i, 0.01),
    "fnmr_at_fmr_0.1pct": lambda g, i: fnmr_at_fmr(g, i, 0.001),
    "auc": roc_auc,
}
"""Per-subject metrics computed for every run. ``eer`` is the primary metric."""


def per_subject(scores, metrics: dict | None = None):
    """One row of metrics per subject from a scores table (subject, label, score).

    ``label`` is 1 for genuine, 0 for impostor.
    """
    import pandas as pd

    metrics = METRICS if metrics is None else metrics
    rows = []
    for subject, grp in scores.groupby("subject", sort=False):
        lab = grp["label"].to_numpy()
        s = grp["score"].to_numpy()
        g, i = s[lab == 1], s[lab == 0]
        rows.append({"subject": subject, **{k: f(g, i) for k, f in metrics.items()}})
    return pd.DataFrame(rows)


def aggregate(table) -> dict[str, float]:
    """Mean and sd (ddof = 1, as R's ``sd``) of every metric column over subjects."""
    out: dict[str, float] = {}
    for col in table.columns:
        if col == "subject":
            continue
        v = table[col].to_numpy(dtype=float)
        out[f"{col}_mean"] = float(v.mean())
        out[f"{col}_sd"] = float(v.std(ddof=1)) if v.size > 1 else 0.0
    return out
