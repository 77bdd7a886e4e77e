"""Loader for the SapiMouse raw mouse logs (card: ``datasets/sapimouse.md``).

Layout: ``<data_dir>/sapimouse/user<N>[.<k>]/session_[<date>_]{1min,3min}.csv``. The
whole folder is checked against one digest over its manifest (see the card for the
rule), so a changed, missing or extra session file is an error naming it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError, Dataset, default_data_dir, file_digest, read_card

NAME = "sapimouse"
log = logging.getLogger(__name__)
COLUMNS = ["client timestamp", "button", "state", "x", "y"]
SESSIONS = ("3min", "1min")  # recording order: the 3-minute session came first
_FOLDER = re.compile(r"^user(\d+)(?:\.(\d+))?$")
_FILE = re.compile(r"^session_(?:.*_)?(1min|3min)\.csv$")


def session_files(root: Path) -> list[tuple[str, Path]]:
    """(relative path, path) of every session CSV under ``root``, sorted by relative path."""
    files = [p for p in root.glob("user*/*.csv")]
    return sorted(((p.relative_to(root).as_posix(), p) for p in files), key=lambda t: t[0])


def manifest_digest(root: Path) -> tuple[str, dict[str, str]]:
    """sha256 of the ``sha256sum``-format manifest (``<sha256>  <relpath>`` lines sorted by
    path), and the per-file digests."""
    digests = {rel: file_digest(p) for rel, p in session_files(root)}
    text = "".join(f"{d}  {rel}\n" for rel, d in digests.items())
    return hashlib.sha256(text.encode()).hexdigest(), digests


def _explain_mismatch(root: Path, digests: dict[str, str]) -> str:
    sums = root / "SHA256SUMS"
    if not sums.exists():
        return "no SHA256SUMS beside the data to say which file differs"
    want = dict(reversed(line.split(maxsplit=1)) for line in sums.read_text().splitlines())
    want = {k.strip(): v for k, v in want.items()}
    missing = sorted(set(want) - set(digests))
    extra = sorted(set(digests) - set(want))
    changed = sorted(k for k in set(want) & set(digests) if want[k] != digests[k])
    return f"missing {missing[:5] or 'none'}, unexpected {extra[:5] or 'none'}, changed {changed[:5] or 'none'}"


def read_session(path: Path) -> pd.DataFrame:
    """One session file, validated: the official 5 columns, integer time and coordinates."""
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: not a readable CSV ({e})") from e
    if list(df.columns) != COLUMNS:
        raise DataError(f"{path}: header {list(df.columns)}, expected {COLUMNS}")
    num = df[["client timestamp", "x", "y"]].apply(pd.to_numeric, errors="coerce")
    bad = num.isna().to_numpy()
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise DataError(f"{path}: row {r + 2}, column {num.columns[c]!r}: not a number")
    if len(df) < 2:
        raise DataError(f"{path}: {len(df)} events; a session needs at least 2")
    t = num["client timestamp"].to_numpy()
    if (t < 0).any():
        r = int(np.flatnonzero(t < 0)[0])
        raise DataError(f"{path}: row {r + 2}: negative timestamp {t[r]}; expected >= 0")
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:  # the official user101 files do this (card: quirks); blocks use dx, dy only
        r = int(back[0]) + 1
        log.warning(
            "%s: %d backwards timestamp step(s), first at row %d (%s after %s); kept in file order",
            path, back.size, r + 2, t[r], t[r - 1],
        )  # fmt: skip
    return pd.DataFrame(
        {
            "t": num["client timestamp"].to_numpy(np.int64),
            "button": df["button"].astype(str).to_numpy(),
            "state": df["state"].astype(str).to_numpy(),
            "x": num["x"].to_numpy(np.int64),
            "y": num["y"].to_numpy(np.int64),
        }
    )


def load(
    data_dir: str | Path | None = None, root: str | Path | None = None, verify: bool = True
) -> Dataset:
    """Load every session. ``root`` (the folder holding ``user*/``) bypasses lookup; with
    ``verify`` the manifest digest must equal the card's.

    ``frame``: one row per session file (``subject``, ``user_id``, ``recording``,
    ``session``, ``file``, ``n_events``); ``extra["events"]``: one row per event
    (``subject``, ``recording``, ``session``, ``t``, ``button``, ``state``, ``x``, ``y``) in
    file order. Users 35 and 62 have two recordings each (``user35.1``/``user35.2``): both are
    kept under the same subject, as the authors' derived block file does.
    """
    card = read_card(NAME)
    root = Path(root) if root else Path(data_dir or default_data_dir()) / card["folder"]
    if not root.is_dir():
        raise DataError(
            f"{root}: SapiMouse folder not found; get the raw logs from {card['source']} and "
            "set INCUMBENT_DATA or paths.data_dir (see datasets/sapimouse.md)"
        )
    digest, digests = manifest_digest(root)
    if not digests:
        raise DataError(f"{root}: no user*/session_*.csv files")
    if verify and digest != card["manifest_sha256"]:
        raise DataError(
            f"{root}: manifest sha256 {digest} != card's {card['manifest_sha256']}: "
            + _explain_mismatch(root, digests)
        )
    rows, events = [], []
    for rel, path in session_files(root):
        folder, name = rel.split("/")
        m, f = _FOLDER.match(folder), _FILE.match(name)
        if not (m and f):
            raise DataError(f"{path}: expected user<N>[.<k>]/session_[...]<1min|3min>.csv")
        ev = read_session(path)
        subject, session = str(int(m.group(1))), f.group(1)
        rows.append((subject, int(m.group(1)), folder, session, rel, len(ev)))
        events.append(ev.assign(subject=subject, recording=folder, session=session))
    frame = pd.DataFrame(
        rows, columns=["subject", "user_id", "recording", "session", "file", "n_events"]
    )
    dup = frame.duplicated(["recording", "session"])
    if dup.any():
        raise DataError(
            f"{root}: two {frame.session[dup].iloc[0]} files in {frame.recording[dup].iloc[0]}"
        )
    order = {s: i for i, s in enumerate(SESSIONS)}
    frame = frame.sort_values(
        ["user_id", "recording", "session"],
        key=lambda c: c.map(order) if c.name == "session" else c,
    ).reset_index(drop=True)
    ev = pd.concat(events, ignore_index=True)
    ev = ev[["subject", "recording", "session", "t", "button", "state", "x", "y"]]
    return Dataset(
        name=NAME, frame=frame, features=[], checksum=digest, card=card, extra={"events": ev}
    )
