"""Checks shared by the fixed-text loaders: many-file fetch and count validation."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError, fetch, verify


def fetch_all(
    card: dict[str, Any], data_dir: str | Path | None = None, root: str | Path | None = None
) -> tuple[dict[str, Path], str]:
    """Verified paths of every file the card lists, and one checksum for the set.

    ``root`` (a folder laid out like ``data_dir/<folder>``) bypasses lookup; the
    checksums are still checked. The set checksum is the sha256 of the card's
    ``SHA256SUMS``-style listing, so it changes iff any file changes.
    """
    paths, lines = {}, []
    for spec in card["files"]:
        if root is not None:
            path = Path(root) / spec["name"]
            sha = verify(path, spec)
        else:
            path = fetch(card, spec["name"], data_dir)
            sha = spec["sha256"]
        paths[spec["name"]] = path
        lines.append(f"{sha}  {spec['name']}\n")
    return paths, hashlib.sha256("".join(sorted(lines)).encode()).hexdigest()


def check_counts(
    frame: pd.DataFrame, where: str, subjects: int, per_subject: int, unit: str = "samples"
) -> None:
    """Fail unless ``frame`` holds ``subjects`` subjects with ``per_subject`` rows each."""
    counts = frame.groupby("subject", sort=False).size()
    odd = counts[counts != per_subject]
    if len(counts) != subjects or len(odd):
        raise DataError(
            f"{where}: expected {subjects} subjects x {per_subject} {unit}, found "
            f"{len(counts)} subjects" + (f"; uneven: {odd.to_dict()}" if len(odd) else "")
        )


def parse_numbers(tokens: list[str], where: str) -> np.ndarray:
    """Floats from text tokens; a bad token is an error naming ``where`` and the token."""
    try:
        values = np.array([float(t) for t in tokens], dtype=np.float64)
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t))
        raise DataError(f"{where}: non-numeric value {bad!r}") from None
    if not np.isfinite(values).all():
        raise DataError(f"{where}: non-finite value")
    return values


def _is_float(t: str) -> bool:
    try:
        float(t)
    except ValueError:
        return False
    return True
