"""No lost or corrupt records: parallel writers, SIGKILL mid-write and mid-sweep, a run
that raises; then resume completes the rest and skips what was done.

Sweeps run ``run.py`` in subprocesses on the synthetic CMU-schema dataset
(``conftest.synthetic_dataset``) with a test estimator whose ``fit`` sleeps or raises
for chosen seeds (controlled by an environment variable, so the config, and thus the
resume key, is the same in the crashing and the resuming sweep).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from record_factory import valid_record_files

from incumbent.running import records, resume

ROOT = Path(__file__).resolve().parent.parent
TESTS = Path(__file__).resolve().parent

FLAKY = textwrap.dedent('''
    import os, time
    from incumbent.baselines.distance import Manhattan

    class Flaky(Manhattan):
        """Manhattan, but fit sleeps (writing its pid) or raises for chosen seeds."""

        def __init__(self, random_state=None):
            self.random_state = random_state

        def fit(self, X, y=None):
            mode, _, seeds = os.environ.get("FLAKY", "").partition(":")
            if str(self.random_state) in seeds.split(","):
                if mode == "raise":
                    raise RuntimeError(f"flaky fit failed for seed {self.random_state}")
                if mode == "sleep":
                    pid = os.path.join(os.environ["FLAKY_DIR"], f"{self.random_state}.pid")
                    with open(pid, "w") as f:
                        f.write(str(os.getpid()))
                    time.sleep(60)
            return super().fit(X, y)
''')


# ---- the record writer itself -------------------------------------------------------


def _write_many(folder: str, worker: int, n: int, rows: int) -> None:
    rng = np.random.default_rng(worker)
    for k in range(n):
        scores = pd.DataFrame({"subject": "s", "label": rng.integers(0, 2, rows),
                               "score": rng.normal(size=rows)})  # fmt: skip
        rec = {"schema": 1, "run_id": f"w{worker}-{k:05d}", "baseline": "b", "seed": 0,
               "metrics": {"x_mean": 0.1, "x_sd": 0.0}, "per_subject": [{"subject": "s", "x": 0.1}],
               "dataset": {"name": "d"}, "git": {"sha": None, "dirty": None},
               "protocol": {"name": "p", "version": 1, "primary_metric": "x"},
               "payload": rng.normal(size=2000).tolist()}  # fmt: skip
        records.write(rec, scores, folder)


def test_parallel_writers_leave_every_record_whole(tmp_path):
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_write_many, args=(str(tmp_path), w, 15, 5000)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    recs = valid_record_files(tmp_path)
    assert len(recs) == 60 and len({r["run_id"] for r in recs}) == 60
    assert not list(tmp_path.rglob("*.tmp"))  # every temporary file was renamed into place


def test_sigkill_during_writes_leaves_no_half_written_record(tmp_path):
    ctx = mp.get_context("fork")
    p = ctx.Process(target=_write_many, args=(str(tmp_path), 0, 10_000, 200_000))
    p.start()
    deadline = time.time() + 60
    while len(list(tmp_path.rglob("*.json"))) < 3 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.137)  # land somewhere inside a write
    os.kill(p.pid, signal.SIGKILL)
    p.join(10)
    assert p.exitcode == -signal.SIGKILL
    recs = valid_record_files(tmp_path)
    assert len(recs) >= 3
    # what the kill interrupted is at most a hidden temporary file, which readers skip
    assert all(t.name.startswith(".") for t in tmp_path.rglob("*.tmp"))
    assert {r["run_id"] for r in records.iter_records(tmp_path)} == {r["run_id"] for r in recs}


# ---- sweeps through run.py ----------------------------------------------------------


def sweep_cmd(tmp_path: Path, sweep_dir: str, *args: str) -> list[str]:
    return [sys.executable, "run.py", "-m", f"hydra.sweep.dir={tmp_path / sweep_dir}",
            "dataset.loader._target_=conftest.synthetic_dataset", "~dataset.loader.data_dir",
            "baseline=manhattan", "baseline.estimator._target_=flaky.Flaky", "progress=false",
            *args]  # fmt: skip


def sweep_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    (tmp_path / "flaky.py").write_text(FLAKY)
    path = os.pathsep.join([str(tmp_path), str(TESTS), str(ROOT)])
    return {**os.environ, "PYTHONPATH": path, "INCUMBENT_RESULTS": str(tmp_path / "results"),
            "INCUMBENT_CODE_VERSION": "test-resume", "FLAKY_DIR": str(tmp_path), **extra}  # fmt: skip


def test_kill_worker_mid_sweep_then_resume(tmp_path):
    seeds = "seed=0,1,2,3"
    joblib = ["hydra/launcher=local_parallel", "hydra.launcher.n_jobs=2"]
    env = sweep_env(tmp_path, FLAKY="sleep:2")
    proc = subprocess.Popen(sweep_cmd(tmp_path, "sweep1", *joblib, seeds), cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    pid, results = tmp_path / "2.pid", tmp_path / "results"
    deadline = time.time() + 240
    # jobs 0, 1 and 3 finish while job 2 hangs in fit; then its worker is killed
    while not (pid.exists() and pid.read_text() and len(list(results.rglob("*.json"))) >= 3):
        assert proc.poll() is None, proc.stdout.read()
        assert time.time() < deadline, "the sweep never reached the hanging job"
        time.sleep(0.2)
    os.kill(int(pid.read_text()), signal.SIGKILL)  # a worker dies mid-run (OOM killer, ...)
    proc.communicate(timeout=120)
    assert proc.returncode != 0, "a killed worker must fail the sweep, not pass silently"

    done = valid_record_files(results)
    assert sorted(r["seed"] for r in done) == [0, 1, 3]  # finished runs intact, none partial
    before = {r["run_id"] for r in done}

    # resume: same command, nothing sleeps now; the two finished runs are skipped
    env = sweep_env(tmp_path, FLAKY="")
    proc = subprocess.run(sweep_cmd(tmp_path, "sweep2", *joblib, seeds), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    summary = json.loads((tmp_path / "sweep2" / "sweep_summary.json").read_text())
    assert [r["status"] for r in summary] == ["skipped", "skipped", "ok", "skipped"]
    after = valid_record_files(results)
    assert sorted(r["seed"] for r in after) == [0, 1, 2, 3]
    assert before <= {r["run_id"] for r in after}  # the old records were reused, not redone

    # force=true reruns even though records exist
    proc = subprocess.run(sweep_cmd(tmp_path, "sweep3", "seed=0", "force=true"), cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert len(valid_record_files(results)) == 5


def test_failed_run_is_reported_and_does_not_hide_the_others(tmp_path):
    env = sweep_env(tmp_path, FLAKY="raise:1")
    proc = subprocess.run(sweep_cmd(tmp_path, "sweep", "seed=0,1,2"), cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert proc.returncode == 1  # the sweep as a whole reports failure ...
    assert "sweep: 2 ok, 0 skipped, 0 n/a, 1 failed" in proc.stdout
    assert "flaky fit failed for seed 1" in proc.stdout
    recs = valid_record_files(tmp_path / "results")
    assert sorted(r["seed"] for r in recs) == [0, 2]  # ... after running every other job
    summary = json.loads((tmp_path / "sweep" / "sweep_summary.json").read_text())
    assert [r["status"] for r in summary] == ["ok", "failed", "ok"]
    failed = json.loads(Path(summary[1]["failure"]).read_text())
    assert failed["error"]["type"] == "RuntimeError"
    assert "flaky fit failed for seed 1" in failed["error"]["message"]
    assert failed["config"]["seed"] == 1 and failed["overrides"]
    # a failure marker is not a run record: tables and resume never see it
    assert all(r["seed"] != 1 for r in records.iter_records(tmp_path / "results"))


@pytest.mark.parametrize("edit", ["tracked", "untracked"])
def test_code_version_changes_with_uncommitted_code(tmp_path, monkeypatch, edit):
    monkeypatch.delenv("INCUMBENT_CODE_VERSION", raising=False)
    repo = tmp_path / "repo"
    (repo / "incumbent").mkdir(parents=True)
    (repo / "incumbent" / "a.py").write_text("x = 1\n")
    (repo / "README.md").write_text("docs\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    clean = resume.code_version(repo)
    assert len(clean) == 40  # a clean tree is its commit
    (repo / "README.md").write_text("more docs\n")  # not code: same version
    assert resume.code_version(repo) == clean
    if edit == "tracked":
        (repo / "incumbent" / "a.py").write_text("x = 2\n")
    else:
        (repo / "incumbent" / "b.py").write_text("y = 1\n")
    dirty = resume.code_version(repo)
    assert dirty.startswith(clean + "+dirty.") and dirty == resume.code_version(repo)
    digest = hashlib.sha256
    assert digest(dirty.encode()).digest() != digest(clean.encode()).digest()
