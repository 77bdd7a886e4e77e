"""End to end on synthetic data: config -> run -> record on disk with full provenance."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from incumbent.running import records
from incumbent.running.pipeline import run, summary_table

CONF = str(Path(__file__).resolve().parent.parent / "conf")
REQUIRED = ["run_id", "baseline", "dataset", "protocol", "metrics", "per_subject", "git",
            "config", "seed", "overrides", "versions", "wall_time_s", "config_hash"]  # fmt: skip


def compose_cfg(results_dir, *overrides):
    with initialize_config_dir(version_base="1.3", config_dir=CONF):
        return compose(
            "config",
            overrides=[
                "dataset.loader._target_=conftest.synthetic_dataset",
                "~dataset.loader.data_dir",
                f"paths.results_dir={results_dir}",
                "progress=false",
                *overrides,
            ],
        )


def test_default_config_is_the_documented_cell():
    with initialize_config_dir(version_base="1.3", config_dir=CONF):
        cfg = compose("config")
    assert cfg.dataset.name == "cmu_dsl"
    assert cfg.protocol._target_.endswith("Killourhy2009")
    assert cfg.baseline.name == "manhattan_scaled"


def test_run_writes_a_complete_record(results_dir):
    rec = run(compose_cfg(results_dir, "baseline=manhattan", "seed=7"))
    path = Path(rec["_path"])
    on_disk = json.loads(path.read_text())
    for key in REQUIRED:
        assert key in on_disk, key
    assert on_disk["protocol"] == {**on_disk["protocol"], "name": "killourhy2009", "version": 1}
    assert on_disk["dataset"] == {"name": "synthetic_cmu", "checksum": "synthetic", "subjects": 6}
    assert on_disk["seed"] == 7 and on_disk["config"]["seed"] == 7
    assert {"eer_mean", "eer_sd", "zero_miss_far_mean"} <= set(on_disk["metrics"])
    assert len(on_disk["per_subject"]) == 6
    assert set(on_disk["git"]) == {"sha", "dirty"}
    assert on_disk["versions"]["numpy"]
    assert path.parent == results_dir / "synthetic_cmu" / "killourhy2009-v1" / "manhattan"
    scores_path = path.with_name(on_disk["scores"]["file"])
    assert hashlib.sha256(scores_path.read_bytes()).hexdigest() == on_disk["scores"]["sha256"]
    scores = pd.read_parquet(scores_path)
    assert len(scores) == 6 * 200 + 6 * 25
    assert set(scores.columns) >= {"subject", "label", "score", "probe_subject"}
    assert "manhattan on synthetic_cmu" in summary_table(rec)


def test_well_separated_subjects_give_low_eer(results_dir):
    rec = run(compose_cfg(results_dir))
    assert rec["metrics"]["eer_mean"] < 0.05


def test_failed_write_leaves_no_record(tmp_path, monkeypatch):
    real_replace = os.replace

    def boom(src, dst):
        if str(dst).endswith(".json"):
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", boom)
    rec = {"run_id": "r1", "baseline": "b", "dataset": {"name": "d"},
           "protocol": {"name": "p", "version": 1}, "metrics": {}}  # fmt: skip
    with pytest.raises(OSError, match="disk full"):
        records.write(rec, pd.DataFrame({"score": [1.0]}), tmp_path)
    assert not list(tmp_path.rglob("*.json")) and not list(tmp_path.rglob("*.tmp"))


def test_find_by_run_id_prefix(results_dir):
    rec = run(compose_cfg(results_dir))
    found = records.find(rec["run_id"][:-2], results_dir)
    assert found["run_id"] == rec["run_id"]
    with pytest.raises(LookupError, match="no records match"):
        records.find("nope", results_dir)


def test_incompatible_baseline_is_a_clear_error(results_dir):
    from incumbent.running.pipeline import IncompatibleInput

    with pytest.raises(
        IncompatibleInput, match="typenet takes free_text input.*provides fixed_text"
    ):
        run(compose_cfg(results_dir, "baseline=typenet"))


def test_record_holds_the_git_state_from_before_the_run(results_dir, monkeypatch):
    """A commit made while a long run is going must not be credited with its record."""
    from incumbent.running import pipeline, provenance

    state = {"sha": "before", "dirty": False}
    monkeypatch.setattr(provenance, "kit_git_state", lambda: dict(state))
    per_subject = pipeline.metrics.per_subject

    def commit_meanwhile(scores):  # runs after the scores exist, before the record
        state.update(sha="after", dirty=True)
        return per_subject(scores)

    monkeypatch.setattr(pipeline.metrics, "per_subject", commit_meanwhile)
    rec = run(compose_cfg(results_dir, "baseline=manhattan", "force=true"))
    assert json.loads(Path(rec["_path"]).read_text())["git"] == {"sha": "before", "dirty": False}
