"""Resume: skip a run whose record already exists, unless ``force=true``.

The rule. A run is **done** when a valid record exists under ``paths.results_dir`` (same
dataset / protocol-version / baseline folder) with the same

* ``config_hash`` (:func:`incumbent.running.records.config_hash`: every config key that can move
  numbers, i.e. all but ``paths``, ``progress``, ``force`` and machine-local folders such as a
  loader's ``data_dir``, so the same data at another path resumes),
* ``code_version`` (:func:`code_version`: the git commit; for a dirty tree the commit
  plus a digest of the uncommitted changes to code, so editing a baseline reruns it), and
* ``dataset.checksum`` (the loader's sha256 of the data actually read),
* the versions of the numeric packages (:data:`incumbent.running.records.NUMERIC_PACKAGES`),

and it passes the integrity checks (:mod:`incumbent.running.integrity`, which include its
scores file's sha256), and its scores file exists. The dataset checksum is
only known after loading, so the check runs **after the dataset is loaded and before
any baseline is fitted** (loading is cheap next to fitting a sweep's worth of models;
loaders cache their parse). ``$INCUMBENT_CODE_VERSION``, when set, replaces the git
state (for a deployed copy without ``.git``; you vouch that it names the code). Failed runs leave a ``.failed.json`` marker, never a record,
so they are always retried. Outside a git checkout the code version is unknown and
nothing is skipped.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

from incumbent import ROOT
from incumbent.running import records
from incumbent.running.manifest import is_record_file

CODE_PATHS = records.CODE_PATHS
"""What counts as code for the dirty-tree digest (tests, docs, experiments do not)."""


def _git(root: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=True).stdout


def code_version(root: Path = ROOT) -> str | None:
    """``<sha>`` for a clean tree, ``<sha>+dirty.<digest>`` otherwise, ``None`` without git.

    The digest covers ``git diff HEAD`` and the untracked (not ignored) files under
    :data:`CODE_PATHS`, so two runs on the same uncommitted edits match, and any edit to
    code in between makes them differ.
    """
    if os.environ.get("INCUMBENT_CODE_VERSION"):  # stated by hand: a copy without .git
        return os.environ["INCUMBENT_CODE_VERSION"]
    state = records.git_state(root)
    if state["sha"] is None:
        return None
    try:
        diff = _git(root, "diff", "HEAD", "--binary", "--", *CODE_PATHS)
        others = _git(root, "ls-files", "--others", "--exclude-standard", "-z", "--", *CODE_PATHS)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    if not diff and not others:
        return state["sha"]
    h = hashlib.sha256(diff)
    for name in sorted(n for n in others.split(b"\0") if n):
        h.update(b"\0" + name + b"\0")
        path = root / name.decode()
        if path.is_file():
            h.update(path.read_bytes())
    return f"{state['sha']}+dirty.{h.hexdigest()[:12]}"


def record_code_version(record: dict[str, Any]) -> str | None:
    """A record's code version (older records: the git SHA of a clean tree)."""
    if "code_version" in record:
        return record["code_version"]
    git = record.get("git") or {}
    return git.get("sha") if git.get("dirty") is False else None


def scores_intact(record: dict[str, Any]) -> bool:
    info = record.get("scores")
    if info is None:  # saved without scores (save_scores=false): the JSON is the record
        return True
    path = Path(record["_path"]).with_name(info["file"])
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"]
    except OSError:
        return False


def same_numeric_versions(record: dict[str, Any]) -> bool:
    have, now = record.get("versions") or {}, records.versions()
    return all(have.get(p) == now.get(p) for p in records.NUMERIC_PACKAGES)


def find_done(results_dir: str | Path, dataset, protocol, baseline: str, config_hash: str,
              code_version: str | None) -> dict[str, Any] | None:  # fmt: skip
    """The newest valid record of this run matching the rule above, else ``None``."""
    if code_version is None:
        return None
    checksum = dataset.checksum
    folder = records.record_dir(results_dir, {
        "dataset": {"name": dataset.name}, "baseline": baseline,
        "protocol": {"name": protocol.name, "version": protocol.version}})  # fmt: skip
    if not folder.is_dir():
        return None
    hits = []
    for path in folder.glob("*.json"):
        if not is_record_file(path.relative_to(folder)):
            continue
        try:
            rec = records.read(path)
        except ValueError:  # unreadable: not a finished run (cannot happen with atomic writes)
            continue
        if (
            rec.get("config_hash") == config_hash
            and record_code_version(rec) == code_version
            and (rec.get("dataset") or {}).get("checksum") == checksum
            and "metrics" in rec
            and same_numeric_versions(rec)
            and scores_intact(rec)
        ):
            hits.append(rec)
    return max(hits, key=lambda r: r.get("started") or "") if hits else None
