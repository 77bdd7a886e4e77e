"""Median Manhattan: L1 distance to the per-feature median, each feature scaled by its
median absolute deviation (a robust cousin of the kit's scaled Manhattan detector).

It follows the kit's baseline contract (a scikit-learn estimator: ``fit(X)`` returns
``self``, learned state ends in ``_``, ``score_samples`` is higher = more genuine) and
imports nothing from the kit, so it can live in any repository.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

FLOOR = 1e-6  # a feature constant over the enrolment samples must not divide by zero


class MedianManhattan(BaseEstimator):
    def __init__(self, scale: bool = True):
        self.scale = scale

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.median_ = np.median(X, axis=0)
        mad = np.median(np.abs(X - self.median_), axis=0)
        self.mad_ = np.maximum(mad, FLOOR) if self.scale else np.ones_like(mad)
        return self

    def score_samples(self, X):
        X = np.asarray(X, dtype=np.float64)
        return -(np.abs(X - self.median_) / self.mad_).sum(axis=1)
