"""Dataset cards, local copies, downloads and checksums.

A dataset's card is ``datasets/<name>.md``; its YAML front matter names the folder,
files, URLs and checksums. :func:`fetch` finds a file under ``data_dir/<folder>/``
(the layout of ``../shared/data``) or downloads it into the user cache, then verifies
it. Every failure is a :class:`DataError` naming the file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from incumbent import resource

CARDS = resource("datasets")  # the kit's cards (never Hugging Face's `datasets` package)


class DataError(ValueError):
    """A dataset file is missing, corrupt or not in the documented layout."""


def default_data_dir() -> Path:
    env = os.environ.get("INCUMBENT_DATA")
    if env:
        return Path(env)
    return cache_dir()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "incumbent"


def read_card(name: str) -> dict[str, Any]:
    path = CARDS / f"{name}.md"
    if not path.exists():
        known = sorted(p.stem for p in CARDS.glob("*.md") if p.stem != "README")
        raise DataError(f"no dataset card {path}; known datasets: {', '.join(known)}")
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise DataError(f"{path}: card must start with YAML front matter")
    front = text.split("---", 2)[1]
    return yaml.safe_load(front)


def file_digest(path: Path, algo: str = "sha256", chunk: int = 1 << 20) -> str:
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, spec: dict[str, Any]) -> str:
    """Check ``path`` against the card's checksums; return its sha256."""
    if not path.exists():
        raise DataError(f"{path}: file not found")
    if "bytes" in spec and path.stat().st_size != spec["bytes"]:
        raise DataError(
            f"{path}: size {path.stat().st_size} bytes, expected {spec['bytes']} "
            "(truncated or a different release?)"
        )
    sha = file_digest(path, "sha256")
    for algo in ("md5", "sha256"):
        want = spec.get(algo)
        got = sha if algo == "sha256" else file_digest(path, algo) if want else None
        if want and got != want:
            raise DataError(f"{path}: {algo} checksum mismatch: expected {want}, got {got}")
    return sha


def _download(url: str, dest: Path) -> None:
    from tqdm.auto import tqdm

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as r, os.fdopen(fd, "wb") as out:
            total = int(r.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name) as bar:
                while block := r.read(1 << 20):
                    out.write(block)
                    bar.update(len(block))
        os.replace(tmp, dest)
    except Exception:
        Path(tmp).unlink(missing_ok=True)
        raise


def fetch(card: dict[str, Any], filename: str, data_dir: str | Path | None = None) -> Path:
    """Path of a verified local copy of ``filename`` from ``card``; download if needed."""
    spec = next((f for f in card["files"] if f["name"] == filename), None)
    if spec is None:
        raise DataError(f"card {card['name']} lists no file {filename}")
    data_dir = Path(data_dir) if data_dir else default_data_dir()
    candidates = [data_dir / card["folder"] / filename, cache_dir() / card["folder"] / filename]
    for path in candidates:
        if path.exists():
            verify(path, spec)
            return path
    url = spec.get("url")
    if not url:
        raise DataError(
            f"{filename} not found in {candidates[0].parent} and the card gives no download "
            "URL; obtain it by hand (see the card) and set INCUMBENT_DATA or paths.data_dir"
        )
    dest = candidates[1]
    try:
        _download(url, dest)
    except OSError as e:
        raise DataError(
            f"{filename} not found in {candidates[0].parent} and downloading {url} failed "
            f"({e}); put a copy there or set INCUMBENT_DATA / paths.data_dir"
        ) from e
    verify(dest, spec)
    return dest


@dataclass
class Dataset:
    """A loaded dataset in the kit's schema.

    ``frame`` has one row per sample. Fixed-text data: ``subject``, ``session``,
    ``rep`` and one column per timing feature (listed in ``features``). Event-stream
    data keeps one row per session/sequence with whatever columns its loader
    documents; ``features`` may then be empty and the protocol knows the layout.
    """

    name: str
    frame: Any
    features: list[str]
    checksum: str
    card: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def subjects(self) -> list[str]:
        return list(dict.fromkeys(self.frame["subject"]))
