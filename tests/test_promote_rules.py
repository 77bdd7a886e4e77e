"""Promote and the default incumbent are keyed by protocol name, version and parameters;
dirty-tree and tuned-sweep records are never promoted nor picked by default (named, they
still compare, marked); dirty means dirty (untracked code counts) and ``cite`` says so."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from record_factory import eer_record, save

from incumbent.cli import main
from incumbent.gate import eligibility
from incumbent.gate import leaderboard as lb
from incumbent.running import records

RNG = np.random.default_rng(5)
BASE = RNG.uniform(0.05, 0.25, 25)
PAPER = {"protocol": "killourhy2009", "params": {"n_train": 200, "n_impostor_reps": 5}}
DIRTY = {"sha": "0123456789abcdef0123456789abcdef01234567", "dirty": True}


def run_cli(*argv):
    return main([str(a) for a in argv])


def committed_cell(dest, src):
    """The committed manhattan_scaled incumbent of the paper's setting."""
    inc = eer_record("manhattan_scaled", BASE, run_id="20260101T000000-manhattan_scaled-aaaaaa",
                     reported={"eer_mean": 0.0962}, **PAPER)  # fmt: skip
    assert run_cli("promote", save(inc, src), "--to", dest) == 0
    return inc


def test_other_parameters_never_replace_the_incumbent(tmp_path, capsys):
    src, dest = tmp_path / "results", tmp_path / "incumbents"
    inc = committed_cell(dest, src)
    # the run: protocol.n_train=-5 is refused now; n_train=100 is another contest
    other = eer_record("manhattan_scaled", BASE - 0.05, reported={"eer_mean": 0.0962},
                       run_id="20260102T000000-manhattan_scaled-bbbbbb", protocol="killourhy2009",
                       params={"n_train": 100, "n_impostor_reps": 5})  # fmt: skip
    other["started"] = "2026-01-02T00:00:00+00:00"
    path = save(other, src)
    target = dest / "toy" / "killourhy2009-v1" / "manhattan_scaled.json"
    assert run_cli("promote", path, "--to", dest, "--reported-only") == 0
    assert json.loads(target.read_text())["run_id"] == inc["run_id"]
    assert "not the paper's" in capsys.readouterr().out
    for flag in ([], ["--force"]):
        assert run_cli("promote", path, "--to", dest, *flag) == 0
        assert json.loads(target.read_text())["run_id"] == inc["run_id"]
    # it is committed beside it, a board of its own
    (own,) = target.parent.glob("manhattan_scaled.params-*.json")
    assert json.loads(own.read_text())["run_id"] == other["run_id"]
    boards = lb.boards(lb.load([dest]))
    assert {b.incumbent["run_id"] for b in boards.values()} == {inc["run_id"], other["run_id"]}


def test_a_committed_record_of_other_parameters_is_never_replaced(tmp_path):
    from incumbent.gate import promote
    from incumbent.running import integrity

    dest = tmp_path / "incumbents"
    paper = eer_record("manhattan_scaled", BASE, run_id="20260103T000000-manhattan_scaled-c",
                       **PAPER)  # fmt: skip
    # a file at the paper-setting name holding other parameters (committed before the rule)
    other = eer_record("manhattan_scaled", BASE - 0.05, protocol="killourhy2009",
                       run_id="20260102T000000-manhattan_scaled-bbbbbb",
                       params={"n_train": 100, "n_impostor_reps": 5})  # fmt: skip
    target = promote.destination(paper, dest)
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(other))
    integrity.write_manifest(dest, rebuild=True)
    for force in (False, True):
        msgs = promote.promote([paper], root=dest, force=force)
        assert "other protocol parameters" in msgs[0]
        assert json.loads(target.read_text())["run_id"] == other["run_id"]


