"""The gate's decisions at their edges: several incumbents with mixed outcomes, a
protocol-parameter mismatch, a guard exactly at and just over its tolerance, and the
leaderboard's ranking rules. Each test fails on a plausible one-token bug in the gate."""

from __future__ import annotations

import numpy as np
import pytest
from record_factory import eer_record, make_record

from incumbent.gate import compare as cmp
from incumbent.gate import leaderboard as lb

RNG = np.random.default_rng(1)
BASE = RNG.uniform(0.05, 0.25, 40)
NOISE = RNG.normal(0, 0.004, 40)


def challenger(eer, **kw):
    return eer_record("challenger", eer, run_id="20260102T000000-challenger-bbbbbb", **kw)


def test_beating_one_of_two_incumbents_does_not_pass():
    # a clear win against the weak incumbent, a clear loss against the strong one
    weak = eer_record("weak", BASE + 0.05, run_id="20260101T000000-weak-000001")
    strong = eer_record("strong", BASE - 0.05, run_id="20260101T000000-strong-000002")
    c = cmp.compare(challenger(BASE + NOISE), [weak, strong])
    assert [v.outcome for v in c.versus] == ["WIN", "LOSS"]
    assert not c.wins
    assert c.exit_code == cmp.EXIT_NO_WIN
    # and the same two wins make a pass (the rule is "every", not "none lost")
    c2 = cmp.compare(challenger(BASE - 0.08 + NOISE), [weak, strong])
    assert [v.outcome for v in c2.versus] == ["WIN", "WIN"]
    assert c2.wins and c2.exit_code == cmp.EXIT_WIN


def test_a_tie_with_one_incumbent_is_no_pass():
    weak = eer_record("weak", BASE + 0.05, run_id="20260101T000000-weak-000001")
    same = eer_record("same", BASE + NOISE, run_id="20260101T000000-same-000002")
    c = cmp.compare(challenger(BASE + NOISE), [weak, same])
    assert [v.outcome for v in c.versus] == ["WIN", "no significant difference"]
    assert c.exit_code == cmp.EXIT_NO_WIN
    assert c.verdict.startswith("FAIL: the challenger does not win")


def test_other_protocol_parameters_are_incomparable():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    ch = challenger(BASE - 0.02 + NOISE)
    ch["protocol"] = {**ch["protocol"], "params": {"n_train": 6}}
    with pytest.raises(cmp.Incomparable, match=r"protocol parameters differs.*n_train"):
        cmp.compare(ch, [inc])


def test_other_primary_metric_is_incomparable():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    ch = challenger(BASE - 0.02 + NOISE, primary="auc")
    with pytest.raises(cmp.Incomparable, match="primary metric differs"):
        cmp.check_comparable(ch, inc)


def test_same_everything_is_comparable():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    assert cmp.check_comparable(challenger(BASE), inc) is None


@pytest.mark.parametrize(
    "metric,incumbent,at,over",
    [
        # lower is better: worse means higher
        ("zero_miss_far", 0.40, 0.41, 0.4101),
        # higher is better: worse means lower
        ("auc", 0.95, 0.94, 0.9399),
    ],
)
def test_guard_exactly_at_tolerance_holds_and_just_over_regresses(metric, incumbent, at, over):
    at_guard = cmp.Guard(metric, challenger=at, incumbent=incumbent, tolerance=0.01)
    over_guard = cmp.Guard(metric, challenger=over, incumbent=incumbent, tolerance=0.01)
    assert at_guard.worse_by == pytest.approx(0.01)
    assert not at_guard.regresses  # "worse by more than the tolerance"; float error absorbed
    assert over_guard.regresses
    assert over_guard.worse_by == pytest.approx(0.0101)


def test_guard_boundary_is_strict():
    # worse by exactly tolerance + the float slack (both exact in binary): not "more than"
    w = 0.25 + 1e-12
    assert not cmp.Guard("eer", challenger=w, incumbent=0.0, tolerance=0.25).regresses
    assert cmp.Guard("eer", challenger=0.25 + 2e-12, incumbent=0.0, tolerance=0.25).regresses


