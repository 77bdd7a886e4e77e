"""Loader for MEU-Mobile KSD (card: ``datasets/meu_mobile_ksd.md``).

56 subjects typed ``.tie5Roanl`` 51 times on a Nexus 7 tablet. The copy found is one
header-less CSV per subject (``data/<subject>.csv``, 51 rows x 71 values); the column
names come from the dataset's ``README.txt``. Hold / DD / UD times and the average
hold ``AvH`` are converted from ms to seconds; pressure and finger-area values are
kept as recorded.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError, Dataset, read_card
from incumbent.data.loaders.fixed_text_checks import check_counts, fetch_all, parse_numbers

NAME = "meu_mobile_ksd"
# key labels as README.txt spells them: the password needs Shift (for 5) and Caps (for R)
KEYS = [".", "t", "i", "e", "Shift", "5", "Shift.1", "Caps", "r", "o", "a", "n", "l", "Enter"]
PAIRS = ["..t", "t.i", "i.e", "e.Shift", "Shift.5", "5.Shift", "Shift.Caps", "Caps.r", "r.o",
         "o.a", "a.n", "n.l", "l.Enter"]  # fmt: skip
FEATURE_SETS = ("all", "timing", "touch")


def columns() -> list[str]:
    """The 71 names of README.txt's 'Data Columns', in file order."""
    return (
        [f"Hold {k}" for k in KEYS]
        + [f"DD {p}" for p in PAIRS]
        + [f"UD {p}" for p in PAIRS]
        + [f"Pressure {k}" for k in KEYS]
        + [f"Size {k}" for k in KEYS]
        + ["AvH", "AvP", "AvA"]
    )


def milliseconds() -> list[str]:
    return [c for c in columns() if c.split()[0] in ("Hold", "DD", "UD") or c == "AvH"]


def select(features: str) -> list[str]:
    """``all`` (71, as distributed), ``timing`` (Hold/DD/UD, 40) or ``touch`` (timing +
    pressure + size, 68: no averages)."""
    cols = columns()
    if features == "all":
        return cols
    if features == "timing":
        return cols[:40]
    if features == "touch":
        return cols[:68]
    raise ValueError(f"features must be one of {FEATURE_SETS}, got {features!r}")


def load(
    data_dir: str | Path | None = None, root: str | Path | None = None, features: str = "all"
) -> Dataset:
    """Load and validate; ``root`` (a folder holding ``data/<n>.csv``) bypasses lookup."""
    card = read_card(NAME)
    feats = select(features)
    paths, checksum = fetch_all(card, data_dir, root)
    frame = _parse_cached(tuple(sorted((k, str(v)) for k, v in paths.items())), checksum)
    name = NAME if features == "all" else f"{NAME}_{features}"
    return Dataset(
        name=name,
        frame=frame[["subject", "session", "rep", *feats]].copy(),
        features=feats,
        checksum=checksum,
        card=card,
        extra={"password": ".tie5Roanl", "device": "Nexus 7"},
    )


@lru_cache(maxsize=2)
def _parse_cached(paths: tuple[tuple[str, str], ...], checksum: str) -> pd.DataFrame:
    """Parsed once per process (sweeps reload the dataset per run); keyed on content."""
    card = read_card(NAME)
    return parse(dict(paths), card["subjects"], card["samples_per_subject"])


def parse(paths: dict[str, str | Path], subjects: int = 56, per_subject: int = 51):
    """Frame from the card's relative names (``data/<n>.csv``) -> paths; errors name the file."""
    cols = columns()
    frames = []
    for name in sorted(paths, key=lambda n: int(Path(n).stem) if Path(n).stem.isdigit() else -1):
        path = Path(paths[name])
        if not Path(name).stem.isdigit():
            raise DataError(f"{path}: expected a file named <subject number>.csv")
        rows = parse_file(path, len(cols))
        df = pd.DataFrame(rows, columns=cols)
        df[milliseconds()] /= 1000.0
        df.insert(0, "rep", np.arange(1, len(df) + 1))
        df.insert(0, "session", 1)
        df.insert(0, "subject", Path(name).stem)
        frames.append(df)
    if not frames:
        raise DataError("meu_mobile_ksd: no data/<n>.csv files")
    frame = pd.concat(frames, ignore_index=True)
    check_counts(frame, "meu_mobile_ksd", subjects, per_subject)
    return frame


def parse_file(path: Path, width: int = 71) -> np.ndarray:
    """Header-less comma-separated rows of ``width`` numbers (CRLF or LF)."""
    try:
        lines = path.read_bytes().decode("ascii").splitlines()
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not plain ASCII text ({e})") from e
    rows = []
    for k, line in enumerate(lines, start=1):
        if not line.strip():
            if any(ln.strip() for ln in lines[k:]):
                raise DataError(f"{path}, line {k}: blank line inside the data")
            break
        tokens = line.split(",")
        if len(tokens) != width:
            hint = " (a header row? the files have none)" if k == 1 else ""
            raise DataError(f"{path}, line {k}: {len(tokens)} values, expected {width}{hint}")
        rows.append(parse_numbers(tokens, f"{path}, line {k}"))
    if not rows:
        raise DataError(f"{path}: no samples")
    return np.vstack(rows)
