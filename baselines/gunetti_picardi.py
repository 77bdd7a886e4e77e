"""Gunetti & Picardi (ACM TISSEC 2005) R and A distances for free text (papers.md: gunetti2005).

Reproduced: a sample is the set of its n-graphs (digraphs, trigraphs of consecutive key
presses, keys identified by key code) with their durations (first press to last press
of the n-graph, mean over repeats). Between two samples, over the n-graphs they share:

* **R** (relative): sort the shared n-graphs by duration in each sample; the degree of
  disorder (sum of rank displacements) divided by its maximum (n^2/2, or (n^2-1)/2 for
  odd n). 0 = same ordering.
* **A** (absolute): 1 - (share of shared n-graphs whose durations d1, d2 satisfy
  max/min <= t), t = 1.25.

Distances of several n-graph sizes are summed (the paper's R2+R3, A2+A3 combinations);
``measure="RA"`` sums R and A. Score of a query = minus its mean distance to the gallery
samples. Deviations: the paper classifies by comparing a sample's mean distance to each
known user's profile (relative to other users); under the open-set protocol the score is
the mean distance only. Fewer than 2 shared n-graphs give the maximal distance 1 (per
measure and size). n-graphs are restricted to the ``max_ngraphs`` most frequent ones in
the training participants (memory bound; a dense matrix per sample).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.base import BaseEstimator


def ngraph_durations(seq: dict, n: int) -> dict[tuple, float]:
    """Mean duration (ms, first press to last press) of each n-graph of key codes."""
    press = np.asarray(seq["press"], dtype=np.float64)
    keys = np.asarray(seq["keycode"]).tolist()
    sums: dict[tuple, list] = {}
    for i in range(len(keys) - n + 1):
        g = tuple(keys[i : i + n])
        acc = sums.setdefault(g, [0.0, 0])
        acc[0] += press[i + n - 1] - press[i]
        acc[1] += 1
    return {g: s / c for g, (s, c) in sums.items()}


class NGraphTable(BaseEstimator):
    """Vocabulary of frequent n-graphs (fitted) -> dense duration matrix, NaN = absent."""

    def __init__(self, ngrams=(2, 3), max_ngraphs: int = 3000):
        self.ngrams = ngrams
        self.max_ngraphs = max_ngraphs

    def fit_vocabulary(self, sequences) -> None:
        self.vocab_ = {}
        for n in self.ngrams:
            counts = Counter()
            for s in sequences:
                counts.update(ngraph_durations(s, n).keys())
            top = [g for g, _ in counts.most_common(self.max_ngraphs)]
            self.vocab_[n] = {g: k for k, g in enumerate(top)}

    def table(self, sequences) -> np.ndarray:
        """(n_sequences, sum of vocab sizes) float32; column blocks per n-graph size."""
        sizes = [len(self.vocab_[n]) for n in self.ngrams]
        out = np.full((len(sequences), sum(sizes)), np.nan, dtype=np.float32)
        offset = np.cumsum([0, *sizes])
        for r, s in enumerate(sequences):
            for b, n in enumerate(self.ngrams):
                voc = self.vocab_[n]
                for g, d in ngraph_durations(s, n).items():
                    k = voc.get(g)
                    if k is not None:
                        out[r, offset[b] + k] = d
        return out

    def blocks(self) -> list[slice]:
        sizes = [len(self.vocab_[n]) for n in self.ngrams]
        edges = np.cumsum([0, *sizes])
        return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _ranks(values: np.ndarray) -> np.ndarray:
    """Row-wise ranks (0-based); NaN/inf (not shared) sort last."""
    return np.argsort(np.argsort(values, axis=1, kind="stable"), axis=1, kind="stable")


def r_distance(a: np.ndarray, B: np.ndarray) -> np.ndarray:
    """R distance between one sample ``a`` (V,) and each row of ``B`` (Q, V)."""
    idx = np.flatnonzero(~np.isnan(a))
    sub = B[:, idx]
    shared = ~np.isnan(sub)
    n = shared.sum(axis=1)
    ra = _ranks(np.where(shared, a[idx][None, :], np.inf))
    rb = _ranks(np.where(shared, sub, np.inf))
    disorder = np.where(shared, np.abs(ra - rb), 0).sum(axis=1)
    max_disorder = np.where(n % 2 == 0, n**2 / 2, (n**2 - 1) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = disorder / max_disorder
    return np.where(n >= 2, d, 1.0)


def a_distance(a: np.ndarray, B: np.ndarray, t: float = 1.25) -> np.ndarray:
    """A distance between ``a`` (V,) and each row of ``B`` (Q, V)."""
    idx = np.flatnonzero(~np.isnan(a))
    sub = B[:, idx]
    shared = ~np.isnan(sub)
    n = shared.sum(axis=1)
    x = np.maximum(a[idx][None, :], 1e-3)
    y = np.maximum(np.where(shared, sub, 1.0), 1e-3)
    similar = (shared & (np.maximum(x, y) / np.minimum(x, y) <= t)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = 1.0 - similar / n
    return np.where(n >= 2, d, 1.0)


class GunettiPicardi(BaseEstimator):
    """Free-text verifier: mean R / A / R+A distance of a query to the gallery samples."""

    def __init__(self, measure: str = "RA", ngrams=(2, 3), t: float = 1.25,
                 max_ngraphs: int = 3000):  # fmt: skip
        self.measure = measure
        self.ngrams = ngrams
        self.t = t
        self.max_ngraphs = max_ngraphs

    def fit(self, sequences, subjects=None):
        if self.measure not in ("R", "A", "RA"):
            raise ValueError(f"measure must be 'R', 'A' or 'RA', got {self.measure!r}")
        self.table_ = NGraphTable(tuple(self.ngrams), self.max_ngraphs)
        self.table_.fit_vocabulary(sequences)
        return self

    def transform(self, sequences) -> np.ndarray:
        return self.table_.table(sequences)

    def score_gallery(self, gallery: np.ndarray, queries: np.ndarray) -> np.ndarray:
        total = np.zeros(len(queries))
        for g in gallery:
            for block in self.table_.blocks():
                if "R" in self.measure:
                    total += r_distance(g[block], queries[:, block])
                if "A" in self.measure:
                    total += a_distance(g[block], queries[:, block], self.t)
        return -total / len(gallery)
