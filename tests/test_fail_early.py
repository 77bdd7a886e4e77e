"""Fail early and honestly: parameters and the results folder are checked before any data
is read; a failure marker that cannot be written never hides the run's own error; a
multirun always ends with its summary; the resume rule ignores machine-local paths and
includes what can move numbers; no code named by a record is ever run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import OmegaConf
from record_factory import record_from_scores, synthetic_scores

from incumbent.running import preflight, records, resume
from incumbent.running.pipeline import reported_for, run

ROOT = Path(__file__).resolve().parent.parent
CONF = str(ROOT / "conf")
LOADED = []


def loader_that_must_not_run(**kw):
    LOADED.append(kw)
    raise AssertionError("the data was read before the parameters were checked")


def cfg_for(results_dir, *overrides, loader="conftest.synthetic_dataset"):
    with initialize_config_dir(version_base="1.3", config_dir=CONF):
        return compose("config", overrides=[
            f"dataset.loader._target_={loader}", "~dataset.loader.data_dir",
            f"paths.results_dir={results_dir}", "progress=false", *overrides])  # fmt: skip


# -- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, message",
    [("protocol.n_train=-5", "n_train must be a positive integer"),
     ("protocol.n_impostor_reps=0", "n_impostor_reps must be a positive integer"),
     ("protocol.n_train=2.5", "n_train must be a positive integer"),
     ("seed=-1", "seed must be an integer >= 0")],
)  # fmt: skip
def test_bad_parameters_fail_before_any_data_is_read(tmp_path, override, message):
    cfg = cfg_for(tmp_path, override, loader="test_fail_early.loader_that_must_not_run")
    with pytest.raises((preflight.ParameterError, InstantiationException), match=message):
        run(cfg)
    assert LOADED == []


@pytest.mark.parametrize(
    "protocol, override, message",
    [("balabit_antal2019", {"n_positive": -5}, "n_positive must be a positive integer"),
     ("balabit_antal2019", {"action_counts": [1, 0]}, r"action_counts\[1\]"),
     ("typenet_open_set", {"gallery_size": 12}, "must not exceed sessions"),
     ("typenet_open_set", {"n_eval": 0}, "n_eval must be a positive integer"),
     ("sapimouse2021", {"score_norm": "zscore"}, "score_norm must be one of"),
     ("sapimouse2021", {"block_size": -1}, "block_size must be a positive integer")],
)  # fmt: skip
def test_each_protocol_checks_its_parameters(protocol, override, message):
    cfg = OmegaConf.merge(OmegaConf.load(ROOT / "conf" / "protocol" / f"{protocol}.yaml"), override)
    with pytest.raises((preflight.ParameterError, InstantiationException), match=message):
        instantiate(cfg)
    instantiate(OmegaConf.load(ROOT / "conf" / "protocol" / f"{protocol}.yaml"))  # defaults pass


def test_paper_value_only_at_the_papers_parameters():
    from incumbent.protocols.killourhy2009 import Killourhy2009

    with initialize_config_dir(version_base="1.3", config_dir=CONF):
        cfg = compose("config", overrides=["baseline=manhattan_scaled"])
    assert reported_for(cfg, "cmu_dsl", Killourhy2009())["eer_mean"] == 0.0962
    assert reported_for(cfg, "cmu_dsl", Killourhy2009(n_train=100)) is None
    assert reported_for(cfg, "cmu_dsl", Killourhy2009(n_train=195, n_impostor_reps=5)) is None


# -- results folder, failure marker, multirun summary ---------------------------------------


def test_unwritable_results_dir_fails_before_the_data_is_read(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    cfg = cfg_for(blocker / "results", loader="test_fail_early.loader_that_must_not_run")
    with pytest.raises(PermissionError, match="cannot be written"):
        run(cfg)
    assert LOADED == []


def test_failure_marker_that_cannot_be_written_does_not_hide_the_error(tmp_path, capsys):
    from incumbent.running import sweep

    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cfg = cfg_for(blocker / "results")
    assert sweep.write_failure(cfg, RuntimeError("the real error")) is None
    err = capsys.readouterr().err
    assert "could not write the failure marker" in err and "the real error" in err


def test_run_py_reports_an_unwritable_results_folder_in_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
           "INCUMBENT_RESULTS": str(blocker / "results")}  # fmt: skip
    proc = subprocess.run([sys.executable, "run.py", "dataset.loader._target_=conftest.synthetic_dataset",
                           "~dataset.loader.data_dir", "progress=false"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode != 0
    # the first error, in one line, before Hydra or the job touches the folder; a single
    # run writes no failure marker (only multiruns do)
    assert "cannot be written" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_multirun_with_an_unwritable_results_dir_still_ends_with_its_summary(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)]),
           "INCUMBENT_RESULTS": str(blocker / "results")}  # fmt: skip
    proc = subprocess.run([sys.executable, "run.py", "-m", f"hydra.sweep.dir={tmp_path / 'sw'}",
                           "dataset.loader._target_=conftest.synthetic_dataset",
                           "~dataset.loader.data_dir", "progress=false", "seed=0,1"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "sweep: 0 ok, 0 skipped, 0 n/a, 2 failed" in proc.stdout
    assert json.loads((tmp_path / "sw" / "sweep_summary.json").read_text())


# -- resume rule ----------------------------------------------------------------------------


def test_config_hash_ignores_machine_local_paths():
    a = {"paths": {"data_dir": "/a"}, "dataset": {"loader": {"data_dir": "/a", "n": 1}},
         "protocol": {"out_dir": "/a/results/x", "k": 2}, "seed": 0}  # fmt: skip
    b = json.loads(json.dumps(a).replace("/a", "/elsewhere"))
    assert records.config_hash(a) == records.config_hash(b)
    b["dataset"]["loader"]["n"] = 2
    assert records.config_hash(a) != records.config_hash(b)


def test_resume_requires_the_same_numeric_package_versions(tmp_path):
    from types import SimpleNamespace

    results = tmp_path / "results"
    rec = record_from_scores("x", synthetic_scores(seed=1), results)
    path = Path(rec["_path"])
    data = SimpleNamespace(name="toy", checksum=rec["dataset"]["checksum"])
    proto = SimpleNamespace(name="toyproto", version=1)

    def find():
        return resume.find_done(results, data, proto, "x", rec["config_hash"], "v")

    body = json.loads(path.read_text())
    body.update(code_version="v", versions=records.versions())
    path.write_text(json.dumps(body))
    assert find() is not None
    body["versions"]["numpy"] = "0.0.1"
    path.write_text(json.dumps(body))
    assert find() is None


# -- no code from a record -------------------------------------------------------------------


def test_plot_refuses_a_record_whose_config_names_foreign_code(tmp_path, capsys):
    from incumbent.cli import main
    from incumbent.reports import plots, safe_config

    target = tmp_path / "pwned"
    rec = record_from_scores("x", synthetic_scores(seed=1), tmp_path / "results")
    Path(rec["_path"]).with_name(rec["scores"]["file"]).unlink()  # force a regeneration
    rec["config"] = {"dataset": {"loader": {"_target_": "pathlib.Path.touch",
                                            "self": str(target)}}}  # fmt: skip
    with pytest.raises(safe_config.UnsafeConfig, match="dataset.loader._target_"):
        plots.regenerate_scores(rec)
    for bad in (
        "os.system",
        "incumbent.running.records.atomic_write_bytes",
        "builtins.exec",
        "sklearn.utils.deprecated",
    ):  # a kit/sklearn module is not enough: a class
        assert not safe_config.allowed(bad)
    for good in (
        "baselines.distance.Manhattan",
        "sklearn.ensemble.IsolationForest",
        "incumbent.data.loaders.cmu_dsl.load",
        "sklearn.pipeline.make_pipeline",
    ):
        assert safe_config.allowed(good)
    path = Path(rec["_path"])
    body = json.loads(path.read_text())
    body["config"] = rec["config"]
    path.write_text(json.dumps(body))
    assert main(["plot", str(path), "--records", str(tmp_path / "results"), "--out",
                 str(tmp_path / "p")]) == 4  # fmt: skip
    assert "no code named by a record is run" in capsys.readouterr().err
    assert not target.exists()