@pytest.mark.parametrize(
    "change, why",
    [({"git": DIRTY}, "dirty tree"),
     ({"code_version": "0123abc+dirty.abcdef123456"}, "dirty tree"),
     ({"sweep": {"sweeper": "hydra_plugins.hydra_optuna_sweeper.optuna_sweeper.OptunaSweeper",
                 "tuned": True}}, "tuned sweep"),
     ({"command": "run.py -m hydra/sweeper=optuna_isolation_forest"}, "tuned sweep")],
    ids=["git-dirty", "code-version-dirty", "optuna-block", "optuna-command"],
)  # fmt: skip
def test_dirty_and_tuned_records_are_never_promoted_or_default(tmp_path, capsys, change, why):
    src, dest = tmp_path / "results", tmp_path / "incumbents"
    committed_cell(dest, src)
    capsys.readouterr()
    bad = eer_record("isolation_forest", BASE - 0.04, run_id="20260103T000000-isolation_forest-c",
                     **PAPER)  # fmt: skip
    bad.update(change)
    ch = eer_record("challenger", BASE - 0.01, run_id="20260104T000000-challenger-d", **PAPER)
    bad_path, _ = save(bad, src), save(ch, src)
    assert eligibility.reasons(bad)[0].startswith(why)
    # promote refuses it, even with --force
    assert run_cli("promote", bad_path, "--to", dest, "--force") == 0
    assert "refused" in capsys.readouterr().out
    assert not (dest / "toy" / "killourhy2009-v1" / "isolation_forest.json").exists()
    # the leaderboard ranks it after every eligible run and never calls it the incumbent
    recs = lb.load([dest, src])
    board = lb.boards(recs)[lb.board_key(ch)]
    assert board.incumbent["baseline"] == "challenger"
    assert lb.incumbent_for(ch, recs)["baseline"] == "manhattan_scaled"
    table = lb.table(board)
    row = table[table["run id"] == bad["run_id"]].iloc[0]
    assert why in row["baseline"] and "(incumbent)" not in row["baseline"]
    # compare picks the eligible incumbent by default ...
    assert run_cli("compare", ch["run_id"], "--records", dest, "--records", src) in (0, 1)
    out = capsys.readouterr().out
    assert "manhattan_scaled" in out and "isolation_forest" not in out
    # ... and a named ineligible record still compares, marked as such
    run_cli("compare", ch["run_id"], bad["run_id"], "--records", dest, "--records", src)
    assert f"isolation_forest ({bad['run_id']}) [{why}" in capsys.readouterr().out


def test_untracked_code_makes_the_tree_dirty(tmp_path):
    repo = tmp_path / "repo"
    (repo / "conf" / "baseline").mkdir(parents=True)
    (repo / "README.md").write_text("docs\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    assert records.git_state(repo)["dirty"] is False
    (repo / "notes.txt").write_text("not code\n")  # untracked, but not under a code folder
    assert records.git_state(repo)["dirty"] is False
    # a new baseline added as untracked files, as the README tells a user to
    (repo / "conf" / "baseline" / "mine.yaml").write_text("name: mine\n")
    assert records.git_state(repo)["dirty"] is True


def test_cite_of_a_dirty_record_says_so_and_gives_no_reproduce_command(tmp_path, capsys):
    rec = eer_record("mine", BASE, git=dict(DIRTY))
    save(rec, tmp_path)
    assert run_cli("cite", rec["_path"]) == 0
    md = capsys.readouterr().out
    assert "dirty" in md and "NOT ELIGIBLE as an incumbent: dirty tree" in md
    assert "git checkout" not in md and "python run.py" not in md


def test_an_optuna_sweep_marks_its_records_tuned_and_a_grid_does_not(tmp_path):
    import os
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "INCUMBENT_RESULTS": str(tmp_path / "results"),
           "PYTHONPATH": os.pathsep.join([str(root / "tests"), str(root)])}  # fmt: skip
    common = ["dataset.loader._target_=conftest.synthetic_dataset", "~dataset.loader.data_dir",
              "progress=false"]  # fmt: skip
    optuna = [sys.executable, "run.py", "-m", "hydra/sweeper=optuna_isolation_forest",
              "hydra.sweeper.n_trials=2", "hydra.sweeper.n_jobs=1",
              f"hydra.sweep.dir={tmp_path / 'tuned'}", *common]  # fmt: skip
    grid = [sys.executable, "run.py", "-m", "baseline=manhattan", "seed=0,1",
            f"hydra.sweep.dir={tmp_path / 'grid'}", *common]  # fmt: skip
    for cmd in (optuna, grid):
        proc = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
    recs = lb.load([tmp_path / "results"])
    tuned = [r for r in recs if r["baseline"] == "isolation_forest"]
    plain = [r for r in recs if r["baseline"] == "manhattan"]
    assert len(tuned) == 2 and len(plain) == 2
    assert all(r["sweep"]["tuned"] and "Optuna" in r["sweep"]["sweeper"] for r in tuned)
    assert all(r["sweep"] == {"sweeper": r["sweep"]["sweeper"], "tuned": False} for r in plain)
    assert all(eligibility.sweeper(r) for r in tuned)
    assert not any(eligibility.sweeper(r) for r in plain)
    # (this checkout may have uncommitted code: judge the sweeps alone, as on a clean tree)
    for r in recs:
        r["git"]["dirty"], r["code_version"] = False, "clean"
    board = lb.boards(recs)[lb.board_key(plain[0])]
    assert board.incumbent["baseline"] == "manhattan"  # even if a tuned run scored better
    assert all(not eligibility.eligible(r) for r in tuned)
