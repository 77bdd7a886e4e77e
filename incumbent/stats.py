"""Statistics over per-subject metric values (paired comparisons live here too)."""

from __future__ import annotations

import numpy as np


def bootstrap_ci(values, n_resamples: int = 2000, ci: float = 0.95, seed: int = 0):
    """Percentile bootstrap CI of the mean, resampling subjects with replacement."""
    v = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v.size, size=(n_resamples, v.size))
    means = v[idx].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    return float(lo), float(hi)
