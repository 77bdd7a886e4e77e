"""Verification metrics as pure functions of (genuine, impostor) scores.

Conventions, shared by every function here:

* A score means "higher = more genuine". A sample is **accepted** at threshold ``t``
  when ``score >= t`` (ties are accepted).
* FMR(t) = fraction of impostor scores accepted (K&M's "miss": an impostor gets in).
  FNMR(t) = fraction of genuine scores rejected (K&M's "false alarm": the user is
  flagged). These follow ISO/IEC 19795-1.
* The ROC (:func:`roc`, :func:`det`, in :mod:`incumbent.evaluation.curves`) is evaluated
  at every distinct score plus +inf, exactly the cut-offs that ROCR (used by Killourhy &
  Maxion's ``evaluation-script.R``) produces.

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

from incumbent.evaluation import curves
from incumbent.evaluation.curves import CHUNK, as_arrays, rates_at_sorted, sorted_scores

roc, det = curves.roc, curves.det  # the curves stay reachable as metrics.roc / metrics.det


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


def eer_km(genuine, impostor) -> float:
    """EER by Killourhy & Maxion's rule (``evaluation-script.R``, DSN 2009).

    On the ROC, find the point with the smallest non-negative (miss - false alarm)
    and its neighbour with the largest negative one, and interpolate linearly to
    miss = false alarm. In our terms miss = FMR, false alarm = FNMR.

    Computed without materialising the ROC: miss - false alarm is monotone in the
    threshold, so the crossing is found by binary search on the sorted scores.
    """
    g, i = sorted_scores(genuine, impostor)

    def crossed(t: float) -> bool:  # miss >= false alarm at threshold t
        fmr, fnmr = rates_at_sorted(g, i, t)
        return fmr - fnmr >= 0

    # the first ROC point (thresholds descending) with d >= 0: the largest such score
    cands = [a[j] for a in (g, i) if (j := _last_true(a, crossed)) >= 0]
    t_k = float(max(cands))  # the lowest score always qualifies (fmr = 1, fnmr = 0)
    y = rates_at_sorted(g, i, t_k)
    if y[0] - y[1] == 0:
        return y[0]
    x = rates_at_sorted(g, i, _next_above(g, i, t_k))
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
    g, i = sorted_scores(genuine, impostor)
    parts, prev = [], -1
    for lo in range(0, g.size, CHUNK):
        j = np.searchsorted(i, g[lo : lo + CHUNK], "left") - 1  # last impostor below s
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
    g, i = as_arrays(genuine, impostor)
    return float(np.mean(g <= i.max()))


def fnmr_at_fmr(genuine, impostor, fmr_target: float) -> float:
    """FNMR at the most lenient threshold whose FMR does not exceed ``fmr_target``."""
    g, i = sorted_scores(genuine, impostor)
    # FMR falls as the threshold rises: the lowest score still within the target
    ok = [
        a[::-1][j]
        for a in (g, i)
        if (j := _last_true(a[::-1], lambda t: rates_at_sorted(g, i, t)[0] <= fmr_target)) >= 0
    ]
    return rates_at_sorted(g, i, float(min(ok)))[1] if ok else 1.0


def roc_auc(genuine, impostor) -> float:
    """Area under the ROC = P(genuine > impostor) + 0.5 P(tie) (Mann-Whitney U)."""
    g, i = as_arrays(genuine, impostor)
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
