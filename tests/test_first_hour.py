"""A newcomer's mistakes: each dataset runs its own protocol, and every mistake is one line.

The one-line checks run ``run.py``'s pre-Hydra check in-process (what ``python run.py``
does first); one end-to-end run from another folder shows the exit code, that no
traceback is printed and that nothing is written outside the results folder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from incumbent.reports.catalog import catalog
from incumbent.running import errors

ROOT = Path(__file__).resolve().parent.parent
CONF = str(ROOT / "conf")


def composed(*overrides: str):
    with initialize_config_dir(CONF, version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=True)


@pytest.mark.parametrize(
    ("dataset", "protocol"),
    [("cmu_dsl", "killourhy2009"), ("keystroke100", "fixed_text"),
     ("greyc_nislab", "fixed_text"), ("meu_mobile_ksd", "fixed_text"),
     ("balabit", "balabit_antal2019"), ("sapimouse", "sapimouse2021"),
     ("aalto_136m", "typenet_open_set")],
)  # fmt: skip
def test_each_dataset_runs_its_own_protocol(dataset, protocol):
    cfg = composed(f"dataset={dataset}")
    assert cfg.hydra.runtime.choices.protocol == protocol
    assert catalog().datasets[dataset]["protocol"] == protocol


def test_every_dataset_config_names_a_default_protocol_that_fits_it():
    cat = catalog()
    for name, d in cat.datasets.items():
        assert d["protocol"] in cat.protocols, f"conf/dataset/{name}.yaml names no protocol"
        assert d["protocol"] in cat.protocols_for(name), name


def test_an_explicit_protocol_or_experiment_wins_over_the_dataset_default():
    assert composed("protocol=fixed_text").hydra.runtime.choices.protocol == "fixed_text"
    cfg = composed("experiment=fixed_text_cross_dataset", "dataset=cmu_dsl")
    assert cfg.hydra.runtime.choices.protocol == "fixed_text"
    cfg = composed("dataset=balabit", "protocol=continuous_balabit", "baseline=antal2019_rf")
    errors.validate(cfg, [])  # fits: no error


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["dataset=keystroke100", "protocol=killourhy2009"],
         "protocol killourhy2009 does not fit dataset keystroke100 (it is written for cmu_dsl):"
         " protocols that fit keystroke100: fixed_text (its default)"),
        (["dataset=balabit"], "baselines that fit balabit: antal2019_rf"),
        (["dataset=balabit", "baseline=antal2019_rf", "protocol=killourhy2009"],
         "protocols that fit balabit: balabit_antal2019 (its default), continuous_balabit"),
        (["baseline=typenet", "dataset=aalto_136m", "protocol=fixed_text"],
         "protocols that fit aalto_136m: typenet_open_set (its default)"),
        (["baseline=typenet"], "datasets that fit typenet: aalto_136m"),
        (["seed=abc"], "seed='abc' (conf/config.yaml, key seed): expected an integer"),
        (["+data_dir=/x"], "did you mean paths.data_dir=/x?"),
        (["+typenet.epochs=3"], "no part of the kit reads a top-level key 'typenet'"),
        (["dataset=nope"], "there is no conf/dataset/nope.yaml; dataset configs: aalto_136m,"),
        (["baseline.foo=1"], "Could not override 'baseline.foo'"),
        (["progress=maybe"], "progress='maybe' (conf/config.yaml, key progress)"),
    ],
)  # fmt: skip
def test_each_mistake_is_one_line_without_traceback(argv, expected, capsys, monkeypatch):
    monkeypatch.delenv("INCUMBENT_DEBUG", raising=False)
    monkeypatch.delenv("HYDRA_FULL_ERROR", raising=False)
    with pytest.raises(SystemExit) as exit_:
        errors.precheck(argv, CONF)
    assert exit_.value.code == errors.EXIT_USER
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert expected in err
    assert "Traceback" not in err


def test_fitting_pairs_pass_the_precheck(capsys):
    for argv in (["dataset=keystroke100"], ["dataset=balabit", "baseline=antal2019_rf"],
                 ["dataset=aalto_136m", "baseline=typenet", "+typenet.epochs=3"],
                 ["experiment=sapimouse2021_smoke"], ["-m", "baseline=glob(*)"]):  # fmt: skip
        errors.precheck(argv, CONF)  # returns: no SystemExit
    assert capsys.readouterr().err == ""


def test_debug_flag_adds_the_traceback(capsys, monkeypatch):
    monkeypatch.setenv("INCUMBENT_DEBUG", "1")
    try:
        raise RuntimeError("boom")
    except RuntimeError as e:
        assert errors.report(e) == errors.EXIT_CRASH
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("error: RuntimeError: boom")
    monkeypatch.delenv("INCUMBENT_DEBUG")
    assert errors.report(RuntimeError("boom")) == errors.EXIT_CRASH
    assert capsys.readouterr().err == f"error: RuntimeError: boom  [{errors.DEBUG_HINT}]\n"


def test_a_single_run_mistake_from_another_folder(tmp_path):
    """Missing data, found only inside the run: one line, exit 2, no _failed, no outputs/."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    results = tmp_path / "results"
    env = {
        **os.environ,
        "INCUMBENT_RESULTS": str(results),
        "INCUMBENT_DATA": str(tmp_path / "none"),
    }
    env.pop("INCUMBENT_DEBUG", None)
    env.pop("HYDRA_FULL_ERROR", None)
    out = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "dataset=keystroke100", "progress=false"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert out.returncode == errors.EXIT_USER, out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    assert "keystroke100" in lines[0]
    assert list(elsewhere.iterdir()) == []  # no outputs/ where the command was run
    assert not (results / "_failed").exists()  # only multiruns record failures