def test_guard_better_or_missing_never_regresses():
    assert not cmp.Guard("eer", challenger=0.1, incumbent=0.5, tolerance=0.0).regresses
    assert cmp.Guard("eer", challenger=0.1, incumbent=0.5, tolerance=0.0).worse_by == -0.4
    assert cmp.Guard("auc", challenger=0.9, incumbent=0.5, tolerance=0.0).worse_by == -0.4
    assert cmp.Guard("eer", challenger=None, incumbent=0.5, tolerance=0.0).delta is None
    assert not cmp.Guard("eer", challenger=0.5, incumbent=None, tolerance=0.0).regresses


def test_lateral_move_against_one_of_two_incumbents():
    weak = eer_record("weak", BASE + 0.05, run_id="20260101T000000-weak-000001")
    weak2 = eer_record("weak2", BASE + 0.06, run_id="20260101T000000-weak-000002",
                       guards={"auc": 0.99})  # fmt: skip
    c = cmp.compare(challenger(BASE + NOISE), [weak, weak2])
    assert c.wins
    assert [(rid, g.metric) for rid, g in c.regressions] == [(weak2["run_id"], "auc")]
    assert c.exit_code == cmp.EXIT_LATERAL


def test_higher_is_better_primary_metric_decides_win_direction():
    def auc_record(name, auc, run_id):
        return make_record(name, {"auc": list(auc)}, run_id=run_id, primary="auc", guards=[])

    inc = auc_record("inc", 0.80 + NOISE, "20260101T000000-inc-000001")
    up = cmp.compare(auc_record("up", 0.85 + NOISE[::-1], "20260102T000000-up-000002"), [inc])
    down = cmp.compare(auc_record("dn", 0.75 + NOISE[::-1], "20260102T000000-dn-000003"), [inc])
    assert up.versus[0].outcome == "WIN" and up.exit_code == cmp.EXIT_WIN
    assert down.versus[0].outcome == "LOSS" and down.exit_code == cmp.EXIT_NO_WIN


def test_alpha_is_the_significance_threshold():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    c = cmp.compare(challenger(BASE - 0.02 + NOISE), [inc])
    p = c.versus[0].p_holm
    assert cmp.compare(challenger(BASE - 0.02 + NOISE), [inc], alpha=p).exit_code == 1
    assert cmp.compare(challenger(BASE - 0.02 + NOISE), [inc], alpha=p * 1.01).exit_code == 0


# -- leaderboard ranking ---------------------------------------------------------------


def test_metric_value_prefers_exact_key_then_mean():
    rec = make_record("a", {"eer": [0.1, 0.3]})
    assert lb.metric_value(rec, "eer") == pytest.approx(0.2)
    rec["metrics"]["eer"] = 0.7
    assert lb.metric_value(rec, "eer") == 0.7
    assert lb.metric_value(rec, "nothing") is None


@pytest.mark.parametrize(
    "metric,higher",
    [("auc", True), ("AUC_block", True), ("accuracy", True), ("tar_at_far", True),
     ("gar", True), ("eer", False), ("zero_miss_far", False), ("fnmr_at_fmr_1pct", False)],
)  # fmt: skip
def test_direction_by_name(metric, higher):
    assert lb.higher_is_better(metric) is higher


def test_board_ranks_lower_eer_first_and_higher_auc_first():
    lo = make_record("lo", {"eer": [0.1, 0.1]}, run_id="20260101T000000-lo-000001")
    hi = make_record("hi", {"eer": [0.3, 0.3]}, run_id="20260101T000000-hi-000002")
    (board,) = lb.boards([hi, lo]).values()
    assert [r["baseline"] for r in board.entries] == ["lo", "hi"]
    a_lo = make_record("alo", {"auc": [0.6, 0.6]}, run_id="20260101T000000-alo-3", primary="auc")
    a_hi = make_record("ahi", {"auc": [0.9, 0.9]}, run_id="20260101T000000-ahi-4", primary="auc")
    (board,) = lb.boards([a_lo, a_hi]).values()
    assert board.incumbent["baseline"] == "ahi"


