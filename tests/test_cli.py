"""The `incumbent` command: leaderboard, compare exit codes, cite fields, promote."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from record_factory import eer_record, make_record, save

from incumbent.cli import main
from incumbent.gate import compare as cmp

RNG = np.random.default_rng(1)
BASE = RNG.uniform(0.05, 0.25, 30)
NOISE = RNG.normal(0, 0.004, 30)


@pytest.fixture
def store(tmp_path):
    """A records folder with a CMU-like cell: three baselines, the best is `mid`."""
    root = tmp_path / "recs"
    recs = {
        "good": eer_record("good", BASE, run_id="20260101T000001-good-aaaaaa",
                           reported={"eer_mean": 0.15}),
        "mid": eer_record("mid", BASE + 0.03, run_id="20260101T000002-mid-bbbbbb"),
        "bad": eer_record("bad", BASE + 0.08, run_id="20260101T000003-bad-cccccc"),
        "win": eer_record("win", BASE - 0.02 + NOISE, run_id="20260102T000000-win-dddddd"),
        "loss": eer_record("loss", BASE + 0.01 + NOISE, run_id="20260102T000001-loss-eeeeee"),
        "lateral": eer_record("lateral", BASE - 0.02 + NOISE, guards={"zero_miss_far": 0.7},
                              run_id="20260102T000002-lateral-ffffff"),
        "v2": eer_record("v2", BASE - 0.02, version=2, run_id="20260102T000003-v2-gggggg"),
    }  # fmt: skip
    for r in recs.values():
        save(r, root)
    return root, recs


def run_cli(*argv):
    return main([str(a) for a in argv])


def test_leaderboard_ranks_by_primary_metric(store, tmp_path, capsys):
    root, _ = store
    out = tmp_path / "board.md"
    assert run_cli("leaderboard", "--records", root, "--out", out) == 0
    md = out.read_text()
    v1 = md.split("## toy / toyproto v2")[0]
    order = [m for m in re.findall(r"^\| \d+ +\| (\w+)", v1, re.M)]
    assert order == ["win", "lateral", "good", "loss", "mid", "bad"]
    assert "win (incumbent)" in md and "## toy / toyproto v2" in md
    for col in ("mean per-subject EER ↓ [95% CI]", "paper", "fnmr_at_fmr_1pct ↓", "auc ↑"):
        assert col in md
    assert "0.1500" in md  # good's reported value
    assert "toy / toyproto v1" in capsys.readouterr().out


def test_leaderboard_higher_is_better_for_auc(tmp_path):
    root = tmp_path / "recs"
    for name, auc in [("lo", 0.80), ("hi", 0.95), ("midd", 0.90)]:
        rec = make_record(name, {"auc": [auc, auc]}, primary="auc", guards=[],
                          run_id=f"20260101T000000-{name}-000000")  # fmt: skip
        save(rec, root)
    out = tmp_path / "b.md"
    assert run_cli("leaderboard", "--records", root, "--out", out) == 0
    assert re.findall(r"^\| \d+ +\| (\w+)", out.read_text(), re.M) == ["hi", "midd", "lo"]
    assert "Ranked by auc (higher is better" in out.read_text()


@pytest.mark.parametrize(
    "name,code",
    [("win", cmp.EXIT_WIN), ("loss", cmp.EXIT_NO_WIN), ("lateral", cmp.EXIT_LATERAL)],
)
def test_compare_exit_codes(store, name, code, capsys):
    root, recs = store
    assert (
        run_cli("compare", recs[name]["run_id"], recs["good"]["run_id"], "--records", root) == code
    )
    out = capsys.readouterr().out
    for field in ("mean Δ", "95% CI", "Wilcoxon p", "guard", "tolerance", f"exit {code}"):
        assert field in out


def test_compare_defaults_to_the_cells_incumbent(store, capsys):
    root, recs = store
    # `win` is the best of its cell, so its incumbent is the best *other* run: `lateral`
    assert run_cli("compare", "20260102T000000-win", "--records", root) == cmp.EXIT_NO_WIN
    assert "lateral (20260102T000002-lateral-ffffff)" in capsys.readouterr().out
    run_cli("compare", recs["loss"]["_path"], "--records", root)
    assert "win (20260102T000000-win-dddddd)" in capsys.readouterr().out


def test_compare_refuses_mismatch_and_unknown_records(store, capsys):
    root, recs = store
    assert run_cli("compare", recs["v2"]["run_id"], recs["good"]["run_id"], "--records", root) == 4
    assert "protocol version differs (2 vs 1)" in capsys.readouterr().err
    assert run_cli("compare", "nope", "--records", root) == 4
    assert run_cli("compare", "2026", "--records", root) == 4  # ambiguous prefix
    assert "give a longer prefix" in capsys.readouterr().err


def test_cite_has_every_field(store, capsys):
    root, recs = store
    rec = recs["win"]
    rec["git"]["dirty"] = True
    save(rec, root)
    assert run_cli("cite", rec["run_id"], "--vs", recs["good"]["run_id"], "--records", root) == 0
    md = capsys.readouterr().out
    values = BASE - 0.02 + NOISE
    lo, hi = re.search(r"EER \(\d+ subjects\) = \*\*([\d.]+)\*\* \(95% CI \[([\d.]+), ([\d.]+)\]",
                       md).groups()[1:]  # fmt: skip
    assert f"mean per-subject EER ({values.size} subjects) = **{values.mean():.4f}**" in md
    assert float(lo) < values.mean() < float(hi)
    delta = re.search(r"Δ eer vs incumbent \*\*good\*\*.*?: ([+-][\d.]+) \(95% CI", md)
    assert float(delta.group(1)) == pytest.approx((NOISE - 0.02).mean(), abs=1e-4)
    assert re.search(r"Wilcoxon p = [\d.e-]+", md)
    assert f"`toy`, sha256 `{rec['dataset']['checksum']}`" in md
    assert "`toyproto` version 1" in md
    assert f"`{rec['git']['sha']}` (dirty" in md
    assert "`baseline=win` `seed=0`" in md
    # a dirty tree: no commit holds its code, so no reproduce command that cannot work
    assert "git checkout" not in md and "reproduce: not possible from a commit" in md
    clean = recs["good"]
    assert run_cli("cite", clean["run_id"], "--records", root) == 0
    md = capsys.readouterr().out
    assert f"git checkout {clean['git']['sha']} && python run.py baseline=good seed=0" in md


def test_cite_without_git_or_overrides(tmp_path, capsys):
    rec = eer_record("x", BASE, git={"sha": None, "dirty": None}, overrides=[])
    save(rec, tmp_path)
    run_cli("cite", rec["_path"])
    md = capsys.readouterr().out
    assert "not recorded" in md and "\npython run.py\n" in md and "overrides: none" in md


def test_promote_keeps_the_newest_per_baseline(tmp_path, capsys):
    src, dest = tmp_path / "results", tmp_path / "incumbents"
    paper = {"protocol": "killourhy2009", "params": {"n_train": 200, "n_impostor_reps": 5}}
    old = eer_record("m", BASE, run_id="20260101T000000-m-old", reported={"eer_mean": 0.1},
                     **paper)  # fmt: skip
    new = eer_record("m", BASE, run_id="20260102T000000-m-new", reported={"eer_mean": 0.1},
                     **paper)  # fmt: skip
    new["started"] = "2026-01-02T00:00:00+00:00"
    mine = eer_record("inhouse", BASE, run_id="20260102T000000-inhouse-x", **paper)
    paths = [save(r, src) for r in (old, new, mine)]
    assert run_cli("promote", *paths, "--to", dest, "--reported-only") == 0
    target = dest / "toy" / "killourhy2009-v1" / "m.json"
    assert json.loads(target.read_text())["run_id"] == new["run_id"]
    assert not (dest / "toy" / "killourhy2009-v1" / "inhouse.json").exists()
    run_cli("promote", paths[0], "--to", dest)  # an older run does not replace a newer one
    assert json.loads(target.read_text())["run_id"] == new["run_id"]
    assert "is newer" in capsys.readouterr().out
    run_cli("promote", paths[0], "--to", dest, "--force")
    assert json.loads(target.read_text())["run_id"] == old["run_id"]
    assert "_path" not in json.loads(target.read_text())


def test_module_entry_point_runs():
    out = subprocess.run([sys.executable, "-m", "incumbent.cli", "--help"],
                         capture_output=True, text=True, check=True)  # fmt: skip
    for cmd in ("leaderboard", "compare", "cite", "plot", "papers", "promote"):
        assert cmd in out.stdout
