"""Distance detectors of Killourhy & Maxion (DSN 2009), paper key ``killourhy2009``.

Reproduced: Euclidean, Manhattan, Mahalanobis and Manhattan (scaled) rows of Table 2
on the CMU data (mean per-subject EER and sd), each as K&M describe it:
anomaly score = distance from the test vector to the training mean vector.
Manhattan (scaled) is Araújo et al. (2004) (``araujo2004``): each dimension's
absolute deviation is divided by that feature's mean absolute deviation in training.
Deviations: none known. Mahalanobis uses the Moore-Penrose pseudo-inverse of the
training covariance (as K&M's R code, which tolerates singular matrices).
"""

from __future__ import annotations

import numpy as np

from incumbent.baseline import AnomalyDetector


class Euclidean(AnomalyDetector):
    """Squared Euclidean distance to the training mean."""

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X, dtype=np.float64).mean(axis=0)
        return self

    def anomaly_score(self, X):
        return ((X - self.mean_) ** 2).sum(axis=1)


class Manhattan(AnomalyDetector):
    """City-block (L1) distance to the training mean."""

    def fit(self, X, y=None):
        self.mean_ = np.asarray(X, dtype=np.float64).mean(axis=0)
        return self

    def anomaly_score(self, X):
        return np.abs(X - self.mean_).sum(axis=1)


class ScaledManhattan(AnomalyDetector):
    """L1 distance with each feature scaled by its training mean absolute deviation."""

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        self.mad_ = np.abs(X - self.mean_).mean(axis=0)
        return self

    def anomaly_score(self, X):
        return (np.abs(X - self.mean_) / self.mad_).sum(axis=1)


class Mahalanobis(AnomalyDetector):
    """Squared Mahalanobis distance to the training mean (pseudo-inverse covariance)."""

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=np.float64)
        self.mean_ = X.mean(axis=0)
        self.precision_ = np.linalg.pinv(np.cov(X, rowvar=False))
        return self

    def anomaly_score(self, X):
        d = X - self.mean_
        return np.einsum("ij,jk,ik->i", d, self.precision_, d)
