"""Per-user random forest on mouse actions (papers.md ``antal2019``).

Antal & Egyed-Zsigmond, "Intrusion detection using mouse dynamics", IET Biometrics
2019: one binary random forest per user on the 39 action features
(:mod:`incumbent.data.mouse.features`), positives = the user's actions, negatives = other
users' actions in equal number (the sampling is the protocol's,
:mod:`incumbent.protocols.balabit_antal2019`). Reproduced: 500 trees, scikit-learn
defaults otherwise, as in the authors' code (``mouse2/twoclass_classification.py``).
Deviation: a fixed ``random_state`` (the authors' forest was unseeded).

Not a one-class detector: ``fit(X, y)`` needs labels (1 genuine, 0 impostor), so the
YAML declares ``input: mouse_actions`` and only action protocols use it.
``score_samples`` is the forest's P(genuine): higher = more genuine.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.ensemble import RandomForestClassifier


class ActionForest(BaseEstimator):
    def __init__(self, n_estimators: int = 500, max_features="sqrt", n_jobs=None,
                 random_state=None):  # fmt: skip
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.n_jobs = n_jobs
        self.random_state = random_state

    def fit(self, X, y):
        y = np.asarray(y)
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("ActionForest.fit needs labels 1 (genuine) and 0 (impostor)")
        self.forest_ = RandomForestClassifier(
            n_estimators=self.n_estimators, max_features=self.max_features,
            n_jobs=self.n_jobs, random_state=self.random_state,
        ).fit(np.asarray(X, dtype=np.float64), y)  # fmt: skip
        self.genuine_column_ = int(np.flatnonzero(self.forest_.classes_ == 1)[0])
        return self

    def score_samples(self, X):
        return self.forest_.predict_proba(np.asarray(X, dtype=np.float64))[:, self.genuine_column_]
