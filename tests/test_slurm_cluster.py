"""The kit's ``hydra/launcher=slurm`` on a real SLURM cluster (slurmctld + slurmd + munge).

``experiments/slurm/start_cluster.sh`` starts a one-node cluster on this machine (installing
Debian's slurm-wlm and munge when missing) and ``stop_cluster.sh`` removes it. The
Killourhy & Maxion sweep (14 detectors, real CMU data) is submitted as a SLURM array:

1. a first submission is cancelled with ``scancel`` while tasks are running: every record
   on disk is complete (parses, scores match their sha256), none for the killed tasks;
2. the same command again resumes: the finished runs are skipped, the rest run;
3. the 14 records equal the same sweep run locally (basic launcher), per subject.

Needs root (the daemons run jobs as their user) and, if SLURM is missing, apt. About three
minutes on two cores: ``python -m pytest -m slurm``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from record_factory import valid_record_files

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "experiments" / "slurm"
DETECTORS = 14
# the local partition, one CPU and 1 GB per task (the node has the machine's cores, 4 GB)
SLURM = ["hydra/launcher=slurm", "hydra.launcher.partition=debug", "hydra.launcher.mem_gb=1",
         "hydra.launcher.cpus_per_task=1", "hydra.launcher.timeout_min=20"]  # fmt: skip

pytestmark = [pytest.mark.slurm, pytest.mark.repro]


def _free_port() -> int:
    with socket.socket() as s:  # slurmctld gets it, slurmd the next one
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("SLURM cluster test needs root (slurmd runs jobs as their user)")
    if not shutil.which("slurmctld") and not shutil.which("apt-get"):
        pytest.skip("SLURM is not installed and there is no apt-get to install it")
    folder = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "INCUMBENT_SLURM_DIR": str(folder), "SLURM_CPUS": str(os.cpu_count()),
           "SLURM_PORT": str(_free_port())}  # fmt: skip
    out = subprocess.run(["bash", SCRIPTS / "start_cluster.sh"], env=env, capture_output=True,
                         text=True, timeout=900)  # fmt: skip
    try:
        assert out.returncode == 0, out.stderr[-3000:]
        env.update(SLURM_CONF=str(folder / "slurm.conf"),
                   PATH=f"{folder / 'bin'}{os.pathsep}{env['PATH']}")  # fmt: skip
        yield env
    finally:
        subprocess.run(["bash", SCRIPTS / "stop_cluster.sh", folder], env=env, timeout=120)
        assert not folder.exists(), "stop_cluster.sh left the cluster folder behind"


def km_sweep(tmp: Path, name: str, data_dir: Path, results: Path, env: dict, *args: str):
    """The K&M sweep command, as a user types it, into ``results``."""
    env = {**env, "INCUMBENT_DATA": str(data_dir), "INCUMBENT_RESULTS": str(results),
           "INCUMBENT_CODE_VERSION": "test-slurm"}  # fmt: skip
    cmd = [sys.executable, "run.py", "experiment=killourhy2009", "progress=false",
           f"hydra.sweep.dir={tmp / name}", *args]  # fmt: skip
    return cmd, env


def records(results: Path) -> dict[str, dict]:
    """baseline -> its newest record; every record file must be complete."""
    # record names sort by time stamp: the newest wins
    return {rec["baseline"]: rec for rec in valid_record_files(results)}


def squeue(env: dict, *args: str) -> list[str]:
    out = subprocess.run(["squeue", "-h", "-r", *args], env=env, capture_output=True, text=True)
    return out.stdout.split()


def test_sweep_on_slurm_cancel_resume_equals_local(cluster, data_dir, tmp_path):
    results = tmp_path / "slurm_results"
    cmd, env = km_sweep(tmp_path, "first", data_dir, results, cluster, *SLURM)
    # 1. submit, wait until some runs are done and others running, then scancel them all
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    deadline, running = time.time() + 300, []
    while time.time() < deadline and proc.poll() is None:
        running = squeue(cluster, "-t", "RUNNING", "-o", "%i")
        if running and len(list(results.rglob("*.json"))) >= 3:
            break
        time.sleep(0.5)
    assert running, f"no SLURM task running mid-sweep: {proc.communicate()[0][-3000:]}"
    array = running[0].split("_")[0]
    subprocess.run(["scancel", array], env=cluster, check=True)
    try:
        log = proc.communicate(timeout=180)[0]
    except subprocess.TimeoutExpired:
        proc.kill()
        log = proc.communicate()[0]
    assert proc.returncode != 0, "the cancelled sweep reported success"
    assert not squeue(cluster, "-o", "%i"), "cancelled tasks still queued"
    done = records(results)  # complete records only; none half-written
    assert 0 < len(done) < DETECTORS, (sorted(done), log[-2000:])
    assert not list(results.rglob("*.tmp")), "a temporary file of a killed writer remains"

    # 2. the same command resumes: finished runs skipped, the others run
    cmd, env = km_sweep(tmp_path, "again", data_dir, results, cluster, *SLURM)
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    summary = json.loads((tmp_path / "again" / "sweep_summary.json").read_text())
    status = {r["overrides"][0].removeprefix("baseline="): r["status"] for r in summary}
    assert len(status) == DETECTORS
    assert {b for b, s in status.items() if s == "skipped"} == set(done)
    assert {b for b, s in status.items() if s == "ok"} == set(status) - set(done)
    on_slurm = records(results)
    assert len(on_slurm) == DETECTORS
    assert list((tmp_path / "again" / ".submitit").glob("*/*_result.pkl"))  # really submitit

    # 3. the same sweep run locally gives the same records, subject by subject
    cmd, env = km_sweep(tmp_path, "local", data_dir, tmp_path / "local_results", os.environ)
    local = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert local.returncode == 0, local.stderr[-3000:]
    here = records(tmp_path / "local_results")
    assert sorted(here) == sorted(on_slurm)
    for name, rec in here.items():
        assert on_slurm[name]["per_subject"] == rec["per_subject"], name
        assert on_slurm[name]["metrics"] == rec["metrics"], name
        assert on_slurm[name]["scores"]["sha256"] == rec["scores"]["sha256"], name
