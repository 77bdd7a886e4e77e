"""Fairness at a fixed threshold: per-group rates, too-small groups, disparity (1 - FDR)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incumbent.evaluation import fairness


def _table(rows):
    return pd.DataFrame(rows, columns=["subject", "label", "score"])


def test_group_rates_at_the_threshold_and_disparity():
    # group A: subjects a1, a2; group B: b1, b2. Threshold 0.5, ties accepted.
    scores = _table([
        ("a1", 1, 0.9), ("a1", 1, 0.4), ("a1", 0, 0.1), ("a1", 0, 0.5),
        ("a2", 1, 0.8), ("a2", 1, 0.7), ("a2", 0, 0.2), ("a2", 0, 0.3),
        ("b1", 1, 0.9), ("b1", 1, 0.9), ("b1", 0, 0.6), ("b1", 0, 0.7),
        ("b2", 1, 0.9), ("b2", 1, 0.9), ("b2", 0, 0.1), ("b2", 0, 0.1),
    ])  # fmt: skip
    groups = pd.Series({"a1": "A", "a2": "A", "b1": "B", "b2": "B"})
    eer = pd.Series({"a1": 0.1, "a2": 0.3, "b1": 0.2, "b2": 0.0})
    t = fairness.group_table(scores, eer, groups, 0.5, min_subjects=2)
    a, b = t.set_index("group").loc["A"], t.set_index("group").loc["B"]
    assert (a.fnmr, a.fmr, a.eer) == (0.25, 0.25, pytest.approx(0.2))
    assert (b.fnmr, b.fmr, b.eer) == (0.0, 0.5, pytest.approx(0.1))
    # 1 - FDR = 0.5 * |0.25 - 0.5| + 0.5 * |0.25 - 0.0|
    assert fairness.disparity(t) == pytest.approx(0.25)


def test_small_groups_are_reported_not_measured():
    scores = _table([(s, lab, v) for s in ("a", "b", "c") for lab, v in ((1, 0.9), (0, 0.1))])
    groups = pd.Series({"a": "X", "b": "X", "c": "Y"})
    t = fairness.group_table(scores, pd.Series({"a": 0, "b": 0, "c": 0}), groups, 0.5,
                             min_subjects=2).set_index("group")  # fmt: skip
    assert t.loc["Y", "status"].startswith("too few subjects (1 < 2)")
    assert t.loc["Y", "fmr"] is None or np.isnan(t.loc["Y", "fmr"])
    assert fairness.disparity(t.reset_index()) is None  # one measurable group only


def test_equal_groups_have_zero_disparity():
    rows = [(s, lab, v) for s in ("a", "b") for lab, v in ((1, 0.9), (1, 0.2), (0, 0.1))]
    t = fairness.group_table(_table(rows), pd.Series({"a": 0.0, "b": 0.0}),
                             pd.Series({"a": "X", "b": "Y"}), 0.5, min_subjects=1)  # fmt: skip
    assert fairness.disparity(t) == 0.0


def test_numeric_attributes_are_binned():
    demo = pd.DataFrame({"Gender": ["F", "M", "M"], "Age": [20, 30, 40]},
                        index=pd.Index([1, 2, 3], name="subject"))  # fmt: skip
    g = fairness.groups_of(demo)
    assert g["gender"].to_dict() == {"1": "F", "2": "M", "3": "M"}
    assert g["age"].to_dict() == {"1": "<25", "2": "25-34", "3": ">=35"}
