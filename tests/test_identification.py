"""Closed-set identification: analytic fixtures, the tie rule, and a brute-force reference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incumbent.evaluation.identification import cmc, from_long, rank_k_accuracy, ranks


def test_analytic_ranks_and_cmc():
    s = np.array([[0.9, 0.1, 0.2],   # own model 0 best -> rank 1
                  [0.9, 0.5, 0.2],   # own model 1 second -> rank 2
                  [0.9, 0.5, 0.2]])  # own model 2 last -> rank 3  # fmt: skip
    truth = [0, 1, 2]
    assert ranks(s, truth).tolist() == [1, 2, 3]
    assert cmc(s, truth).tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert rank_k_accuracy(s, truth, 1) == pytest.approx(1 / 3)
    assert rank_k_accuracy(s, truth, 3) == 1.0


def test_ties_count_against_the_probe():
    s = np.array([[0.5, 0.5, 0.1]])
    assert ranks(s, [0]).tolist() == [2]  # tied with model 1: not rank 1
    assert ranks(np.array([[0.5, 0.5, 0.5]]), [2]).tolist() == [3]


def _reference_ranks(s, truth):
    out = []
    for p, t in enumerate(truth):
        better_or_equal = sum(1 for m in range(s.shape[1]) if m != t and s[p, m] >= s[p, t])
        out.append(1 + better_or_equal)
    return np.array(out)


@pytest.mark.parametrize("seed", range(5))
def test_matches_a_brute_force_reference(seed):
    rng = np.random.default_rng(seed)
    s = np.round(rng.normal(size=(60, 7)), 1)  # ties included
    truth = rng.integers(0, 7, 60)
    r = ranks(s, truth)
    assert r.tolist() == _reference_ranks(s, truth).tolist()
    curve = cmc(s, truth)
    assert np.all(np.diff(curve) >= 0) and curve[-1] == 1.0
    for k in range(1, 8):
        assert curve[k - 1] == pytest.approx(np.mean(r <= k))


def test_from_long_table_and_closed_set_checks():
    rows = [(p, m, float(p == m), p) for p in ("a", "b") for m in ("a", "b")]
    t = pd.DataFrame(rows, columns=["probe", "model", "score", "probe_subject"])
    matrix, truth, models, _ = from_long(t)
    assert models == ["a", "b"] and ranks(matrix, truth).tolist() == [1, 1]
    with pytest.raises(ValueError, match="every model"):
        from_long(t.iloc[:-1])
    with pytest.raises(ValueError, match="truth"):
        ranks(np.zeros((1, 2)), [2])
    with pytest.raises(ValueError, match="finite"):
        ranks(np.array([[np.nan, 1.0]]), [0])
