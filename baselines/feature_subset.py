"""Feature-subset selection for fixed-text timing vectors (in-house, no paper row to match).

Used by the challenger example ``conf/baseline/manhattan_scaled_hold_ud.yaml``: scaled
Manhattan (``araujo2004``) on hold (``H.*``) and up-down (``UD.*``) times only, dropping
the down-down latencies, which are redundant on CMU (``DD.a.b = H.a + UD.a.b`` exactly).
Araújo et al. (2004) themselves compare such feature combinations; we report no
published number for this variant, so it is not a reproduction.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin


def cmu_feature_names() -> list[str]:
    from incumbent.data.loaders.cmu_dsl import official_columns

    return official_columns()[3:]


class TimingKinds(BaseEstimator, TransformerMixin):
    """Keep the columns whose name starts with one of ``kinds`` (``"H"``, ``"DD"``, ``"UD"``).

    ``feature_names`` is the column order of the arrays the protocol passes (the CMU
    timing columns by default), since protocols hand baselines plain arrays.
    """

    def __init__(self, kinds=("H", "UD"), feature_names=None):
        self.kinds = kinds
        self.feature_names = feature_names

    def fit(self, X, y=None):
        names = list(self.feature_names or cmu_feature_names())
        X = np.asarray(X)
        if X.shape[1] != len(names):
            raise ValueError(f"got {X.shape[1]} columns, feature_names lists {len(names)}")
        self.columns_ = np.array([k for k, n in enumerate(names) if n.split(".")[0] in self.kinds])
        if self.columns_.size == 0:
            raise ValueError(f"no feature of kinds {self.kinds} among {names[:5]}...")
        return self

    def transform(self, X):
        return np.asarray(X, dtype=np.float64)[:, self.columns_]
