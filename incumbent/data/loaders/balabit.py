"""Loader for the Balabit Mouse Dynamics Challenge (card: ``datasets/balabit.md``).

``load()`` returns a :class:`~incumbent.data.cards.Dataset` whose ``frame`` has one row per
session (``subject``, ``session``, ``split`` train/test, ``label`` 1 legal / 0 illegal
/ -1 unlabelled training, ``n_events``, ``path``) and whose ``extra["events"]`` holds
every event of those sessions, in file order, as the frame that
:func:`incumbent.data.mouse.segmentation.segment` takes: ``session`` (row number in
``frame``), ``rtime``, ``time``, ``button``, ``state`` (small integer codes, see
``BUTTONS``/``STATES`` there), ``x``, ``y``.

Unlabelled test sessions (not in ``public_labels.csv``) are skipped, so the full
release and the labelled subset in ``../shared/data`` load to the same dataset.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from incumbent.data.cards import DataError, Dataset, default_data_dir, file_digest, read_card
from incumbent.data.mouse.segmentation import BUTTONS, STATES
from incumbent.data.validate import check_nonempty, check_timestamps

NAME = "balabit"
HEADER = ["record timestamp", "client timestamp", "button", "state", "x", "y"]
_DICT = pa.dictionary(pa.int32(), pa.string())
_TYPES = dict(zip(HEADER, [pa.float64(), pa.float64(), _DICT, _DICT, pa.int32(), pa.int32()],
                  strict=True))  # fmt: skip


def root_of(data_dir: str | Path | None = None) -> Path:
    card = read_card(NAME)
    root = Path(data_dir or default_data_dir()) / card["folder"]
    if not (root / "training_files").is_dir():
        raise DataError(
            f"{root}: no training_files/ folder. Get the data with `git clone "
            f"{card['source']}` (commit {card['commit']}) and point INCUMBENT_DATA / "
            f"paths.data_dir at its parent, the clone renamed to {card['folder']}/"
        )
    return root


def load(
    data_dir: str | Path | None = None,
    splits: tuple[str, ...] = ("train", "test"),
    verify: bool = True,
) -> Dataset:
    """Load the sessions of ``splits``; ``verify`` checks the card's manifest digest."""
    card = read_card(NAME)
    root = root_of(data_dir)
    frame = session_table(root, splits)
    checksum = manifest_digest(root, frame)
    want = card["manifest_sha256"] if set(splits) == {"train", "test"} else None
    if verify and want and checksum != want:
        raise DataError(
            f"{root}: manifest sha256 {checksum} does not match the card's {want}; "
            + _first_bad_file(root, frame)
        )
    events, n = read_events(frame["path"].tolist())
    frame["n_events"] = n
    return Dataset(
        name=NAME, frame=frame, features=[], checksum=checksum, card=card,
        extra={"events": events, "root": str(root)},
    )  # fmt: skip


def session_table(root: Path, splits: tuple[str, ...] = ("train", "test")) -> pd.DataFrame:
    """One row per session file in the official layout (sorted by user, then name)."""
    rows = []
    if "train" in splits:
        for p in sorted((root / "training_files").glob("user*/session_*")):
            rows.append((p.parent.name, p.name, "train", -1, p))
    if "test" in splits:
        labels = read_labels(root / "public_labels.csv")
        seen = set()
        for p in sorted((root / "test_files").glob("user*/session_*")):
            if p.name in labels:
                rows.append((p.parent.name, p.name, "test", 1 - labels[p.name], p))
                seen.add(p.name)
        lost = sorted(set(labels) - seen)
        if lost:
            raise DataError(
                f"{root / 'test_files'}: {len(lost)} labelled test sessions missing "
                f"(e.g. {lost[0]} from public_labels.csv)"
            )
    if not rows:
        raise DataError(f"{root}: no session files found for splits {splits}")
    frame = pd.DataFrame(rows, columns=["subject", "session", "split", "label", "path"])
    frame["path"] = frame["path"].map(str)
    return frame


