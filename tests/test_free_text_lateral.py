"""The generated sentences of the free-text G x M block (reports/free_text_report)."""

from __future__ import annotations

import pandas as pd

from incumbent.reports import free_text_report
from incumbent.reports.free_text_report import lateral_moves


def _cells(rows):
    return pd.DataFrame(rows, columns=["baseline", "G", "M", "eer", "fnmr1"])


def test_lateral_move_needs_an_eer_win_and_a_guard_loss_beyond_tolerance():
    df = _cells([
        ("typenet", 1, 30, 0.20, 0.90), ("gunetti_picardi_a", 1, 30, 0.30, 0.85),  # lateral
        ("typenet", 5, 30, 0.20, 0.90), ("gunetti_picardi_a", 5, 30, 0.30, 0.895),  # in tol.
        ("typenet", 5, 50, 0.35, 0.99), ("gunetti_picardi_a", 5, 50, 0.30, 0.50),  # EER loss
    ])  # fmt: skip
    text = lateral_moves(df)
    assert "lower per-subject EER than **gunetti_picardi_a** in 2 of 3 cells" in text
    assert "in 1 of them" in text and text.rstrip().endswith("wins: G = 1 M = 30.")


def test_no_lateral_move_is_said_plainly():
    df = _cells([("typenet", 1, 30, 0.20, 0.50), ("gunetti_picardi_a", 1, 30, 0.30, 0.85)])
    assert lateral_moves(df).endswith("in 1 of 1 cells; in none of them is gunetti_picardi_a's "
                                      "global FNMR at FMR 1 % lower by more than the gate's "
                                      "guard tolerance (0.01), so by the kit's own rule none is a "
                                      "lateral move.\n")  # fmt: skip


def test_no_shared_cells_no_sentence():
    assert lateral_moves(_cells([("typenet", 1, 30, 0.2, 0.9)])) == ""


def _trained(steps: int) -> pd.Series:
    return pd.Series({"steps": steps, "epochs": 300, "steps_per_epoch": 50, "val_patience": 10})


def test_training_sentence_says_what_ended_training():
    """``epochs`` in a record is the cap; fewer steps than the cap means the patience rule."""
    assert (
        free_text_report._training_run(_trained(15000))
        == "trained 300 epochs (15000 steps, the cap)"
    )
    stopped = free_text_report._training_run(_trained(9800))
    assert stopped.startswith("trained 9800 steps, stopped by the patience rule (10 checks")
    assert "cap 300 x 50 = 15000 steps" in stopped
