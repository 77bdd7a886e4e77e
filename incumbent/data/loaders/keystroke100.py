"""Loader for Keystroke100 (Loy, Lai & Lim; card: ``datasets/keystroke100.md``).

100 users typed ``try4-mbs`` 10 times. ``user<N>/latency.txt`` holds one sample per
row (7 latencies, ms); ``user<N>/pressure.txt`` one pressure series (volts) per
column. Latencies become the features (in seconds, the kit's unit); the pressure
series stay available in ``Dataset.extra["pressure"][(subject, rep)]``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError, Dataset, read_card
from incumbent.data.loaders.fixed_text_checks import check_counts, fetch_all, parse_numbers

NAME = "keystroke100"
PASSWORD = "try4-mbs"
N_LATENCIES = len(PASSWORD) - 1


def feature_names() -> list[str]:
    """``L.<k1>.<k2>``: the latency between consecutive keys of ``try4-mbs``."""
    return [f"L.{a}.{b}" for a, b in zip(PASSWORD, PASSWORD[1:], strict=False)]


def load(data_dir: str | Path | None = None, root: str | Path | None = None) -> Dataset:
    """Load and validate; ``root`` (a folder holding ``keystroke100/user<N>/``) bypasses lookup."""
    card = read_card(NAME)
    paths, checksum = fetch_all(card, data_dir, root)
    frame, pressure = _parse_cached(tuple(sorted((k, str(v)) for k, v in paths.items())), checksum)
    return Dataset(
        name=NAME,
        frame=frame.copy(),
        features=feature_names(),
        checksum=checksum,
        card=card,
        extra={"pressure": pressure, "password": PASSWORD},
    )


@lru_cache(maxsize=2)
def _parse_cached(paths: tuple[tuple[str, str], ...], checksum: str):
    """Parsed once per process (sweeps reload the dataset per run); keyed on content."""
    card = read_card(NAME)
    return parse(dict(paths), card["subjects"], card["samples_per_subject"])


def parse(paths: dict[str, str | Path], subjects: int = 100, per_subject: int = 10):
    """(frame, pressure) from the card's relative names -> paths; errors name the file."""
    users = sorted(
        {Path(n).parent.name for n in paths}, key=lambda u: int(u.removeprefix("user") or -1)
    )
    frames, pressure = [], {}
    for user in users:
        lat = parse_latency(Path(paths[f"keystroke100/{user}/latency.txt"]))
        pre = parse_pressure(Path(paths[f"keystroke100/{user}/pressure.txt"]))
        if len(pre) != len(lat):
            raise DataError(
                f"{paths[f'keystroke100/{user}/pressure.txt']}: {len(pre)} pressure series "
                f"but latency.txt has {len(lat)} samples"
            )
        df = pd.DataFrame(lat / 1000.0, columns=feature_names())  # ms -> s
        df.insert(0, "rep", np.arange(1, len(lat) + 1))
        df.insert(0, "session", 1)
        df.insert(0, "subject", user)
        frames.append(df)
        pressure.update({(user, r + 1): s for r, s in enumerate(pre)})
    if not frames:
        raise DataError("keystroke100: no user folders found")
    frame = pd.concat(frames, ignore_index=True)
    check_counts(frame, "keystroke100", subjects, per_subject)
    return frame, pressure


def _lines(path: Path) -> list[str]:
    try:
        return path.read_bytes().decode("ascii").splitlines()
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not plain ASCII text ({e})") from e


def parse_latency(path: Path) -> np.ndarray:
    """Rows of 7 whitespace-separated latencies; blank lines (trailing, in 9 files) skipped."""
    rows = []
    for k, line in enumerate(_lines(path), start=1):
        tokens = line.split()
        if not tokens:
            continue
        if len(tokens) != N_LATENCIES:
            raise DataError(f"{path}, line {k}: {len(tokens)} values, expected {N_LATENCIES}")
        rows.append(parse_numbers(tokens, f"{path}, line {k}"))
    if not rows:
        raise DataError(f"{path}: no samples")
    return np.vstack(rows)


def parse_pressure(path: Path) -> list[np.ndarray]:
    """One series per tab-separated column; an empty cell ends that column's series.

    Series may differ in length (``user100``: trailing rows carry fewer values), but
    a series that has ended must not resume: that would be a shifted column.
    """
    lines = [ln for ln in _lines(path) if ln.strip()]
    if not lines:
        raise DataError(f"{path}: no pressure values")
    width = len(lines[0].split("\t"))
    cells = [ln.split("\t") for ln in lines]
    if all(len(c) == width and all(x.strip() for x in c) for c in cells):
        try:  # fast path: a rectangular matrix (99 of the 100 files)
            return list(np.array(cells, dtype=np.float64).T)
        except ValueError:
            pass  # fall through to the cell-by-cell parse, which names the bad cell
    series: list[list[float]] = [[] for _ in range(width)]
    ended = [False] * width
    for k, line in enumerate(lines, start=1):
        cells = line.split("\t")
        if len(cells) > width:
            raise DataError(f"{path}, line {k}: {len(cells)} columns, expected at most {width}")
        cells += [""] * (width - len(cells))
        for j, cell in enumerate(cells):
            if not cell.strip():
                ended[j] = True
                continue
            if ended[j]:
                raise DataError(f"{path}, line {k}, column {j + 1}: series resumes after a gap")
            series[j].append(parse_numbers([cell], f"{path}, line {k}, column {j + 1}")[0])
    return [np.asarray(s) for s in series]