def read_labels(path: Path) -> dict[str, int]:
    """``public_labels.csv`` as {session file name: is_illegal}."""
    if not path.exists():
        raise DataError(f"{path}: file not found (the labels of the public test sessions)")
    df = pd.read_csv(path, dtype={"filename": str})
    if list(df.columns) != ["filename", "is_illegal"]:
        raise DataError(f"{path}: header {list(df.columns)}, expected ['filename', 'is_illegal']")
    bad = ~df["is_illegal"].isin([0, 1])
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise DataError(f"{path}: row {r + 2}: is_illegal must be 0 or 1, got {df.iloc[r, 1]!r}")
    return dict(zip(df["filename"], df["is_illegal"].astype(int), strict=True))


def _vocab_codes(arr: pa.ChunkedArray, vocab: tuple[str, ...], path: str, col: str):
    out = []
    for chunk in arr.chunks:
        names = chunk.dictionary.to_pylist()
        unknown = [v for v in names if v not in vocab]
        if unknown:
            raise DataError(f"{path}: column {col!r} has unknown value {unknown[0]!r}")
        lut = np.array([vocab.index(v) for v in names], dtype=np.int8)
        out.append(lut[chunk.indices.to_numpy(zero_copy_only=False)])
    return np.concatenate(out) if out else np.zeros(0, np.int8)


def read_session(path: str) -> dict[str, np.ndarray]:
    """Parse one session CSV into arrays; errors name the file."""
    try:
        tab = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False),
            convert_options=pacsv.ConvertOptions(column_types=_TYPES),
        )
    except (pa.ArrowInvalid, OSError) as e:
        raise DataError(f"{path}: not a Balabit session CSV ({e})") from e
    if tab.column_names != HEADER:
        raise DataError(f"{path}: header {tab.column_names}, expected {HEADER}")
    if any(tab[c].null_count for c in HEADER):
        col = next(c for c in HEADER if tab[c].null_count)
        raise DataError(f"{path}: missing values in column {col!r}")
    time = tab["client timestamp"].to_numpy()
    check_nonempty(tab, path, what="session")
    check_timestamps(pd.DataFrame({"client timestamp": time}), "client timestamp", path)
    return {
        "rtime": tab["record timestamp"].to_numpy(),
        "time": time,
        "button": _vocab_codes(tab["button"], BUTTONS, path, "button"),
        "state": _vocab_codes(tab["state"], STATES, path, "state"),
        "x": tab["x"].to_numpy(),
        "y": tab["y"].to_numpy(),
    }


def read_events(paths: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """All events of ``paths`` as one frame (``session`` = index in ``paths``)."""
    # pyarrow releases the GIL: parse files on all cores
    with ThreadPoolExecutor(max_workers=min(len(paths), os.cpu_count() or 1) or 1) as pool:
        parts = list(pool.map(read_session, paths))
    n = np.array([len(p["time"]) for p in parts], dtype=np.int64)
    cols = {"session": np.repeat(np.arange(len(paths), dtype=np.int32), n)}
    for c in ("rtime", "time", "button", "state", "x", "y"):
        cols[c] = np.concatenate([p[c] for p in parts]) if parts else np.zeros(0)
    return pd.DataFrame(cols), n


def manifest_lines(root: Path, frame: pd.DataFrame) -> list[str]:
    """``sha256  relative/path`` for public_labels.csv and every loaded session, sorted."""
    files = [root / "public_labels.csv", *map(Path, frame["path"])]
    return sorted(f"{file_digest(f)}  {f.relative_to(root).as_posix()}" for f in files)


def manifest_digest(root: Path, frame: pd.DataFrame) -> str:
    """The dataset checksum: sha256 of the sorted manifest lines joined by newlines."""
    text = "\n".join(manifest_lines(root, frame)) + "\n"
    return hashlib.sha256(text.encode()).hexdigest()


def _first_bad_file(root: Path, frame: pd.DataFrame) -> str:
    sums = root / "SHA256SUMS"
    if not sums.exists():
        return "no SHA256SUMS in the folder to name the changed file"
    want = dict(line.split("  ", 1)[::-1] for line in sums.read_text().splitlines() if line)
    for line in manifest_lines(root, frame):
        digest, rel = line.split("  ", 1)
        if want.get(rel) != digest:
            return f"first differing file: {rel}"
    return "every file matches SHA256SUMS; the set of files differs"
