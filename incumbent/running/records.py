"""Run records: one JSON file per run with full provenance, scores beside it.

Layout under ``paths.results_dir``::

    <dataset>/<protocol>-v<version>/<baseline>/<run_id>.json
    <dataset>/<protocol>-v<version>/<baseline>/<run_id>.scores.parquet

Both files are written atomically (temporary file + ``os.replace``), scores first, so
a JSON record on disk always describes a finished run whose scores exist.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from incumbent import ROOT

PACKAGES = (
    "incumbent", "numpy", "scipy", "pandas", "pyarrow", "scikit-learn", "torch", "lightning",
    "hydra-core", "omegaconf", "datasets",
)  # fmt: skip
SCHEMA = 1


def git_state(root: Path = ROOT) -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (subprocess.CalledProcessError, FileNotFoundError):
        return {"sha": None, "dirty": None}
    return {"sha": sha, "dirty": dirty}


@functools.cache  # installed versions do not change within a process (sweep workers)
def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for p in PACKAGES:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def versions() -> dict[str, str | None]:
    return dict(_versions())


def config_hash(config: dict[str, Any]) -> str:
    """Hash of the parts of a config that can move numbers (not paths or display)."""
    keep = {k: v for k, v in config.items() if k not in ("paths", "progress", "hydra", "force")}
    blob = json.dumps(keep, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def new_run_id(baseline: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{baseline}-{secrets.token_hex(3)}"


def record_dir(results_dir: str | Path, record: dict[str, Any]) -> Path:
    p = record["protocol"]
    return (
        Path(results_dir) / record["dataset"]["name"] / f"{p['name']}-v{p['version']}"
        / record["baseline"]
    )  # fmt: skip


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(record: dict[str, Any], scores, results_dir: str | Path) -> Path:
    """Write scores then the record; return the record's path."""
    import io

    folder = record_dir(results_dir, record)
    if scores is not None:
        buf = io.BytesIO()
        scores.to_parquet(buf, index=False)
        blob = buf.getvalue()
        name = f"{record['run_id']}.scores.parquet"
        atomic_write_bytes(folder / name, blob)
        record["scores"] = {"file": name, "sha256": hashlib.sha256(blob).hexdigest()}
    path = folder / f"{record['run_id']}.json"
    text = json.dumps(record, indent=2, sort_keys=False, default=_json_default)
    atomic_write_bytes(path, (text + "\n").encode())
    return path


def _json_default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def read(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        rec = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: not a readable run record ({e})") from e
    if not isinstance(rec, dict):  # e.g. a sweep's sweep_summary.json under results/multirun
        raise ValueError(f"{path}: not a run record (a JSON {type(rec).__name__})")
    rec["_path"] = str(path)
    return rec


def read_scores(record: dict[str, Any]):
    import pandas as pd

    path = Path(record["_path"]).with_name(record["scores"]["file"])
    return pd.read_parquet(path)


def iter_records(*roots: str | Path):
    """Every record JSON under the given folders (sorted by path)."""
    for root in roots:
        root = Path(root)
        if root.is_file():
            yield read(root)
            continue
        for path in sorted(root.rglob("*.json")):
            if path.name.startswith("."):
                continue
            try:
                rec = read(path)
            except ValueError:
                continue
            if "run_id" in rec and "metrics" in rec:
                yield rec


def find(run_id_or_path: str, *roots: str | Path) -> dict[str, Any]:
    """A record by path, or by run id (or unique prefix) under ``roots``."""
    p = Path(run_id_or_path)
    if p.suffix == ".json" and p.exists():
        return read(p)
    hits = [r for r in iter_records(*roots) if r["run_id"].startswith(run_id_or_path)]
    if len(hits) != 1:
        where = ", ".join(str(r) for r in roots)
        raise LookupError(
            f"{'no' if not hits else len(hits)} records match {run_id_or_path!r} under {where}"
        )
    return hits[0]


def command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
