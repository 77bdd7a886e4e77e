"""Shared bad-input checks for loaders and protocols.

Every check raises :class:`~incumbent.data.cards.DataError` naming the file (or source), the
row or session, and what was expected, so a bad file is a clear error rather than a
crash trace or a silently wrong number. Row numbers are 1-based *data* rows (add one
for a header line) unless the frame carries its own line numbers in ``row_column``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError


def _where(df: pd.DataFrame, pos: int, row_column: str | None) -> str:
    if row_column is not None and row_column in df.columns:
        return f"line {df[row_column].iloc[pos]}"
    return f"row {pos + 1}"


def check_nonempty(df: pd.DataFrame | None, source: str | Path, what: str = "file") -> None:
    """An empty (or header-only) file or session is an error, not zero samples."""
    if df is None or len(df) == 0:
        raise DataError(f"{source}: empty {what} (no data rows); expected at least one")


def check_columns(df: pd.DataFrame, required: Sequence[str], source: str | Path) -> None:
    """All ``required`` columns present; names the missing ones and what was found."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(
            f"{source}: missing column(s) {missing}; expected {list(required)}, "
            f"found {list(df.columns)} (renamed or a different release?)"
        )


def check_numeric(df: pd.DataFrame, columns: Iterable[str], source: str | Path,
                  row_column: str | None = None) -> pd.DataFrame:  # fmt: skip
    """Columns as finite float64; the first non-numeric, NaN or inf cell is an error."""
    columns = list(columns)
    values = df[columns].apply(pd.to_numeric, errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values.to_numpy())
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(
            f"{source}: {_where(df, r, row_column)}, column {columns[c]}: expected a finite "
            f"number, got {df[columns[c]].iloc[r]!r}"
        )
    return values


def check_timestamps(df: pd.DataFrame, column: str, source: str | Path,
                     group: str | None = None, row_column: str | None = None,
                     strict: bool = False) -> None:  # fmt: skip
    """Timestamps numeric, non-negative and non-decreasing (within each ``group``).

    ``strict=True`` also rejects repeated timestamps. Event streams (keystrokes, mouse
    events) are ordered in time; a negative or backwards timestamp means a corrupt or
    mis-parsed file, and features computed from it (latencies, velocities) would be
    silently wrong.
    """
    t = check_numeric(df, [column], source, row_column)[column].to_numpy()
    neg = np.flatnonzero(t < 0)
    if neg.size:
        r = int(neg[0])
        raise DataError(
            f"{source}: {_where(df, r, row_column)}: negative timestamp {column}={float(t[r])!r}; "
            "expected >= 0"
        )
    step = np.diff(t)
    if group is not None:
        g = df[group].to_numpy()
        same = g[1:] == g[:-1]
    else:
        same = np.ones(step.size, bool)
    back = np.flatnonzero(same & ((step <= 0) if strict else (step < 0)))
    if back.size:
        r = int(back[0]) + 1
        scope = f" within {group} {df[group].iloc[r]!r}" if group is not None else ""
        raise DataError(
            f"{source}: {_where(df, r, row_column)}: timestamp {column}={float(t[r])!r} after "
            f"{float(t[r - 1])!r}{scope}; expected {'increasing' if strict else 'non-decreasing'} "
            "timestamps"
        )


def check_min_samples(counts: pd.Series | dict, minimum: int, source: str | Path,
                      what: str = "samples", protocol: str = "the protocol") -> None:  # fmt: skip
    """Every subject has at least ``minimum`` samples; names the short subjects."""
    counts = pd.Series(counts)
    short = counts[counts < minimum]
    if len(short):
        listed = ", ".join(f"{k} ({v})" for k, v in list(short.items())[:10])
        more = f" and {len(short) - 10} more" if len(short) > 10 else ""
        raise DataError(
            f"{source}: subject(s) {listed}{more} have too few {what}; {protocol} needs at "
            f"least {minimum} per subject"
        )
