"""Closed-set identification from a probe x model score matrix: rank-k accuracy and CMC.

Every probe belongs to one of the enrolled models (closed set). ``scores[p, m]`` is
model ``m``'s score of probe ``p`` (higher = more genuine); ``truth[p]`` is the column
of probe ``p``'s own model.

Tie rule (**pessimistic**): the rank of probe ``p`` is 1 + the number of *other*
models scoring it **at least** as high as its own model, so a tie with an impostor
model counts against the probe (no credit for a lucky tie-break; the same stance as
accepting ties in verification: a tie is never resolved in the system's favour).
"""

from __future__ import annotations

import numpy as np


def ranks(scores, truth) -> np.ndarray:
    """Rank (1 = best) of each probe's own model among all models; ties pessimistic."""
    s = np.asarray(scores, dtype=np.float64)
    t = np.asarray(truth, dtype=np.int64).ravel()
    if s.ndim != 2 or s.shape[0] != t.size:
        raise ValueError(f"need a (probes x models) matrix and one truth per probe, "
                         f"got {s.shape} and {t.size}")  # fmt: skip
    if s.size == 0:
        raise ValueError("empty score matrix")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite (found NaN or inf)")
    if t.min() < 0 or t.max() >= s.shape[1]:
        raise ValueError(f"truth indices must lie in [0, {s.shape[1]})")
    own = s[np.arange(t.size), t]
    return (s >= own[:, None]).sum(axis=1)  # counts the own model itself: rank >= 1


def cmc(scores, truth) -> np.ndarray:
    """Cumulative match characteristic: ``cmc[k - 1]`` = fraction of probes of rank <= k,
    for k = 1 .. number of models (non-decreasing; the last value is 1)."""
    return cmc_from_ranks(ranks(scores, truth), np.asarray(scores).shape[1])


def cmc_from_ranks(r: np.ndarray, n_models: int) -> np.ndarray:
    """:func:`cmc` from ranks already computed by :func:`ranks` (no second pass)."""
    counts = np.bincount(r, minlength=n_models + 1)[1:]
    return np.cumsum(counts) / r.size


def rank_k_accuracy(scores, truth, k: int) -> float:
    """Fraction of probes whose own model is among the top ``k`` (ties pessimistic)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return float(np.mean(ranks(scores, truth) <= k))


def from_long(table, model: str = "model", probe: str = "probe", probe_subject: str =
              "probe_subject", score: str = "score"):  # fmt: skip
    """(matrix, truth, model names, probe ids) from a long table of (probe, model, score)
    rows holding every probe scored by every model, and each probe's subject."""
    import pandas as pd

    wide = table.pivot(index=probe, columns=model, values=score)
    if wide.isna().any().any():
        raise ValueError("every probe must be scored by every model (closed set)")
    models = [str(m) for m in wide.columns]
    who = table.drop_duplicates(probe).set_index(probe)[probe_subject].reindex(wide.index)
    pos = pd.Series(range(len(models)), index=models)
    missing = sorted(set(who.astype(str)) - set(models))
    if missing:
        raise ValueError(f"probes of subjects without a model (not closed set): {missing[:5]}")
    return wide.to_numpy(np.float64), pos[who.astype(str)].to_numpy(), models, list(wide.index)
