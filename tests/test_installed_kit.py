"""The kit as a user installs it: build the wheel, install it into a fresh virtual
environment (reusing the installed dependencies), and work from a folder outside the
checkout: the default reproduction, the leaderboard of the packaged incumbents, and the
Python API on an estimator defined here."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "setup.py", "README.md", "incumbent", "baselines", "conf",
           "datasets", "incumbents"]  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the working tree (the checkout stays untouched)."""
    src = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, src / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(dist), str(src)],
                   check=True, capture_output=True, text=True)  # fmt: skip
    (whl,) = dist.glob("incumbent-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    env = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip",
                    str(env)], check=True)  # fmt: skip
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", "--ignore-installed", str(wheel)],
                   check=True, capture_output=True, text=True)  # fmt: skip
    return env


def in_venv(venv: Path, cwd: Path, *cmd: str, data_dir=None, ok=(0,)) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "INCUMBENT_RESULTS")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    env["INCUMBENT_DATA"] = str(data_dir or cwd / "no-data")
    proc = subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode in ok, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def test_wheel_installs_only_incumbent_with_its_data(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"incumbent", wheel.name.split("-py3")[0] +
                                                ".dist-info"}  # fmt: skip
    for folder in ("conf", "datasets", "incumbents", "baselines"):
        want = {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}  # fmt: skip
        assert {f"incumbent/{w}" for w in want} <= set(names), folder


def test_installed_kit_works_from_any_folder(venv, tmp_path, data_dir):
    python = str(venv / "bin" / "python")
    where = in_venv(venv, tmp_path, python, "-c", textwrap.dedent("""
        import incumbent
        from incumbent.data.cards import CARDS, read_card
        from incumbent.gate.leaderboard import COMMITTED
        print(incumbent.__file__, incumbent.CHECKOUT, CARDS, COMMITTED, incumbent.resource("conf"))
        print(read_card("cmu_dsl")["name"])
    """))  # fmt: skip
    site = str(venv / "lib")
    assert where.split()[0].startswith(site) and where.split()[1] == "None"  # not /work/main
    assert all(p.startswith(site) for p in where.split()[2:5]) and "cmu_dsl" in where

    out = in_venv(venv, tmp_path, str(venv / "bin" / "incumbent"), "run", "progress=false",
                  data_dir=data_dir)  # fmt: skip
    assert "eer                    0.0962  (0.0694)" in out
    (record,) = (tmp_path / "results" / "cmu_dsl" / "killourhy2009-v1").glob("*/*.json")
    rec = json.loads(record.read_text())
    assert rec["code_version"].startswith("incumbent-0.1.0+files.")
    assert rec["git"] == {"sha": None, "dirty": None}

    board = in_venv(venv, tmp_path, str(venv / "bin" / "incumbent"), "leaderboard",
                    "--committed-only", "--out", str(tmp_path / "lb.md"))  # fmt: skip
    assert "cmu_dsl" in board and "manhattan_scaled" in board and "sapimouse" in board

    script = tmp_path / "my_challenger.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        from sklearn.base import BaseEstimator
        import incumbent

        class NearestMean(BaseEstimator):
            def __init__(self, power=1.0):
                self.power = power
            def fit(self, X, y=None):
                self.mean_ = np.asarray(X).mean(axis=0)
                return self
            def score_samples(self, X):
                return -(np.abs(np.asarray(X) - self.mean_) ** self.power).sum(axis=1)

        record = incumbent.evaluate(NearestMean(), dataset="cmu_dsl", protocol="killourhy2009")
        verdict = incumbent.compare(record)
        print(record["baseline"], record["_path"], record["metrics"]["eer_mean"])
        print(verdict.outcome, verdict.exit_code, verdict.metric, verdict.delta, verdict.ci[0],
              verdict.ci[1], verdict.p, len(verdict.guards))
        print(verdict.comparison.versus[0].incumbent["baseline"])
    """))  # fmt: skip
    out = in_venv(venv, tmp_path, python, str(script), data_dir=data_dir).split("\n")
    name, path, eer = out[0].split()
    assert name == "nearest_mean" and path.startswith(str(tmp_path / "results"))
    assert float(eer) > 0.0962
    outcome, code, metric, delta, lo, hi, p, guards = out[1].split()
    assert (outcome, code, metric, guards) == ("FAIL", "1", "eer", "3")
    assert float(lo) <= float(delta) <= float(hi) and 0 <= float(p) <= 1
    assert out[2] == "manhattan_scaled"  # the cell's incumbent: the default reproduction


def test_installed_outside_package_is_run_and_cited(venv, tmp_path, data_dir):
    """experiments/external_challenger installed (not editable) beside the kit, its configs
    passed with --config-dir: the record names its distribution and version."""
    example = tmp_path / "external_challenger"
    shutil.copytree(ROOT / "experiments" / "external_challenger", example,
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))  # fmt: skip
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"),
                    "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    str(example)], check=True, capture_output=True, text=True)  # fmt: skip
    work = tmp_path / "work"
    work.mkdir()
    incumbent = str(venv / "bin" / "incumbent")
    out = in_venv(venv, work, incumbent, "run", "--config-dir", str(example / "conf"),
                  "baseline=median_manhattan", "progress=false", data_dir=data_dir)  # fmt: skip
    assert "median_manhattan on cmu_dsl / killourhy2009 v1: 51 subjects" in out
    (path,) = (work / "results" / "cmu_dsl" / "killourhy2009-v1" / "median_manhattan").glob(
        "*.json"
    )
    rec = json.loads(path.read_text())
    (outside,) = rec["provenance"]["outside_code"]
    assert (outside["distribution"], outside["version"]) == ("external-challenger", "0.1.0")
    assert outside["git"] is None and rec["versions"]["external-challenger"] == "0.1.0"
    assert outside["files"]["external_challenger/median.py"] == hashlib.sha256(
        (example / "external_challenger" / "median.py").read_bytes()).hexdigest()  # fmt: skip
    cited = in_venv(venv, work, incumbent, "cite", str(path))
    assert "pip install incumbent==0.1.0 external-challenger==0.1.0" in cited
    assert f"incumbent run --config-dir {example / 'conf'} baseline=median_manhattan" in cited
    verdict = in_venv(venv, work, incumbent, "compare", str(path), ok=(0, 1, 3))
    assert "manhattan_scaled" in verdict and "exit" in verdict
