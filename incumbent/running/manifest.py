"""``MANIFEST.sha256``: the content hash of every committed record.

One ``<sha256>  <relative path>`` line per record file under a folder (``incumbents/``),
written by ``incumbent promote`` and checked on every read
(:mod:`incumbent.running.integrity`), so a hand edit of a committed record is caught even
though committed records carry no scores. ``python -m incumbent.running.integrity
--rebuild-manifest incumbents`` trusts the folder as it is (e.g. after a merge).
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

MANIFEST = "MANIFEST.sha256"
NOT_RECORDS = {"job_status.json", "sweep_summary.json", "continuous.json", "row_issues.json"}
"""JSON files the kit writes beside records that are not records (never warned about)."""


def is_record_file(path: Path) -> bool:
    """Whether a ``.json`` file under a records folder is meant to be a run record."""
    return not (
        path.name.startswith(".")
        or path.name.endswith(".failed.json")
        or path.name in NOT_RECORDS
        or "_failed" in path.parts
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def manifest_root(path: Path) -> Path | None:
    """The nearest folder above ``path`` holding a ``MANIFEST.sha256``, if any."""
    for parent in Path(path).resolve().parents:
        if (parent / MANIFEST).is_file():
            return parent
    return None


@functools.cache
def _read_manifest(file: Path, mtime_ns: int) -> dict[str, str]:
    out = {}
    for line in file.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, _, rel = line.partition("  ")
            out[rel.strip()] = digest.strip()
    return out


def read_manifest(root: Path) -> dict[str, str]:
    file = Path(root) / MANIFEST
    return _read_manifest(file, file.stat().st_mtime_ns)


def record_files(root: Path) -> list[Path]:
    return sorted(p for p in Path(root).rglob("*.json") if is_record_file(p.relative_to(root)))


def write_manifest(root: Path, written=(), rebuild: bool = False) -> tuple[Path, list[str]]:
    """(Re)write ``root/MANIFEST.sha256``: one ``<sha256>  <relative path>`` line per record.

    A file keeps its line when it was just ``written`` (by ``promote``) or still has the
    hash already listed; a file edited since it was listed, or added by hand, is left out
    (and named in the returned list) unless ``rebuild``, the explicit act of trusting the
    folder as it is (e.g. after a merge). Without a manifest yet, every file is listed.
    """
    from incumbent.running.records import atomic_write_bytes

    root = Path(root)
    old = read_manifest(root) if (root / MANIFEST).is_file() else None
    fresh = {Path(p).resolve() for p in written}
    lines, left_out = [], []
    for p in record_files(root):
        rel, digest = p.relative_to(root).as_posix(), sha256_file(p)
        if rebuild or old is None or p.resolve() in fresh or old.get(rel) == digest:
            lines.append(f"{digest}  {rel}")
        else:
            left_out.append(rel)
    atomic_write_bytes(root / MANIFEST, ("\n".join(lines) + "\n").encode())
    return root / MANIFEST, left_out


def verify_manifest(root: Path) -> list[str]:
    """Problems with ``root``'s manifest: unlisted, edited or missing record files."""
    root = Path(root)
    if not (root / MANIFEST).is_file():
        return [f"{root / MANIFEST} is missing"]
    listed = dict(read_manifest(root))
    problems = []
    for p in record_files(root):
        rel = p.relative_to(root).as_posix()
        want = listed.pop(rel, None)
        if want is None:
            problems.append(f"{rel}: not listed in {MANIFEST}")
        elif sha256_file(p) != want:
            problems.append(f"{rel}: sha256 differs from {MANIFEST}")
    problems += [f"{rel}: listed in {MANIFEST} but missing" for rel in listed]
    return problems
