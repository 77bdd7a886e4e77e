"""The fixed-length detectors of Monaco & Tappert (Pattern Recognition 2018), paper key
``monaco2018``, on the same folds as the POHMM (protocol ``monaco2018``).

:class:`FixedLength` marks a detector that reads the data set's fixed-length feature
vector (10 latencies + 11 durations; 131 with sensors; the authors' 218 statistics for
fable and essay) instead of the event sequences, after a *whole-data-set* scaling the
protocol applies: ``"mad"`` (each column divided by its mean absolute deviation over
every sample of the data set: the paper's scaled Manhattan, unlike Killourhy & Maxion's
per-user training MAD) or ``"minmax"`` (global min-max per column, before the one-class
SVM). A detector's ``decision_function`` is its score where it has one.

Reproduced: every published U-ACC (Table 2) and U-EER (Table 3) cell of the three
detectors on all six data sets, mean and sd within 0.002 (committed records; papers.md).
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone


class FixedLength(BaseEstimator):
    takes = "fixed_length"

    def __init__(self, estimator=None, scaling: str | None = None):
        self.estimator = estimator
        self.scaling = scaling

    def fit(self, X, y=None):
        self.estimator_ = clone(self.estimator).fit(np.asarray(X, dtype=np.float64))
        return self

    def decision_function(self, X) -> np.ndarray:
        est = self.estimator_
        f = getattr(est, "decision_function", None) or est.score_samples
        return np.asarray(f(np.asarray(X, dtype=np.float64)), dtype=np.float64).ravel()

    def score_samples(self, X) -> np.ndarray:
        return self.decision_function(X)
