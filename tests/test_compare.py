"""The comparison gate: win, loss, tie, lateral move, mismatches, Holm, tolerances."""

from __future__ import annotations

import numpy as np
import pytest
from record_factory import assert_lateral_move, eer_record

from incumbent.evaluation import stats
from incumbent.gate import compare as cmp

RNG = np.random.default_rng(0)
BASE = RNG.uniform(0.05, 0.25, 40)
NOISE = RNG.normal(0, 0.004, 40)


def incumbent(**kw):
    return eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa", **kw)


def challenger(eer, **kw):
    return eer_record("challenger", eer, run_id="20260102T000000-challenger-bbbbbb", **kw)


def test_clear_win_passes_the_gate():
    c = cmp.compare(challenger(BASE - 0.02 + NOISE), [incumbent()])
    v = c.versus[0]
    assert v.outcome == "WIN" and v.result.mean_delta == pytest.approx(-0.02, abs=0.003)
    assert v.result.ci[1] < 0 and v.result.p < 1e-6
    assert not c.regressions
    assert c.exit_code == cmp.EXIT_WIN == 0


def test_clear_loss_fails():
    c = cmp.compare(challenger(BASE + 0.02 + NOISE), [incumbent()])
    assert c.versus[0].outcome == "LOSS"
    assert c.exit_code == cmp.EXIT_NO_WIN


def test_identical_system_is_no_win():
    c = cmp.compare(challenger(BASE), [incumbent()])
    v = c.versus[0]
    assert v.result.p == 1.0 and v.result.ci == (0.0, 0.0)
    assert v.outcome == "no significant difference" and c.exit_code == cmp.EXIT_NO_WIN


def test_lateral_move_is_flagged():
    # better EER, but zero-miss FAR worse by 0.10 (> 0.01 tolerance): a lateral move
    c = cmp.compare(challenger(BASE - 0.02 + NOISE, guards={"zero_miss_far": 0.60}), [incumbent()])
    assert_lateral_move(c, "zero_miss_far")


def test_guard_direction_and_tolerance():
    # auc is higher-is-better: a lower AUC is a regression, a higher one is not
    worse = cmp.compare(challenger(BASE - 0.02 + NOISE, guards={"auc": 0.90}), [incumbent()])
    better = cmp.compare(challenger(BASE - 0.02 + NOISE, guards={"auc": 0.99}), [incumbent()])
    assert [g.metric for _, g in worse.regressions] == ["auc"]
    assert not better.regressions
    # 0.005 worse: within the 0.01 default, beyond a stated 0.001
    slight = challenger(BASE - 0.02 + NOISE, guards={"fnmr_at_fmr_1pct": 0.405})
    assert cmp.compare(slight, [incumbent()]).exit_code == cmp.EXIT_WIN
    strict = cmp.compare(slight, [incumbent()], tolerances={"fnmr_at_fmr_1pct": 0.001})
    assert strict.exit_code == cmp.EXIT_LATERAL


@pytest.mark.parametrize(
    "change,what",
    [
        ({"protocol": "otherproto"}, "protocol differs"),
        ({"version": 2}, "protocol version differs"),
        ({"checksum": "deadbeef"}, "dataset checksum differs"),
        ({"dataset": "other"}, "dataset differs"),
    ],
)
def test_mismatched_records_are_refused(change, what):
    with pytest.raises(cmp.Incomparable, match=what):
        cmp.compare(challenger(BASE - 0.02, **change), [incumbent()])


def test_mismatched_subjects_are_refused():
    subjects = [f"s{k:03d}" for k in range(39)] + ["x999"]
    with pytest.raises(cmp.Incomparable, match=r"subject sets differ.*x999.*s039"):
        cmp.compare(challenger(BASE - 0.02, subjects=subjects), [incumbent()])


def test_pairing_follows_subject_ids_not_row_order():
    inc = incumbent()
    ch = challenger(BASE - 0.02 + NOISE)
    ch["per_subject"] = ch["per_subject"][::-1]
    assert cmp.compare(ch, [inc]).versus[0].result.mean_delta == pytest.approx(
        float(np.mean(NOISE - 0.02))
    )


def test_holm_over_several_incumbents():
    # centred noise shifted by -0.0018: raw Wilcoxon p ~ 0.026, a win against one incumbent;
    # against three equal incumbents Holm multiplies it by 3 (~ 0.078): no longer a win
    eer = BASE + NOISE - NOISE.mean() - 0.0018
    alone = cmp.compare(challenger(eer), [incumbent()])
    assert 0.0167 < alone.versus[0].result.p < 0.05 and alone.exit_code == cmp.EXIT_WIN
    incs = [eer_record(f"inc{k}", BASE, run_id=f"20260101T00000{k}-inc{k}-c") for k in range(3)]
    c = cmp.compare(challenger(eer), incs)
    raw = [v.result.p for v in c.versus]
    assert [v.p_holm for v in c.versus] == pytest.approx(stats.holm(raw))
    assert all(v.p_holm == pytest.approx(3 * raw[0]) for v in c.versus)
    assert c.exit_code == cmp.EXIT_NO_WIN


def test_too_few_resamples_refused():
    with pytest.raises(ValueError, match="1000"):
        cmp.compare(challenger(BASE), [incumbent()], n_resamples=500)


def test_runs_under_other_protocol_params_are_other_boards():
    from record_factory import make_record

    from incumbent.gate import leaderboard as lb

    a = make_record("a", {"eer": [0.1, 0.2, 0.3]}, run_id="20260101T000000-a-000001")
    b = make_record("b", {"eer": [0.2, 0.3, 0.4]}, run_id="20260101T000000-b-000002")
    b["protocol"] = {**b["protocol"], "params": {"n_train": 5, "gallery_size": 7}}
    boards = lb.boards([a, b])
    assert len(boards) == 2
    assert lb.incumbent_for(a, [a, b]) is None
