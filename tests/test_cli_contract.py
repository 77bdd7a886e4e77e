"""The command line's contract: every bad argument is exit 2 with a one-line message (no
traceback), unknown metric names are errors, ranges are checked, and no command
overwrites an output with an empty result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from record_factory import eer_record, save

from incumbent.cli import main

ROOT = Path(__file__).resolve().parent.parent
RNG = np.random.default_rng(7)
BASE = RNG.uniform(0.05, 0.25, 20)


@pytest.fixture
def store(tmp_path):
    root = tmp_path / "recs"
    inc = eer_record("inc", BASE, run_id="20260101T000000-inc-aaaaaa")
    ch = eer_record("ch", BASE - 0.02, run_id="20260102T000000-ch-bbbbbb")
    for r in (inc, ch):
        save(r, root)
    return root, inc, ch


def exit_code(capsys, *argv) -> tuple[int, str]:
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    return code, err


@pytest.mark.parametrize(
    "args, says",
    [(["--resamples", "10"], "at least 1000"),
     (["--resamples", "many"], "not an integer"),
     (["--alpha", "2"], "lies in (0, 1)"),
     (["--alpha", "0"], "lies in (0, 1)"),
     (["--seed", "-3"], "seed is an integer >= 0"),
     (["--default-tolerance", "-0.1"], "tolerance lies in [0, 1)"),
     (["--tolerance", "auc"], "expected METRIC=NUMBER"),
     (["--tolerance", "auc=x"], "not a number"),
     (["--tolerance", "zero_mis_far=0.02"], "zero_mis_far: not a guard metric"),
     (["--records", "/no/such/folder"], "no such file or folder")],
)  # fmt: skip
def test_bad_compare_arguments_are_exit_2_with_one_line(store, capsys, args, says):
    root, _, ch = store
    argv = ["compare", ch["run_id"], *args]
    if "--records" not in args:
        argv += ["--records", root]
    code, err = exit_code(capsys, *argv)
    assert code == 2
    assert says in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_known_tolerance_is_used(store, capsys):
    root, _, ch = store
    code, _ = exit_code(capsys, "compare", ch["run_id"], "--records", root,
                        "--tolerance", "zero_miss_far=0.02")  # fmt: skip
    assert code == 0


def test_bad_subcommand_and_missing_argument_are_one_line(capsys):
    for argv in (["frobnicate"], ["compare"], ["plot", "x", "--data-dir", "/no/such"]):
        code, err = exit_code(capsys, *argv)
        assert code == 2 and len(err.strip().splitlines()) == 1, err


def test_leaderboard_without_a_match_keeps_the_old_output(store, tmp_path, capsys):
    root, _, _ = store
    out = tmp_path / "leaderboard.md"
    assert main(["leaderboard", "--records", str(root), "--out", str(out)]) == 0
    before = out.read_text()
    assert "inc" in before
    code, err = exit_code(
        capsys, "leaderboard", "--records", root, "--out", out, "--dataset", "cmu"
    )
    assert code == 2 and "no records match --dataset cmu" in err and "toy/toyproto" in err
    assert out.read_text() == before
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = exit_code(capsys, "leaderboard", "--records", empty, "--out", out)
    assert code == 4 and "nothing written" in err
    assert out.read_text() == before


def test_compare_with_few_resamples_is_not_a_traceback_in_a_subprocess(store):
    root, _, ch = store
    proc = subprocess.run([sys.executable, "-m", "incumbent.cli", "compare", ch["run_id"],
                           "--records", str(root), "--resamples", "10"], cwd=ROOT,
                          capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
