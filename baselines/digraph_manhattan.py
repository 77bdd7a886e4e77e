"""Digraph scaled-Manhattan verifier for free text: the classical floor under
``typenet_open_set`` (papers.md: typenet2021, baselines; the scaled Manhattan detector is
Araújo et al. 2004 as re-implemented by Killourhy & Maxion 2009).

A sample is its digraphs (consecutive key-code pairs) with their mean press-to-press
latency. The gallery template is, per digraph, the mean latency over the G gallery
samples. A query's distance is the mean over its digraphs present in the template of
``|x - mu| / a``, with ``a`` the digraph's mean absolute deviation over the training
participants (a per-user deviation is undefined for G = 1 and unreliable for small G:
deviation from Araújo's per-user scaling). Digraphs are the ``max_ngraphs`` most frequent
in training. A query sharing no digraph with the template gets the largest distance
seen for that gallery (score = minus distance; higher = more genuine).
"""

from __future__ import annotations

import warnings

import numpy as np
from incumbent.baselines.gunetti_picardi import NGraphTable
from sklearn.base import BaseEstimator


class DigraphScaledManhattan(BaseEstimator):
    def __init__(self, max_ngraphs: int = 3000):
        self.max_ngraphs = max_ngraphs

    def fit(self, sequences, subjects=None):
        self.table_ = NGraphTable((2,), self.max_ngraphs)
        self.table_.fit_vocabulary(sequences)
        train = self.table_.table(sequences)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            med = np.nanmean(train, axis=0)
            mad = np.nanmean(np.abs(train - med), axis=0)
        self.scale_ = np.where(np.isfinite(mad) & (mad > 0), mad, np.nanmedian(mad)).astype(
            np.float32
        )
        return self

    def transform(self, sequences) -> np.ndarray:
        return self.table_.table(sequences)

    def score_gallery(self, gallery: np.ndarray, queries: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():  # digraphs absent from every gallery sample: NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            mu = np.nanmean(gallery, axis=0)
        z = np.abs(queries - mu[None, :]) / self.scale_[None, :]
        ok = np.isfinite(z)
        n = ok.sum(axis=1)
        dist = np.where(ok, z, 0).sum(axis=1) / np.maximum(n, 1)
        worst = dist[n > 0].max() if (n > 0).any() else 1.0
        return -np.where(n > 0, dist, worst)
