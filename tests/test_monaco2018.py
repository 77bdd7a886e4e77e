"""Protocol monaco2018: the EER and continuous-verification rules on hand-made cases,
the folds, and the loaders on the real files (fixed-length view = the authors' tables)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incumbent.evaluation import metrics
from incumbent.evaluation import monaco2018 as mm
from incumbent.protocols.monaco2018 import Monaco2018, summary


def test_eer_is_the_roc_crossing_of_adjacent_points():
    # genuine 0.9, 0.6, 0.3; impostor 0.7, 0.2, 0.1: at t = 0.6 FAR 1/3 FRR 1/3 exactly
    labels = [1, 1, 1, 0, 0, 0]
    scores = [0.9, 0.6, 0.3, 0.7, 0.2, 0.1]
    assert mm.eer_roc_crossing(labels, scores) == pytest.approx(1 / 3)
    rng = np.random.default_rng(0)
    g, i = rng.normal(1, 1, 40), rng.normal(0, 1, 300)
    lab = np.r_[np.ones(40), np.zeros(300)]
    # same polyline as Killourhy & Maxion's rule (float32 rounding aside)
    assert mm.eer_roc_crossing(lab, np.r_[g, i]) == pytest.approx(metrics.eer_km(g, i), abs=1e-6)


def test_eer_interpolates_between_points():
    # FAR/FRR jump past each other between two thresholds: interpolated, not nearest
    labels = [1, 1, 0, 0]
    scores = [0.8, 0.4, 0.6, 0.1]
    assert mm.eer_roc_crossing(labels, scores) == pytest.approx(0.5)


def test_min_max_per_query_spans_zero_to_one():
    raw = np.array([[-10.0, 3.0], [-20.0, 5.0], [-15.0, 4.0]])
    n = mm.min_max_per_query(raw)
    np.testing.assert_allclose(n[:, 0], [1.0, 0.0, 0.5])
    np.testing.assert_allclose(n[:, 1], [0.0, 1.0, 0.5])


def test_max_rejection_time_by_hand():
    # 3 models, 1 query of 6 events; model 0 is the query's own user
    ev = np.array([[[0, 0, 0, 0, 0, 0]], [[-1, -1, 5, -1, -1, -1]], [[1, -2, -2, -2, 1, -2]]],
                  dtype=float)  # fmt: skip
    # ranks (0 = best): model 0: 1,0,1,0,1,0; model 1: 2,1,0,1,2,1; model 2: 0,2,2,2,0,2
    p = mm.penalty(ev, window=2)
    np.testing.assert_array_equal(p[0, 0], [1, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(p[1, 0], [2, 3, 1, 1, 3, 3])
    np.testing.assert_array_equal(p[2, 0], [0, 2, 4, 4, 2, 2])
    mrt = mm.max_rejection_time(ev, np.array([0]), window=2)
    np.testing.assert_array_equal(mrt[:, 0], [6, 0, 1])  # threshold = 1 (own max)


def test_ties_share_the_average_rank():
    ev = np.array([[[1.0]], [[1.0]], [[0.0]]])
    np.testing.assert_array_equal(mm.penalty(ev, 25)[:, 0, 0], [0.5, 0.5, 2.0])


def test_summary_accuracy_and_amrt_from_a_scores_table():
    rows = []
    for q_user, best in (("a", "a"), ("b", "a")):  # user a identified, user b not
        for ref in ("a", "b"):
            rows.append({"fold": 0, "subject": ref, "probe_subject": q_user, "query_session": 0,
                         "raw": 1.0 if ref == best else 0.0,
                         "score": 1.0 if ref == best else 0.0,
                         "label": int(ref == q_user), "mrt": 3.0 if ref != q_user else 9.0})  # fmt: skip
    out = summary(pd.DataFrame(rows))
    assert out["u_acc_mean"] == 0.5 and out["fold_acc_mean"] == 0.5
    assert out["amrt_mean"] == 3.0


class _Split:
    def __init__(self, split, sessions):
        self.extra = {"split": split}
        self.frame = pd.DataFrame({"session": sessions})


def test_folds():
    loso = Monaco2018.folds(_Split("leave_one_session_out", [0, 1, 2, 0, 1, 2]))
    assert len(loso) == 3 and loso[1][1].tolist() == [False, True, False] * 2
    assert (loso[1][0] == ~loso[1][1]).all()
    pw = Monaco2018.folds(_Split({"train": [150, 200], "query": [200, 400]}, [149, 150, 199, 200]))
    assert [m.tolist() for m in pw[0]] == [[False, True, True, False], [False, False, False, True]]


@pytest.mark.parametrize("name", ["monaco_keypad", "monaco_mobile", "monaco_mobile_sensor"])
def test_fixed_length_view_matches_the_authors_tables(name, data_dir):
    from incumbent.data.loaders import monaco

    ds = monaco.load(name, data_dir)
    table = "mobile_sensor" if name.endswith("sensor") else name.removeprefix("monaco_")
    tab = pd.read_csv(data_dir / "monaco_pohmm_preprocessed" / f"{table}_features.csv")
    tab = tab.sort_values(["user", "session"], kind="stable")
    np.testing.assert_allclose(ds.frame[ds.features].to_numpy(),
                               tab.drop(columns=["user", "session"]).to_numpy(), rtol=1e-12)  # fmt: skip
    ev = ds.extra["events"]
    assert ev.shape[1] == 11 and (ev[:, :, 1:3] > 0).all()
    np.testing.assert_array_equal(np.median(ev[:, 1:, 2], axis=1), ev[:, 0, 2])  # first tau


def test_password_events_from_the_cmu_file(data_dir):
    from incumbent.data.loaders import monaco

    ds = monaco.load("monaco_password", data_dir)
    raw = pd.read_csv(data_dir / "cmu_keystroke_strong_password" / "DSL-StrongPasswordData.csv")
    ev = ds.extra["events"]
    assert ev.shape == (20400, 11, 3) and set(ds.frame["session"]) == set(range(400))
    # first user, sessionIndex 4 rep 1 = renumbered session 150
    row = raw[(raw["subject"] == raw["subject"].iloc[0]) & (raw["sessionIndex"] == 4)].iloc[0]
    k = np.flatnonzero((ds.frame["subject"] == "0").to_numpy() & (ds.frame["session"] == 150))[0]
    dd = row[[c for c in raw.columns if c.startswith("DD.")]].to_numpy(float) * 1000
    np.testing.assert_allclose(ev[k, 1:, 2], dd)
    np.testing.assert_allclose(ev[k, :, 1], row[[c for c in raw.columns if c.startswith("H.")]]
                               .to_numpy(float) * 1000)  # fmt: skip
    keys = [ds.extra["keys"][int(c)] for c in ev[k, :, 0]]
    assert "".join(keys[:-1]) == ".tie5Roanl" and keys[-1] == "enter"
