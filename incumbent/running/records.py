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
NUMERIC_PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "torch", "lightning")
"""Packages whose version can move a number: the resume rule requires them equal."""
CODE_PATHS = ("incumbent", "baselines", "conf", "run.py")
"""The kit's code and config: changes here (untracked files too) make a tree dirty."""


def git_state(root: Path = ROOT) -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        # changes to the kit's code and config, untracked files included: a new baseline
        # added as files (conf/baseline/x.yaml + baselines/x.py) is not at that commit
        dirty = bool(git("status", "--porcelain", "--untracked-files=all", "--", *CODE_PATHS))
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


MACHINE_LOCAL_KEYS = ("data_dir", "results_dir", "cache_dir", "out_dir")
"""Config keys that name folders of this machine: the same run elsewhere has other values."""


def _without_machine_paths(node):
    if isinstance(node, dict):
        return {k: _without_machine_paths(v) for k, v in node.items()
                if k not in MACHINE_LOCAL_KEYS}  # fmt: skip
    if isinstance(node, list):
        return [_without_machine_paths(v) for v in node]
    return node


def config_hash(config: dict[str, Any]) -> str:
    """Hash of the parts of a config that can move numbers: not paths (``paths`` and any
    data / results / cache / output folder nested elsewhere, e.g. a loader's ``data_dir``),
    not display or control flags."""
    keep = {k: v for k, v in config.items() if k not in ("paths", "progress", "hydra", "force")}
    blob = json.dumps(_without_machine_paths(keep), sort_keys=True, default=str).encode()
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
        # mkstemp makes the file private (0600); a record is shared: the usual mode
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
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
    """The record at ``path``, checked (:mod:`incumbent.running.integrity`); raises
    :class:`~incumbent.running.integrity.IntegrityError` (a ``ValueError``) if it fails."""
    from incumbent.running import integrity

    return integrity.load(path)


def read_scores(record: dict[str, Any]):
    import pandas as pd

    path = Path(record["_path"]).with_name(record["scores"]["file"])
    return pd.read_parquet(path)


def iter_records(*roots: str | Path):
    """Every record under the given folders (sorted by path) that passes the integrity
    checks; each one that does not is skipped with one warning naming file and check."""
    from incumbent.running import integrity

    for root in roots:
        yield from integrity.iter_valid(root)


def lookup(ref: str, candidates, where: str = "") -> dict[str, Any]:
    """A record by path, or by run id (or unique run-id prefix) among ``candidates()`` (a
    callable giving the records, called only when ``ref`` is not a path). The one lookup
    rule of the CLI (``cli_commands.resolve``), the API (``api._load``) and :func:`find`."""
    p = Path(ref)
    if p.suffix == ".json" and p.exists():
        return read(p)
    hits = [r for r in candidates() if r["run_id"].startswith(str(ref))]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise LookupError(f"no records match {str(ref)!r} {where}".rstrip())
    ids = ", ".join(sorted(r["run_id"] for r in hits)[:5])
    raise LookupError(
        f"{len(hits)} records match {str(ref)!r} {where} ({ids}...): give a longer prefix"
    )


def find(run_id_or_path: str, *roots: str | Path) -> dict[str, Any]:
    """A record by path, or by run id (or unique prefix) under ``roots``."""
    return lookup(run_id_or_path, lambda: iter_records(*roots),
                  f"under {', '.join(str(r) for r in roots)}")  # fmt: skip


def command_line() -> str:
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
