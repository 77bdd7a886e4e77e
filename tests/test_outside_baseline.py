"""A baseline kept outside the kit (its own repository, config folder and module): composed
with the kit's configs by ``--config-dir``, swept beside the kit's baselines, recorded with
its provenance, and rerun (not skipped) once its source changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from incumbent.reports.cite import reproduce_command

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "experiments" / "external_challenger"
SYNTHETIC = ["dataset.loader._target_=conftest.synthetic_dataset", "~dataset.loader.data_dir",
             "progress=false"]  # fmt: skip


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout.strip()  # fmt: skip


def incumbent_run(tmp_path: Path, repo: Path, *args: str, multirun: bool = False):
    env = {**os.environ, "INCUMBENT_RESULTS": str(tmp_path / "results"),
           "PYTHONPATH": os.pathsep.join([str(repo), str(ROOT / "tests"), str(ROOT)])}  # fmt: skip
    cmd = [sys.executable, "-m", "incumbent.cli", "run", *(["-m"] if multirun else []),
           "--config-dir", str(repo / "conf"),
           f"hydra.run.dir={tmp_path / 'out'}", f"hydra.sweep.dir={tmp_path / 'multi'}",
           *SYNTHETIC, *args]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def records(tmp_path: Path, baseline: str) -> list[dict]:
    folder = tmp_path / "results" / "synthetic_cmu" / "killourhy2009-v1" / baseline
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def test_editing_outside_code_reruns_it_with_its_provenance(tmp_path):
    repo = tmp_path / "challenger_repo"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "challenger v1")
    sha = git(repo, "rev-parse", "HEAD")

    incumbent_run(tmp_path, repo, "baseline=median_manhattan")
    again = incumbent_run(tmp_path, repo, "baseline=median_manhattan")
    assert "skipped: a record" in again.stdout  # unchanged code: the resume rule holds
    (first,) = records(tmp_path, "median_manhattan")
    (outside,) = first["provenance"]["outside_code"]
    assert outside["module"] == "external_challenger.median"
    assert outside["git"] == {"root": str(repo.resolve()), "sha": sha, "dirty": False}
    assert set(outside["files"]) == {"external_challenger/__init__.py",
                                     "external_challenger/median.py"}  # fmt: skip
    assert "+outside." in first["code_version"]
    assert first["provenance"]["config_sources"][0]["path"].endswith("challenger_repo/conf")
    assert f"--config-dir {repo / 'conf'}" in reproduce_command(first)
    assert f"git -C {repo.resolve()} checkout {sha}" in reproduce_command(first)

    source = repo / "external_challenger" / "median.py"
    source.write_text(source.read_text().replace("FLOOR = 1e-6", "FLOOR = 1e-3"))
    edited = incumbent_run(tmp_path, repo, "baseline=median_manhattan")
    assert "skipped" not in edited.stdout
    both = records(tmp_path, "median_manhattan")
    assert len(both) == 2
    new = next(r for r in both if r["run_id"] != first["run_id"])
    assert new["config_hash"] == first["config_hash"]
    assert new["code_version"] != first["code_version"]
    assert new["provenance"]["outside_code"][0]["git"]["dirty"] is True


def test_a_sweep_globs_kit_and_outside_baselines_together(tmp_path):
    incumbent_run(tmp_path, EXAMPLE, "baseline=glob(m*)", multirun=True)
    ran = {p.name for p in (tmp_path / "results" / "synthetic_cmu" / "killourhy2009-v1").iterdir()}
    assert {"median_manhattan", "manhattan_scaled", "mahalanobis"} <= ran
