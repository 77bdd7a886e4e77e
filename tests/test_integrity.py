"""A record is checked before anything trusts it: schema, self-consistency, scores, manifest.

Each test is a case an adversarial user tried on the gate: a hand-edited summary, halved
per-subject EERs beside their scores file, a JSON list, a dict without ``protocol``, a
string metric, ``eer_mean: -1``, a truncated file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from record_factory import eer_record, record_from_scores, save, synthetic_scores

from incumbent.cli import main
from incumbent.gate import leaderboard as lb
from incumbent.running import integrity, records

RNG = np.random.default_rng(3)
BASE = RNG.uniform(0.05, 0.25, 20)
ROOT = Path(__file__).resolve().parent.parent


def run_cli(*argv):
    return main([str(a) for a in argv])


@pytest.fixture
def cell(tmp_path):
    """A clean incumbent and a challenger that truly loses, in one records folder."""
    root = tmp_path / "recs"
    inc = eer_record("inc", BASE, run_id="20260101T000000-inc-aaaaaa")
    ch = eer_record("ch", BASE + 0.02, run_id="20260102T000000-ch-bbbbbb")
    for r in (inc, ch):
        save(r, root)
    return root, inc, ch


def edit(path: Path, change) -> None:
    rec = json.loads(path.read_text())
    change(rec)
    path.write_text(json.dumps(rec))


def test_clean_record_passes(cell):
    root, inc, _ = cell
    assert records.read(inc["_path"])["run_id"] == inc["run_id"]


def test_hand_edited_summary_is_skipped_by_the_leaderboard(cell, capsys):
    root, inc, ch = cell
    edit(Path(ch["_path"]), lambda r: r["metrics"].update(eer_mean=0.05))
    recs = lb.load([root])
    assert [r["run_id"] for r in recs] == [inc["run_id"]]
    err = capsys.readouterr().err
    assert err.count("warning: skipped record") == 1
    assert ch["_path"] in err and "summary: metrics.eer_mean" in err


def test_compare_refuses_a_failing_record_with_exit_4(cell, capsys):
    root, inc, ch = cell
    edit(Path(ch["_path"]), lambda r: r["metrics"].update(eer_mean=0.05))
    assert run_cli("compare", ch["_path"], inc["_path"], "--records", root) == 4
    assert "summary" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change, check",
    [
        (lambda r: r["metrics"].update(eer_mean=-1.0), "range"),
        (lambda r: r["metrics"].update(eer_mean="0.1"), "schema"),
        (lambda r: r.pop("protocol"), "schema"),
        (lambda r: r["per_subject"][0].update(eer=float("nan")), "finite"),
        (lambda r: r["per_subject"][0].update(eer=1.5), "range"),
        (lambda r: r["per_subject"][0].update(eer="0.1"), "per-subject"),
        (lambda r: r.update(run_id="../../escape"), "schema"),
        (lambda r: r["per_subject"].append(dict(r["per_subject"][0])), "per-subject"),
    ],
    ids=["negative-eer", "string-metric", "no-protocol", "nan", "rate-above-1", "path-run-id",
         "duplicate-subject", "string-per-subject"],
)  # fmt: skip
def test_bad_records_are_warned_and_skipped_never_a_crash(cell, capsys, change, check):
    root, inc, ch = cell
    edit(Path(ch["_path"]), change)
    assert [r["run_id"] for r in lb.load([root])] == [inc["run_id"]]
    err = capsys.readouterr().err
    assert f"{ch['_path']}: {check}" in err
    assert run_cli("leaderboard", "--records", root, "--out", root / "lb.md") == 0


@pytest.mark.parametrize("text", ["[1, 2, 3]", '{"run_id": "x"', '"a string"', ""])
def test_non_records_and_truncated_files_are_warned_not_crashed(cell, capsys, text):
    root, inc, ch = cell
    bad = root / "toy" / "junk.json"
    bad.write_text(text)
    assert {r["run_id"] for r in lb.load([root])} == {inc["run_id"], ch["run_id"]}
    assert f"skipped record {bad}: json" in capsys.readouterr().err
    assert run_cli("compare", ch["run_id"], "--records", root) == 1  # a loss, not a crash


def test_extra_metric_keys_and_blocks_are_accepted(cell):
    root, _, ch = cell

    def grow(r):
        r["metrics"].update(hter_eval_eer=0.1, rank1=0.9, amrt_mean=12.5, n_train_subjects=40,
                            eer_threshold=-3.2)  # fmt: skip
        for row in r["per_subject"]:
            row["group"] = "f"  # a text attribute per subject (fairness reports)
        r.update(provenance={"outside": True}, trials={"n": 3}, split={"dev": 0.5})

    edit(Path(ch["_path"]), grow)
    assert records.read(ch["_path"])["metrics"]["amrt_mean"] == 12.5


def test_halved_per_subject_eers_beside_their_scores_fail(tmp_path, capsys):
    """The issue's tampered local record: per-subject and summary EERs halved together (so
    the summary re-derives), its scores file still beside it."""
    results = tmp_path / "results"
    honest = record_from_scores("honest", synthetic_scores(seed=1), results,
                                run_id="20260101T000000-honest-aaaaaa")  # fmt: skip
    cheat = record_from_scores("cheat", synthetic_scores(seed=2), results,
                               run_id="20260102T000000-cheat-bbbbbb")  # fmt: skip
    assert records.read(cheat["_path"])  # untouched: passes, scores re-derive

    def halve(r):
        for row in r["per_subject"]:
            row["eer"] /= 2
        v = np.array([row["eer"] for row in r["per_subject"]])
        r["metrics"].update(eer_mean=float(v.mean()), eer_sd=float(v.std(ddof=1)))

    edit(Path(cheat["_path"]), halve)
    with pytest.raises(integrity.IntegrityError, match="scores: per-subject eer"):
        records.read(cheat["_path"])
    assert run_cli("compare", cheat["_path"], honest["_path"], "--records", results) == 4
    assert "scores" in capsys.readouterr().err


def test_scores_file_with_another_hash_fails(tmp_path):
    results = tmp_path / "results"
    rec = record_from_scores("x", synthetic_scores(seed=1), results)
    scores = Path(rec["_path"]).with_name(rec["scores"]["file"])
    synthetic_scores(seed=9).to_parquet(scores, index=False)
    with pytest.raises(integrity.IntegrityError, match="scores: .* sha256"):
        records.read(rec["_path"])


def test_resume_does_not_skip_to_a_tampered_record(tmp_path):
    from types import SimpleNamespace

    from incumbent.running import resume

    results = tmp_path / "results"
    rec = record_from_scores("x", synthetic_scores(seed=1), results)
    edit(Path(rec["_path"]), lambda r: [row.update(eer=row["eer"] / 2) for row in r["per_subject"]])
    data = SimpleNamespace(name="toy", checksum=rec["dataset"]["checksum"])
    proto = SimpleNamespace(name="toyproto", version=1)
    hit = resume.find_done(results, data, proto, "x", rec["config_hash"], "any")
    assert hit is None


# -- the manifest of committed incumbents ---------------------------------------------------


def test_committed_incumbents_pass_every_check():
    recs = list(integrity.iter_valid(lb.COMMITTED))
    n = len(integrity.record_files(lb.COMMITTED))
    assert n > 0 and len(recs) == n
    assert integrity.verify_manifest(lb.COMMITTED) == []


def test_a_hand_edit_to_a_committed_record_is_caught_by_the_manifest(tmp_path, capsys):
    committed = tmp_path / "incumbents"
    shutil.copytree(lb.COMMITTED / "cmu_dsl", committed / "cmu_dsl")
    shutil.copy(lb.COMMITTED / integrity.MANIFEST, committed / integrity.MANIFEST)
    # keep the manifest lines of the copied part only
    lines = [ln for ln in (committed / integrity.MANIFEST).read_text().splitlines()
             if ln.split("  ", 1)[1].startswith("cmu_dsl/")]  # fmt: skip
    (committed / integrity.MANIFEST).write_text("\n".join(lines) + "\n")
    target = committed / "cmu_dsl" / "killourhy2009-v1" / "mahalanobis.json"

    # the edit: eer_mean 0.1101 -> 0.05, the per-subject rows too, so the summary
    # still re-derives and only the manifest can tell
    def lower(r):
        scale = 0.05 / r["metrics"]["eer_mean"]
        for row in r["per_subject"]:
            row["eer"] *= scale
        v = np.array([row["eer"] for row in r["per_subject"]])
        r["metrics"].update(eer_mean=float(v.mean()), eer_sd=float(v.std(ddof=1)))

    edit(target, lower)
    ids = {(r["protocol"]["name"], r["baseline"]) for r in lb.load([committed])}
    assert ("killourhy2009", "mahalanobis") not in ids
    assert ("killourhy2009", "manhattan_scaled") in ids
    assert f"{target}: manifest: sha256 differs" in capsys.readouterr().err
    assert integrity.verify_manifest(committed) == [
        "cmu_dsl/killourhy2009-v1/mahalanobis.json: sha256 differs from MANIFEST.sha256"
    ]


def test_promote_writes_the_manifest(tmp_path):
    src, dest = tmp_path / "results", tmp_path / "incumbents"
    rec = eer_record("m", BASE, run_id="20260101T000000-m-aaaaaa")
    assert run_cli("promote", save(rec, src), "--to", dest) == 0
    assert integrity.verify_manifest(dest) == []
    assert "toy/toyproto-v1/m.json" in (dest / integrity.MANIFEST).read_text()
    assert [r["run_id"] for r in lb.load([dest])] == [rec["run_id"]]
