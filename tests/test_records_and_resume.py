"""Record writing order and the resume rule, made observable without timing: a failing
scores write leaves no record; ``find_done`` accepts only a run of this exact config,
code and data whose scores are intact, and picks the newest of several."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from record_factory import make_record, synthetic_scores

from incumbent.evaluation import metrics
from incumbent.running import records, resume

DATASET = SimpleNamespace(name="toy", checksum="c0ffee" * 8)
PROTOCOL = SimpleNamespace(name="toyproto", version=1)
CODE = "0123456789abcdef0123456789abcdef01234567"


SCORES = synthetic_scores()


def run_record(k: int = 0, started: str = "2026-01-01T00:00:00+00:00", **fields) -> dict:
    """A record whose per-subject metrics are those of SCORES, made by this code."""
    table = metrics.per_subject(SCORES)
    cols = {c: table[c].tolist() for c in table.columns if c != "subject"}
    rec = make_record("toybase", cols, subjects=table["subject"].tolist(),
                      run_id=f"20260101T00000{k}-toybase-00000{k}")  # fmt: skip
    rec.update({"config_hash": "cfg-1", "code_version": CODE, "started": started,
                "versions": records.versions()})  # fmt: skip
    rec.update(fields)
    return rec


def find(results, **kw):
    args = {"config_hash": "cfg-1", "code_version": CODE, "dataset": DATASET, **kw}
    return resume.find_done(results, args["dataset"], PROTOCOL, "toybase", args["config_hash"],
                            args["code_version"])  # fmt: skip


# -- write order ------------------------------------------------------------------------


def test_failing_scores_write_leaves_no_record(tmp_path, monkeypatch):
    real = records.atomic_write_bytes

    def scores_fail(path, data):
        if path.name.endswith(".parquet"):
            raise OSError("disk full")
        real(path, data)

    monkeypatch.setattr(records, "atomic_write_bytes", scores_fail)
    with pytest.raises(OSError, match="disk full"):
        records.write(run_record(), SCORES, tmp_path)
    assert list(tmp_path.rglob("*.json")) == []
    assert list(tmp_path.rglob("*.tmp")) == []


def test_failing_atomic_write_leaves_neither_file_nor_temp(tmp_path, monkeypatch):
    monkeypatch.setattr(records.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("x")))
    with pytest.raises(OSError):
        records.atomic_write_bytes(tmp_path / "a" / "f.json", b"{}")
    assert [p.name for p in (tmp_path / "a").iterdir()] == []


def test_written_record_names_its_scores_and_their_digest(tmp_path):
    scores = SCORES
    path = records.write(run_record(), scores, tmp_path)
    assert path == tmp_path / "toy" / "toyproto-v1" / "toybase" / f"{path.stem}.json"
    rec = records.read(path)
    blob = path.with_name(rec["scores"]["file"]).read_bytes()
    assert rec["scores"]["file"] == f"{rec['run_id']}.scores.parquet"
    assert rec["scores"]["sha256"] == hashlib.sha256(blob).hexdigest()
    pd.testing.assert_frame_equal(records.read_scores(rec), scores)
    assert rec["_path"] == str(path) and path.read_text().endswith("}\n")
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        [path.name, rec["scores"]["file"]]
    )


def test_record_without_scores_is_written_alone(tmp_path):
    path = records.write(run_record(), None, tmp_path)
    assert "scores" not in json.loads(path.read_text())
    assert [p.name for p in path.parent.iterdir()] == [path.name]


# -- find_done ----------------------------------------------------------------------------


def test_matching_record_is_done(tmp_path):
    records.write(run_record(), SCORES, tmp_path)
    done = find(tmp_path)
    assert done is not None and done["run_id"] == run_record()["run_id"]


@pytest.mark.parametrize(
    "change",
    [
        {"code_version": "fedcba9876543210fedcba9876543210fedcba98"},
        {"code_version": CODE + "+dirty.abcdef012345"},
        {"config_hash": "cfg-2"},
        {"dataset": SimpleNamespace(name="toy", checksum="d00d" * 16)},
    ],
    ids=["other-code", "dirty-code", "other-config", "other-checksum"],
)
def test_other_code_config_or_data_is_not_done(tmp_path, change):
    records.write(run_record(), SCORES, tmp_path)
    assert find(tmp_path, **change) is None


def test_unknown_code_version_never_skips(tmp_path):
    records.write(run_record(), SCORES, tmp_path)
    assert find(tmp_path, code_version=None) is None


def test_no_folder_is_not_done(tmp_path):
    assert find(tmp_path / "nothing") is None


def test_corrupt_or_missing_scores_is_not_done(tmp_path):
    path = records.write(run_record(), SCORES, tmp_path)
    scores = path.with_name(records.read(path)["scores"]["file"])
    blob = bytearray(scores.read_bytes())
    blob[len(blob) // 2] ^= 0x01  # same size, one bit flipped
    scores.write_bytes(bytes(blob))
    assert find(tmp_path) is None
    scores.unlink()
    assert find(tmp_path) is None


def test_record_saved_without_scores_is_done(tmp_path):
    records.write(run_record(), None, tmp_path)
    assert find(tmp_path)["run_id"] == run_record()["run_id"]


def test_newest_of_several_valid_records(tmp_path):
    for k, started in [(1, "2026-01-02T00:00:00+00:00"), (2, "2026-01-03T00:00:00+00:00"),
                       (3, "2026-01-01T00:00:00+00:00")]:  # fmt: skip
        records.write(run_record(k, started), SCORES, tmp_path)
    records.write(run_record(4, "2026-02-01T00:00:00+00:00", config_hash="cfg-2"),
                  SCORES, tmp_path)  # fmt: skip
    assert find(tmp_path)["run_id"] == run_record(2)["run_id"]


def test_record_without_start_time_is_the_oldest(tmp_path):
    records.write(run_record(1, "2026-01-02T00:00:00+00:00"), SCORES, tmp_path)
    undated = run_record(2)
    del undated["started"]
    records.write(undated, SCORES, tmp_path)
    assert find(tmp_path)["run_id"] == run_record(1)["run_id"]


def test_failure_markers_hidden_and_incomplete_files_are_ignored(tmp_path):
    path = records.write(run_record(1), SCORES, tmp_path)
    rec = json.loads(path.read_text())
    folder = path.parent
    newer = {**rec, "started": "2027-01-01T00:00:00+00:00"}
    (folder / "x.failed.json").write_text(json.dumps({**newer, "run_id": "failed"}))
    (folder / ".hidden.json").write_text(json.dumps({**newer, "run_id": "hidden"}))
    no_metrics = {k: v for k, v in newer.items() if k != "metrics"}
    (folder / "nometrics.json").write_text(json.dumps({**no_metrics, "run_id": "nometrics"}))
    (folder / "broken.json").write_text("{not json")
    assert find(tmp_path)["run_id"] == rec["run_id"]


def test_record_code_version_of_older_records():
    assert resume.record_code_version({"code_version": "abc"}) == "abc"
    assert resume.record_code_version({"git": {"sha": "abc", "dirty": False}}) == "abc"
    assert resume.record_code_version({"git": {"sha": "abc", "dirty": True}}) is None
    assert resume.record_code_version({"git": {"sha": "abc", "dirty": None}}) is None
    assert resume.record_code_version({}) is None


def test_older_clean_record_without_code_version_is_done(tmp_path):
    rec = run_record(git={"sha": CODE, "dirty": False})
    del rec["code_version"]
    records.write(rec, SCORES, tmp_path)
    assert find(tmp_path)["run_id"] == rec["run_id"]


def test_code_version_from_environment_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("INCUMBENT_CODE_VERSION", "release-1.2")
    assert resume.code_version(tmp_path) == "release-1.2"
    monkeypatch.delenv("INCUMBENT_CODE_VERSION")
    assert resume.code_version(tmp_path) is None  # not a git checkout


# -- reading records back ------------------------------------------------------------------


def test_config_hash_covers_what_moves_numbers_only():
    base = {"baseline": {"name": "m"}, "seed": 0, "paths": {"results_dir": "/a"}}
    h = records.config_hash(base)
    assert len(h) == 16 and int(h, 16) >= 0
    for key in ("paths", "progress", "hydra", "force"):
        assert records.config_hash({**base, key: "elsewhere"}) == h, key
    assert records.config_hash({**base, "seed": 1}) != h
    assert records.config_hash({**base, "baseline": {"name": "n"}}) != h
    assert records.config_hash(dict(reversed(base.items()))) == h  # key order is no change


def test_temporary_file_is_hidden_and_never_a_json(tmp_path, monkeypatch):
    seen = []
    real = records.os.replace
    monkeypatch.setattr(records.os, "replace", lambda a, b: (seen.append(Path(a)), real(a, b)))
    records.atomic_write_bytes(tmp_path / "r.json", b"{}")
    (tmp_file,) = seen
    assert tmp_file.parent == tmp_path and tmp_file.name.startswith(".r.json.")
    assert tmp_file.suffix == ".tmp" and (tmp_path / "r.json").read_bytes() == b"{}"


def test_iter_records_skips_hidden_broken_and_foreign_json(tmp_path):
    good = records.write(run_record(1), None, tmp_path / "a")
    (tmp_path / "a" / ".hidden.json").write_text(good.read_text())
    (tmp_path / "a" / "broken.json").write_text("{")
    (tmp_path / "a" / "status.json").write_text(json.dumps({"run_id": "x"}))  # no metrics
    (tmp_path / "a" / "metrics_only.json").write_text(json.dumps({"metrics": {}}))
    other = records.write(run_record(2), None, tmp_path / "b")
    found = [r["run_id"] for r in records.iter_records(tmp_path / "a", tmp_path / "b")]
    assert found == [run_record(1)["run_id"], run_record(2)["run_id"]]
    assert [r["_path"] for r in records.iter_records(other)] == [str(other)]  # a file


def test_read_refuses_unreadable_files(tmp_path):
    (tmp_path / "bad.json").write_text("not json")
    with pytest.raises(ValueError, match="bad.json"):
        records.read(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="absent.json"):
        records.read(tmp_path / "absent.json")


def test_find_by_path_by_prefix_and_refusals(tmp_path):
    one = records.write(run_record(1), None, tmp_path)
    records.write(run_record(2), None, tmp_path)
    assert records.find(str(one))["run_id"] == run_record(1)["run_id"]
    found = records.find("20260101T000002", tmp_path)  # a unique prefix
    assert found["_path"] == str(
        tmp_path / "toy" / "toyproto-v1" / "toybase" / f"{found['run_id']}.json"
    )
    assert found["run_id"] == run_record(2)["run_id"]
    with pytest.raises(LookupError, match="2 records match '2026'"):
        records.find("2026", tmp_path)
    with pytest.raises(LookupError, match="no records match 'zzz'"):
        records.find("zzz", tmp_path)


def test_atomic_write_gives_the_usual_file_mode(tmp_path):
    """A promoted record must be readable like any other file (mkstemp alone makes 0600)."""
    import os

    from incumbent.running.records import atomic_write_bytes

    old = os.umask(0o022)
    try:
        atomic_write_bytes(tmp_path / "r.json", b"{}")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644
