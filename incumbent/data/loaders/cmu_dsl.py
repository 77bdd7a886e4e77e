"""Loader for CMU DSL-StrongPasswordData (card: ``datasets/cmu_dsl.md``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError, Dataset, fetch, read_card, verify
from incumbent.data.loaders.fixed_text_checks import check_counts

NAME = "cmu_dsl"
FILE = "DSL-StrongPasswordData.csv"


def official_columns() -> list[str]:
    cols = ["subject", "sessionIndex", "rep"]
    names = ["period", "t", "i", "e", "five", "Shift.r", "o", "a", "n", "l", "Return"]
    for k1, k2 in zip(names, names[1:], strict=False):
        cols += [f"H.{k1}", f"DD.{k1}.{k2}", f"UD.{k1}.{k2}"]
    return cols + ["H.Return"]


def load(data_dir: str | Path | None = None, path: str | Path | None = None) -> Dataset:
    """Load and validate the CMU file; ``path`` bypasses lookup (checksum still checked)."""
    card = read_card(NAME)
    if path is not None:
        path = Path(path)
        sha = verify(path, card["files"][0])
    else:
        path = fetch(card, FILE, data_dir)
        sha = verify(path, card["files"][0])
    frame = parse(path, subjects=card["subjects"], per_subject=card["samples_per_subject"])
    features = official_columns()[3:]
    return Dataset(name=NAME, frame=frame, features=features, checksum=sha, card=card)


def parse(path: Path, subjects: int = 51, per_subject: int = 400) -> pd.DataFrame:
    """Parse and validate the CSV layout (no checksum); errors name the file."""
    try:
        df = pd.read_csv(path, dtype={"subject": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not a readable CSV ({e})") from e
    want = official_columns()
    if list(df.columns) != want:
        missing = [c for c in want if c not in df.columns]
        extra = [c for c in df.columns if c not in want]
        raise DataError(
            f"{path}: header does not match the official 34 columns "
            f"(missing {missing or 'none'}, unexpected {extra or 'none'})"
        )
    timing = want[3:]
    values = df[timing].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"{path}: row {r + 2}, column {timing[c]}: non-numeric or missing timing "
            f"{df[timing[c]].iloc[r]!r}"
        )
    check_counts(df, str(path), subjects, per_subject, unit="rows")
    frame = pd.concat(
        [
            df["subject"].rename("subject"),
            df["sessionIndex"].astype(int).rename("session"),
            df["rep"].astype(int).rename("rep"),
            values.astype(np.float64),
        ],
        axis=1,
    )
    return frame
