"""Outlier Count (z-score), paper key ``killourhy2009``.

Haider, Abbas and Zaidi (2000) "statistical technique", as re-implemented by
Killourhy & Maxion (DSN 2009, section 5.12) and reproduced on the CMU data (Table 2):
the anomaly score is how many of the test vector's features lie more than 1.96
training standard deviations from the training mean. Deviations: none (the 1.96
threshold is K&M's choice; Haider et al. left it unspecified).
"""

from __future__ import annotations

import numpy as np

from incumbent.running.baseline import AnomalyDetector


class OutlierCount(AnomalyDetector):
    """Number of features whose absolute z-score exceeds ``threshold``."""

    def __init__(self, threshold: float = 1.96):
        self.threshold = threshold

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        self.sd_ = X.std(axis=0, ddof=1)
        return self

    def anomaly_score(self, X):
        z = np.abs(X - self.mean_) / self.sd_
        return (z > self.threshold).sum(axis=1).astype(np.float64)
