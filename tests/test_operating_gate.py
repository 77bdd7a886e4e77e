"""Operating-point metrics as guards: compare flags a challenger that wins the EER but
loses at the a-priori threshold; leaderboard and cite show the guards with intervals."""

from __future__ import annotations

import numpy as np
from record_factory import assert_lateral_move, eer_record

from incumbent.gate import compare as cmp
from incumbent.gate import leaderboard as lb
from incumbent.reports.cite import cite

GUARDS = ["fnmr_at_fmr_1pct", "hter_eval_eer_global", "fnmr_eval_fmr1_global", "rank1"]


def _with_operating(rec: dict, hter: float, fnmr1: float, rank1: float) -> dict:
    rec["protocol"]["params"]["operating_split"] = "subjects"
    rec["metrics"].update(hter_eval_eer_global=hter, fnmr_eval_fmr1_global=fnmr1, rank1=rank1)
    rec["intervals"] = {"hter_eval_eer_global": [hter - 0.02, hter + 0.02],
                        "rank1": [rank1 - 0.05, rank1 + 0.05]}  # fmt: skip
    return rec


def _pair(ch_hter: float, ch_rank1: float = 0.50):
    rng = np.random.default_rng(0)
    inc_eer = rng.uniform(0.10, 0.20, 30)
    incumbent = _with_operating(
        eer_record("incumbent_det", inc_eer, guards={"fnmr_at_fmr_1pct": 0.4},
                   run_id="20260101T000000-incumbent_det-aaaaaa"),
        hter=0.10, fnmr1=0.50, rank1=0.50,
    )  # fmt: skip
    challenger = _with_operating(
        eer_record("challenger_det", inc_eer - 0.03, guards={"fnmr_at_fmr_1pct": 0.4},
                   run_id="20260102T000000-challenger_det-bbbbbb"),
        hter=ch_hter, fnmr1=0.50, rank1=ch_rank1,
    )  # fmt: skip
    for r in (incumbent, challenger):
        r["protocol"]["guard_metrics"] = GUARDS
    return challenger, incumbent


def test_wins_eer_but_regresses_hter_is_a_lateral_move():
    challenger, incumbent = _pair(ch_hter=0.16)
    assert_lateral_move(cmp.compare(challenger, [incumbent]), "hter_eval_eer_global")


def test_same_hter_passes_and_rank1_is_higher_is_better():
    challenger, incumbent = _pair(ch_hter=0.10, ch_rank1=0.70)  # better rank-1: no flag
    c = cmp.compare(challenger, [incumbent])
    assert c.exit_code == cmp.EXIT_WIN
    challenger, incumbent = _pair(ch_hter=0.10, ch_rank1=0.30)  # worse rank-1: flagged
    assert {g.metric for _, g in cmp.compare(challenger, [incumbent]).regressions} == {"rank1"}


def test_leaderboard_and_cite_show_intervals():
    challenger, incumbent = _pair(ch_hter=0.16)
    board = next(iter(lb.boards([challenger, incumbent]).values()))
    row = lb.table(board).iloc[0]
    assert row["hter_eval_eer_global ↓"] == "0.1600 [0.1400, 0.1800]"
    assert row["rank1 ↑"] == "0.5000 [0.4500, 0.5500]"
    assert row["fnmr_eval_fmr1_global ↓"] == "0.5000"  # no interval recorded: bare value
    text = cite(challenger, cmp.compare(challenger, [incumbent]))
    assert "hter_eval_eer_global 0.1600 [0.1400, 0.1800]↓" in text
    assert "guard hter_eval_eer_global: 0.1600 vs 0.1000" in text and "REGRESSES" in text


def test_a_real_lateral_move_in_the_committed_operating_records():
    """CMU: mahalanobis_normed beats euclidean_normed on the per-subject EER, but at the
    development-chosen threshold its evaluation HTER is worse."""
    from incumbent.reports.operating_report import RECORDS
    from incumbent.running import records

    cell = RECORDS / "cmu_dsl" / "killourhy2009-v1"
    challenger = records.read(cell / "mahalanobis_normed.json")
    incumbent = records.read(cell / "euclidean_normed.json")
    c = cmp.compare(challenger, [incumbent])
    assert c.versus[0].outcome == "WIN"
    assert "hter_eval_eer_global" in {g.metric for _, g in c.regressions}
    assert c.exit_code == cmp.EXIT_LATERAL
