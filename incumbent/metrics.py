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

All functions run in O(n log n) on numpy arrays and allocate O(n).
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


def roc(genuine, impostor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(thresholds, fmr, fnmr) at +inf and at every distinct score, thresholds descending.

    At threshold +inf nothing is accepted (fmr = 0, fnmr = 1); at the lowest score
    everything is accepted (fmr = 1, fnmr = 0).
    """
    g, i = _as_arrays(genuine, impostor)
    scores = np.concatenate([g, i])
    is_gen = np.concatenate([np.ones(g.size, bool), np.zeros(i.size, bool)])
    order = np.argsort(-scores, kind="mergesort")
    scores, is_gen = scores[order], is_gen[order]
    accepted_gen = np.cumsum(is_gen)
    accepted_imp = np.cumsum(~is_gen)
    # keep the last index of each run of equal scores: ties are accepted together
    last = np.r_[scores[1:] != scores[:-1], True]
    thr = np.r_[np.inf, scores[last]]
    fmr = np.r_[0.0, accepted_imp[last] / i.size]
    fnmr = np.r_[1.0, 1.0 - accepted_gen[last] / g.size]
    return thr, fmr, fnmr


def eer_km(genuine, impostor) -> float:
    """EER by Killourhy & Maxion's rule (``evaluation-script.R``, DSN 2009).

    On the ROC, find the point with the smallest non-negative (miss - false alarm)
    and its neighbour with the largest negative one, and interpolate linearly to
    miss = false alarm. In our terms miss = FMR, false alarm = FNMR.
    """
    _, fmr, fnmr = roc(genuine, impostor)
    d = fmr - fnmr  # -1 at +inf, +1 at -inf: the sign changes at least once
    k = int(np.flatnonzero(d >= 0)[0])  # first point where miss >= false alarm
    if d[k] == 0:
        return float(fmr[k])
    x = (fmr[k - 1], fnmr[k - 1])
    y = (fmr[k], fnmr[k])
    a = (x[0] - x[1]) / (y[1] - x[1] - y[0] + x[0])
    return float(x[0] + a * (y[0] - x[0]))


def eer_rocch(genuine, impostor) -> float:
    """EER on the ROC convex hull (ROCCH), as ``bob.measure.eer_rocch``.

    The lower-left convex hull of the ROC points in (FMR, FNMR) space is the set of
    operating points reachable by randomising between thresholds; its crossing with
    FMR = FNMR is the ROCCH-EER. Never larger than :func:`eer_km`.
    """
    _, fmr, fnmr = roc(genuine, impostor)
    hx, hy = _lower_hull(fmr, fnmr)
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
    _, fmr, fnmr = roc(genuine, impostor)
    ok = np.flatnonzero(fmr <= fmr_target)
    return float(fnmr[ok[-1]])


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
