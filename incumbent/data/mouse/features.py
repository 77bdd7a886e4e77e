"""The 39 per-action features of Antal & Egyed-Zsigmond (2019), vectorised.

Names and definitions follow the authors' code (``margitantal68/mouse2``,
``actions.computeActionFeatures``), after Ahmed & Traoré (2007) and Gamboa & Fred
(2004). Between consecutive points k-1, k of an action: ``dt`` (a zero interval counts
as 0.01 s), ``dx``, ``dy``, step length, angle ``atan2(dy, dx)``; velocities
``vx, vy, v``, angular velocity, acceleration of ``v``, jerk and curvature (angle
change per path length; points with |curvature| < 0.0005 are *critical points*).

Each per-point signal starts with a 0 for point 0, as in the authors' code, and its
summary statistics are theirs: ``mean`` over all values; ``sd`` divides by (m - 1)
but sums the squared deviations from element 1 on; ``max`` and ``min`` are 0 for a
signal of one value; ``min`` skips zeros after the first element. Acceleration and
jerk have n - 1 values (the last interval is not used), as there. ``largest_deviation``
keeps their line coefficients (``a = x_end - x_0`` multiplies x, ``b = y_0 - y_end``
multiplies y), which is not the geometric distance from the start-end line.
Parity: all 39 values equal the authors' to 1e-6 (papers.md ``antal2019``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from incumbent.data.mouse.segmentation import Actions

CRITICAL_CURVATURE = 0.0005
MIN_DT = 0.01
STAT_SIGNALS = ("curv", "omega", "vx", "vy", "v", "a", "jerk")
FEATURES = [
    "type_of_action", "traveled_distance_pixel", "elapsed_time", "direction_of_movement",
    "straightness", "num_points", "sum_of_angles",
    "mean_curv", "sd_curv", "max_curv", "min_curv",
    "mean_omega", "sd_omega", "max_omega", "min_omega",
    "largest_deviation", "dist_end_to_end_line", "num_critical_points",
    "mean_vx", "sd_vx", "max_vx", "min_vx", "mean_vy", "sd_vy", "max_vy", "min_vy",
    "mean_v", "sd_v", "max_v", "min_v", "mean_a", "sd_a", "max_a", "min_a",
    "mean_jerk", "sd_jerk", "max_jerk", "min_jerk", "a_beg_time",
]  # fmt: skip


def _stats(v, start, n, m, zero_pads):
    """(mean, sd, max, min) per action of a signal laid out over the action's points.

    ``m`` values per action are real; the signal holds ``zero_pads`` padding zeros per
    action besides its leading 0 (which counts), so they leave max and min unchanged
    and are removed from the sums of squares.
    """
    mean = np.add.reduceat(v, start) / m
    ss = np.add.reduceat((v - np.repeat(mean, n)) ** 2, start) - mean**2 * (1 + zero_pads)
    many = m > 1
    sd = np.sqrt(np.divide(np.maximum(ss, 0), m - 1, out=np.zeros(len(m)), where=many))
    mx = np.where(many, np.maximum.reduceat(v, start), 0.0)
    mn = np.where(many, np.minimum.reduceat(v, start), 0.0)
    return mean, sd, mx, mn


def _curvature_stats(curv, on_path, start, n_act):
    """The authors' stats of the curvature list (no leading 0; may be empty)."""
    m = np.add.reduceat(on_path, start) if n_act else np.zeros(0, np.int64)
    v = curv[on_path]
    has, many = m > 0, m > 1
    vstart = np.r_[0, np.cumsum(m)[:-1]].astype(np.int64)
    mean = np.zeros(n_act)
    first = np.zeros(n_act)
    mx = np.zeros(n_act)
    lo = np.full(n_act, np.inf)
    if has.any():
        mean[has] = np.add.reduceat(v, vstart[has]) / m[has]
        first[has] = v[vstart[has]]
        mx[has] = np.maximum.reduceat(v, vstart[has])
        nz = v != 0
        m_nz = np.add.reduceat(nz, vstart[has])
        lo_has = np.minimum.reduceat(np.where(nz, v, np.inf), vstart[has])
        lo[has] = np.where(m_nz > 0, lo_has, np.inf)
    dev = (v - np.repeat(mean, m)) ** 2
    ss = np.zeros(n_act)
    if has.any():
        ss[has] = np.add.reduceat(dev, vstart[has])
    ss -= (first - mean) ** 2
    sd = np.sqrt(np.divide(np.maximum(ss, 0), m - 1, out=np.zeros(n_act), where=many))
    mn = np.minimum(first, lo)  # their min skips zeros after the first element
    return mean, sd, np.where(many, mx, 0.0), np.where(many, mn, 0.0)