def test_best_run_per_baseline_and_run_count():
    runs = [make_record("a", {"eer": [v, v]}, run_id=f"20260101T00000{k}-a-00000{k}")
            for k, v in enumerate([0.3, 0.1, 0.2])]  # fmt: skip
    (board,) = lb.boards(runs).values()
    assert len(board.entries) == 1 and board.entries[0]["run_id"] == runs[1]["run_id"]
    assert board.runs == {"a": 3}


def test_tie_goes_to_the_older_run_and_missing_metric_ranks_last():
    old = make_record("old", {"eer": [0.2, 0.2]}, run_id="20260101T000000-old-000001")
    new = make_record("new", {"eer": [0.2, 0.2]}, run_id="20260102T000000-new-000002")
    none = make_record("none", {"far": [0.0, 0.0]}, run_id="20250101T000000-none-000003")
    (board,) = lb.boards([new, none, old]).values()
    assert [r["baseline"] for r in board.entries] == ["old", "new", "none"]


def test_records_of_other_cells_are_other_boards():
    a = make_record("a", {"eer": [0.1, 0.2]}, run_id="20260101T000000-a-000001")
    b = make_record("b", {"eer": [0.1, 0.2]}, run_id="20260101T000000-b-000002", version=2)
    c = make_record("c", {"eer": [0.1, 0.2]}, run_id="20260101T000000-c-000003", dataset="x")
    assert len(lb.boards([a, b, c])) == 3
    assert lb.incumbent_for(a, [a, b, c]) is None


def test_incumbent_for_skips_itself_and_its_reruns():
    a = make_record("a", {"eer": [0.1, 0.1]}, run_id="20260101T000000-a-000001")
    rerun = make_record("a", {"eer": [0.05, 0.05]}, run_id="20260101T000000-a-000002")
    rerun["config_hash"] = a["config_hash"]
    b = make_record("b", {"eer": [0.2, 0.2]}, run_id="20260101T000000-b-000003")
    c = make_record("c", {"eer": [0.3, 0.3]}, run_id="20260101T000000-c-000004")
    assert lb.incumbent_for(a, [a, rerun, b, c])["run_id"] == b["run_id"]


def test_subject_mismatch_message_lists_at_most_five_each_way():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    subjects = [f"s{k:03d}" for k in range(34)] + [f"x{k}" for k in range(6)]
    with pytest.raises(cmp.Incomparable) as e:
        cmp.check_comparable(challenger(BASE, subjects=subjects), inc)
    assert "only in the first: ['x0', 'x1', 'x2', 'x3', 'x4']..." in str(e.value)
    assert "only in the second: ['s034', 's035', 's036', 's037', 's038']..." in str(e.value)
    five = [f"s{k:03d}" for k in range(35)] + [f"x{k}" for k in range(5)]
    with pytest.raises(cmp.Incomparable, match=r"\['x0', 'x1', 'x2', 'x3', 'x4'\];"):
        cmp.check_comparable(challenger(BASE, subjects=five), inc)


def test_per_subject_rows_without_the_metric_are_incomparable():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    for row in inc["per_subject"]:
        del row["eer"]
    with pytest.raises(cmp.Incomparable, match="per_subject rows lack 'eer'"):
        cmp.compare(challenger(BASE - 0.02), [inc])


def test_nothing_to_compare_and_resample_floor():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    with pytest.raises(ValueError, match="nothing to compare"):
        cmp.compare(challenger(BASE), [])
    with pytest.raises(ValueError, match="at least 1000"):
        cmp.compare(challenger(BASE), [inc], n_resamples=999)
    c = cmp.compare(challenger(BASE - 0.02 + NOISE), [inc], n_resamples=1000)
    assert c.versus[0].result.n_resamples == 1000


def test_seed_and_resamples_reach_the_bootstrap():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    ch = challenger(BASE - 0.02 + NOISE)
    a = cmp.compare(ch, [inc], seed=3, n_resamples=1500).versus[0].result
    b = cmp.compare(ch, [inc], seed=3, n_resamples=1500).versus[0].result
    other = cmp.compare(ch, [inc], seed=4, n_resamples=1500).versus[0].result
    assert a.ci == b.ci and a.ci != other.ci
    assert (a.seed, a.n_resamples) == (3, 1500)


