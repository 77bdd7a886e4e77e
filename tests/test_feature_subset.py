"""The worked example's challenger: scaled Manhattan on hold + up-down columns only."""

from __future__ import annotations

import numpy as np
import yaml
from hydra.utils import instantiate
from incumbent.baselines.feature_subset import TimingKinds, cmu_feature_names
from sklearn.base import clone

from incumbent import ROOT


def test_keeps_hold_and_up_down_columns():
    names = cmu_feature_names()
    X = np.arange(31, dtype=float)[None, :].repeat(3, axis=0)
    kept = TimingKinds().fit(X).transform(X)[0].astype(int)
    assert kept.size == 21
    assert {names[k].split(".")[0] for k in kept} == {"H", "UD"}
    assert TimingKinds(kinds=["DD"]).fit(X).transform(X).shape == (3, 10)


def test_yaml_pipeline_scores_own_samples_higher():
    cfg = yaml.safe_load((ROOT / "conf/baseline/manhattan_scaled_hold_ud.yaml").read_text())
    est = clone(instantiate(cfg["estimator"]))
    rng = np.random.default_rng(0)
    train = rng.normal(0.2, 0.02, (50, 31))
    est.fit(train)
    own, other = rng.normal(0.2, 0.02, (20, 31)), rng.normal(0.3, 0.02, (20, 31))
    assert est.score_samples(own).min() > est.score_samples(other).max()