def _step(a: np.ndarray, start: np.ndarray) -> np.ndarray:
    """a[k] - a[k-1] inside each action, 0 at each action's first point."""
    d = np.empty_like(a)
    d[0] = 0
    np.subtract(a[1:], a[:-1], out=d[1:])
    d[start] = 0
    return d


def action_features(actions: Actions) -> pd.DataFrame:
    """One row of the 39 features (``FEATURES``) per row of ``actions.table``."""
    tab = actions.table
    n_act = len(tab)
    if n_act == 0:
        return pd.DataFrame(columns=FEATURES, dtype=np.float64)
    start = tab["start"].to_numpy(np.int64)
    n = tab["n_points"].to_numpy(np.int64)
    if (n < 2).any():
        raise ValueError("every action needs at least 2 points")
    last = start + n - 1
    x, y, t = actions.x, actions.y, actions.t

    dx, dy, dt = _step(x, start), _step(y, start), _step(t, start)
    dt[dt == 0] = MIN_DT
    dt[start] = 1.0  # unused: every signal is 0 at an action's first point
    vx, vy = dx / dt, dy / dt
    v = np.hypot(vx, vy)
    angle = np.arctan2(dy, dx)  # 0 at first points (dx = dy = 0)
    dist = np.hypot(dx, dy)
    dangle = _step(angle, start)
    omega = dangle / dt
    dv = _step(v, start)
    acc = dv / dt
    acc[last] = 0.0  # acceleration and jerk stop at interval n-2
    jerk = _step(acc, start) / dt
    jerk[last] = 0.0
    on_path = dist != 0
    curv = np.divide(dangle, dist, out=np.zeros_like(dist), where=on_path)

    def per_action(w):
        return np.add.reduceat(w, start)

    traj = per_action(dist)
    ex, ey = x[last] - x[start], y[last] - y[start]
    theta = np.arctan2(ey, ex)
    direction = np.floor(theta / (np.pi / 4)).astype(np.int64) % 8
    end_to_end = np.hypot(ex, ey)
    straight = np.divide(end_to_end, traj, out=np.zeros(n_act), where=traj > 0)
    out = {
        "type_of_action": tab["type_code"].to_numpy(np.float64),
        "traveled_distance_pixel": traj,
        "elapsed_time": t[last] - t[start],
        "direction_of_movement": np.where(theta == np.pi, 0, direction).astype(np.float64),
        "straightness": np.minimum(straight, 1.0),
        "num_points": n.astype(np.float64),
        "sum_of_angles": per_action(angle),
    }
    stats = {"curv": _curvature_stats(curv, on_path, start, n_act)}
    for name, sig, pads in (("omega", omega, 0), ("vx", vx, 0), ("vy", vy, 0), ("v", v, 0),
                            ("a", acc, 1), ("jerk", jerk, 1)):  # fmt: skip
        stats[name] = _stats(sig, start, n, n - pads, pads)
    for name in STAT_SIGNALS:
        for key, val in zip(("mean", "sd", "max", "min"), stats[name], strict=True):
            out[f"{key}_{name}"] = val

    # distance of the interior points from the start-end line
    lc = x[start] * y[last] - x[last] * y[start]
    dev = np.abs(np.repeat(ex, n) * x - np.repeat(ey, n) * y + np.repeat(lc, n))
    dev[start] = 0.0
    dev[last] = 0.0
    largest = np.maximum.reduceat(dev, start)
    out["largest_deviation"] = np.divide(largest, end_to_end, out=largest, where=end_to_end > 0)
    out["dist_end_to_end_line"] = end_to_end
    out["num_critical_points"] = per_action(on_path & (np.abs(curv) < CRITICAL_CURVATURE))

    # time spent accelerating at the start: intervals 1.. while v keeps rising
    broken = dv <= 0
    broken[start] = False
    broken[last] = False
    before = np.cumsum(broken)
    before -= np.repeat(before[start] - broken[start], n)
    rising = (dv > 0) & (before == 0)
    rising[last] = False
    out["a_beg_time"] = per_action(np.where(rising, dt, 0.0))
    return pd.DataFrame(out, index=tab.index)[FEATURES]