def test_values_and_guards_come_from_the_right_records():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    ch = challenger(BASE - 0.02 + NOISE, guards={"auc": 0.90})
    v = cmp.compare(ch, [inc], tolerances={"auc": 0.2}).versus[0]
    assert v.challenger_value == pytest.approx(float(np.mean(BASE - 0.02 + NOISE)))
    assert v.incumbent_value == pytest.approx(float(np.mean(BASE)))
    auc = [g for g in v.guards if g.metric == "auc"][0]
    assert (auc.challenger, auc.incumbent, auc.tolerance) == (0.90, 0.95, 0.2)
    assert [g.metric for g in v.guards] == ["fnmr_at_fmr_1pct", "zero_miss_far", "auc"]
    assert all(g.tolerance == cmp.DEFAULT_TOLERANCE for g in v.guards if g.metric != "auc")


def test_protocol_defaults_primary_eer_and_no_guards():
    rec = make_record("a", {"eer": [0.1, 0.2]})
    del rec["protocol"]["primary_metric"]
    rec["protocol"]["guard_metrics"] = None
    assert lb.primary_metric(rec) == "eer" and lb.guard_metrics(rec) == []
    del rec["protocol"]["guard_metrics"]
    assert lb.guard_metrics(rec) == []


def test_board_key_ignores_parameter_order_and_cell_uses_int_version():
    a = make_record("a", {"eer": [0.1, 0.2]}, version="2")
    b = make_record("b", {"eer": [0.1, 0.2]}, version=2)
    a["protocol"]["params"] = {"x": 1, "y": 2}
    b["protocol"]["params"] = {"y": 2, "x": 1}
    assert lb.cell(a) == ("toy", "toyproto", 2) == lb.cell(b)
    assert lb.board_key(a) == lb.board_key(b) == ("toy", "toyproto", 2, "x=1, y=2")
    assert lb.cell_label(lb.board_key(a)) == "toy / toyproto v2 (x=1, y=2)"
    b["protocol"]["params"] = None
    assert lb.board_key(b) == ("toy", "toyproto", 2, "")


def test_tie_goes_to_the_committed_record_even_if_newer(tmp_path):
    old = make_record("old", {"eer": [0.2, 0.2]}, run_id="20260101T000000-old-000001")
    new = make_record("new", {"eer": [0.2, 0.2]}, run_id="20260102T000000-new-000002")
    old["_source"], new["_source"] = str(tmp_path), str(lb.COMMITTED)
    (board,) = lb.boards([old, new]).values()
    assert [r["baseline"] for r in board.entries] == ["new", "old"]


def test_load_keeps_a_run_once_from_the_first_source(tmp_path):
    from record_factory import save

    first, second = tmp_path / "first", tmp_path / "second"
    rec = make_record("a", {"eer": [0.1, 0.2]}, run_id="20260101T000000-a-000001")
    save(dict(rec), first)
    save(dict(rec), second)
    save(make_record("b", {"eer": [0.1, 0.2]}, run_id="20260101T000000-b-000002"), second)
    loaded = lb.load([tmp_path / "absent", first, second])
    assert sorted(r["run_id"] for r in loaded) == [rec["run_id"], "20260101T000000-b-000002"]
    by_id = {r["run_id"]: r["_source"] for r in loaded}
    assert by_id == {rec["run_id"]: str(first), "20260101T000000-b-000002": str(second)}


def test_source_name_tells_committed_from_local(tmp_path):
    rec = make_record("a", {"eer": [0.1, 0.2]})
    assert lb._source_name({**rec, "_source": str(lb.COMMITTED)}) == "committed"
    assert lb._source_name({**rec, "_source": str(tmp_path)}) == "local"
    assert lb._source_name(rec) == "local"  # no source recorded: not a committed record


def test_compare_default_seed_and_resamples_are_recorded():
    inc = eer_record("incumbent", BASE, run_id="20260101T000000-incumbent-aaaaaa")
    r = cmp.compare(challenger(BASE - 0.02 + NOISE), [inc]).versus[0].result
    assert (r.seed, r.n_resamples) == (0, cmp.N_RESAMPLES) == (0, 2000)
