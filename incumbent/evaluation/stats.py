"""Statistics over per-subject metric values (paired comparisons live here too).

The unit of resampling and of pairing is the **subject**: scores within a subject are
not independent (one template scores them all), subjects are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def bootstrap_ci(values, n_resamples: int = 2000, ci: float = 0.95, seed: int = 0):
    """Percentile bootstrap CI of the mean, resampling subjects with replacement."""
    v = np.asarray(values, dtype=np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, v.size, size=(n_resamples, v.size))
    means = v[idx].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - ci) / 2, 1 - (1 - ci) / 2])
    return float(lo), float(hi)


def wilcoxon_p(differences) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences.

    All-zero differences (identical systems) give p = 1 (scipy would raise or warn).
    Zero differences are dropped before ranking (Wilcoxon's original ``zero_method``);
    scipy chooses the exact null distribution for small samples without ties, the
    normal approximation otherwise.
    """
    from scipy.stats import wilcoxon

    d = np.asarray(differences, dtype=np.float64)
    d = d[d != 0]
    if d.size == 0:
        return 1.0
    return float(wilcoxon(d, zero_method="wilcox", alternative="two-sided").pvalue)


def holm(pvalues) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p = np.asarray(pvalues, dtype=np.float64)
    m = p.size
    order = np.argsort(p, kind="stable")
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


@dataclass
class PairedResult:
    """Challenger minus incumbent, per subject, summarised."""

    n: int
    mean_delta: float
    ci: tuple[float, float]
    p: float
    n_resamples: int
    seed: int


def paired(challenger, incumbent, n_resamples: int = 2000, seed: int = 0) -> PairedResult:
    """Paired per-subject comparison: mean Δ (challenger - incumbent), bootstrap CI, Wilcoxon p."""
    a = np.asarray(challenger, dtype=np.float64)
    b = np.asarray(incumbent, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or a.size < 2:
        raise ValueError(
            f"need two equal-length 1-D samples of >= 2 subjects, got {a.shape}, {b.shape}"
        )
    d = a - b
    return PairedResult(
        n=int(d.size),
        mean_delta=float(d.mean()),
        ci=bootstrap_ci(d, n_resamples=n_resamples, seed=seed),
        p=wilcoxon_p(d),
        n_resamples=n_resamples,
        seed=seed,
    )