@pytest.mark.parametrize(
    ("env", "outcome"),
    [({"INCUMBENT_DATA": "/nonexistent"}, "error"), ({"CI": "1", "INCUMBENT_DATA": ""}, "error"),
     ({"INCUMBENT_DATA": ""}, "skipped")],
)  # fmt: skip
def test_reproductions_fail_not_skip_when_data_was_asked_for(env, outcome, tmp_path):
    """A wrong data path must not pass green: only a machine with no data at all skips."""
    full = {k: v for k, v in os.environ.items() if k not in ("CI", "INCUMBENT_DATA")}
    full.update({k: v for k, v in env.items() if v})
    test = "tests/test_cmu_loader.py::test_real_file_loads"
    shared = ROOT.parent / "shared" / "data"
    if not env.get("INCUMBENT_DATA") and shared.exists():  # the fallback would find data
        pytest.skip(f"{shared} exists, so this machine has data")  # the rule needs none
    out = subprocess.run(
        [sys.executable, "-m", "pytest", test, "-q", "-rs", "-p", "no:cacheprovider"],
        cwd=ROOT, env=full, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert f"1 {outcome}" in out.stdout, out.stdout
    assert (out.returncode != 0) == (outcome == "error")
    if outcome == "skipped":
        assert "INCUMBENT_DATA is not set" in out.stdout


def test_incumbent_list_prints_the_catalog(capsys):
    from incumbent.cli import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["dataset", "input", "default", "protocol", "other",
                                           "protocols", "baselines", "experiments"]  # fmt: skip
    row = next(ln for ln in out.splitlines() if ln.startswith("balabit "))
    assert "balabit_antal2019" in row and "antal2019_rf" in row and "antal2019_balabit" in row
    assert main(["ls", "--markdown"]) == 0
    assert capsys.readouterr().out.startswith("| dataset ")


def test_hydra_folders_under_results_do_not_disturb_the_leaderboard(tmp_path):
    """Sweep summaries (JSON lists) and job statuses now live under the results folder."""
    import json

    from record_factory import eer_record, save

    from incumbent.gate import leaderboard as lb

    save(eer_record("a", [0.1, 0.2]), tmp_path)
    sweep_dir = tmp_path / "multirun" / "2026-01-01" / "00-00-00"
    (sweep_dir / "0").mkdir(parents=True)
    (sweep_dir / "sweep_summary.json").write_text(json.dumps([{"status": "ok"}]))
    (sweep_dir / "0" / "job_status.json").write_text(json.dumps({"status": "ok"}))
    assert [r["baseline"] for r in lb.load([tmp_path])] == ["a"]
