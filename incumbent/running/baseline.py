"""The baseline contract, written once.

A baseline is a scikit-learn estimator: ``__init__`` only stores hyperparameters,
learned state ends in ``_``, ``fit(X)`` returns ``self``. It is scored with
``score_samples(X)``, which, as in scikit-learn's outlier detectors, returns
**higher = more genuine** (more like the enrolled user). So a plain sklearn
detector (``OneClassSVM``, ``IsolationForest``, a ``Pipeline`` ending in one) is a
baseline with no new Python file, only ``conf/baseline/<name>.yaml``.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator


def genuineness(estimator, X) -> np.ndarray:
    """Scores of ``X`` under ``estimator``: a float array, higher = more genuine."""
    s = np.asarray(estimator.score_samples(X), dtype=np.float64).ravel()
    if not np.isfinite(s).all():
        raise ValueError(f"{type(estimator).__name__} produced non-finite scores")
    return s


def seeded(estimator, seed: int):
    """Set every ``random_state`` parameter (nested ones too) to ``seed``."""
    keys = [k for k in estimator.get_params(deep=True) if k.split("__")[-1] == "random_state"]
    if keys:
        estimator.set_params(**dict.fromkeys(keys, seed))
    return estimator


class AnomalyDetector(BaseEstimator):
    """Base for detectors written as a distance: ``score_samples = -anomaly_score``."""

    def anomaly_score(self, X) -> np.ndarray:
        raise NotImplementedError

    def score_samples(self, X) -> np.ndarray:
        return -self.anomaly_score(np.asarray(X, dtype=np.float64))
