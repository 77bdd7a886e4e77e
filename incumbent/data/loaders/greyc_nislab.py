"""Loader for the GREYC-NISLAB keystroke benchmark (card: ``datasets/greyc_nislab.md``).

110 users typed 5 passphrases 20 times each; one worksheet ``P1``..``P5`` per
passphrase. Each passphrase is its own dataset variant (``passphrase`` = 1..5), named
``greyc_nislab_p<k>``. The ``Keystroke Template Vector`` of a phrase of n characters
holds 4 blocks of n-1 values: PP, RR, RP, PR latencies of consecutive keys, in 100 ns
ticks (the block order is implied by RR = PR + RP - PP, which holds on all but two
rows; see the card). Features are those 4(n-1) values, as distributed, in seconds.
The ``Class`` column (1 or 2, ten rows each per user; meaning not stated in the
file) becomes ``session``.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError, Dataset, fetch, read_card, verify
from incumbent.data.loaders.fixed_text_checks import check_counts

NAME = "greyc_nislab"
FILE = "GREYC-NISLABKeystrokeBenchmarkDatasetSyed.xlsx"
PASSPHRASES = {
    1: "leonardo dicaprio",
    2: "the rolling stones",
    3: "michael schumacher",
    4: "red hot chilli peppers",
    5: "united states of america",
}
HEADER = ["User_ID", "Gender", "Age", "Handedness", "Password", "Class",
          "Keystroke Template Vector"]  # fmt: skip
BLOCKS = ("PP", "RR", "RP", "PR")
TICKS_PER_SECOND = 1e7
ON_INCONSISTENT = ("keep", "drop", "error")
log = logging.getLogger(__name__)


def feature_names(passphrase: int) -> list[str]:
    """``<block>.<i>.<k1>.<k2>``: i (01..) disambiguates repeated key pairs."""
    text = PASSPHRASES[passphrase].replace(" ", "_")
    pairs = [f"{i:02d}.{a}.{b}" for i, (a, b) in enumerate(zip(text, text[1:], strict=False), 1)]
    return [f"{blk}.{p}" for blk in BLOCKS for p in pairs]


def passphrase_index(passphrase: int | str) -> int:
    if isinstance(passphrase, str) and not passphrase.isdigit():
        key = passphrase.lower().lstrip("p")
        if key.isdigit():
            passphrase = int(key)
        else:
            hits = [k for k, v in PASSPHRASES.items() if v == passphrase.lower()]
            if not hits:
                raise ValueError(f"unknown passphrase {passphrase!r}; choose 1..5 or one of "
                                 f"{list(PASSPHRASES.values())}")  # fmt: skip
            passphrase = hits[0]
    k = int(passphrase)
    if k not in PASSPHRASES:
        raise ValueError(f"passphrase must be 1..5 (P1..P5), got {passphrase!r}")
    return k


def load(
    data_dir: str | Path | None = None,
    passphrase: int | str = 1,
    path: str | Path | None = None,
    on_inconsistent: str = "keep",
    class_id: int | None = None,
) -> Dataset:
    """Load one passphrase; ``path`` bypasses lookup (checksum still checked).

    ``class_id`` 1 or 2 keeps only that ``Class`` (name suffix ``_class<k>``);
    ``None`` keeps both (Class 1 rows first, as ``session`` 1).

    ``on_inconsistent`` decides what happens to rows whose blocks break the identity
    RR = PR + RP - PP (2 rows of P1): ``keep`` (as distributed; logged), ``drop``
    (logged; the subjects then hold 19 samples) or ``error``.
    """
    if on_inconsistent not in ON_INCONSISTENT:
        raise ValueError(f"on_inconsistent must be one of {ON_INCONSISTENT}")
    if class_id not in (None, 1, 2):
        raise ValueError(f"class_id must be 1, 2 or None (both), got {class_id!r}")
    k = passphrase_index(passphrase)
    card = read_card(NAME)
    path = Path(path) if path is not None else fetch(card, FILE, data_dir)
    sha = verify(path, card["files"][0])
    frame, meta = _parse_cached(str(path), sha, k)
    frame, meta = frame.copy(), meta.copy()
    if class_id is not None:
        keep = (meta["Class"] == class_id).to_numpy()
        frame, meta = frame[keep], meta[keep]
    frame, meta = handle_inconsistent(frame, meta, on_inconsistent, f"{path} sheet P{k}")
    return Dataset(
        name=f"{NAME}_p{k}" + (f"_class{class_id}" if class_id else ""),
        frame=frame.reset_index(drop=True),
        features=feature_names(k),
        checksum=sha,
        card=card,
        extra={
            "passphrase": PASSPHRASES[k],
            "sheet": f"P{k}",
            "rows": meta.reset_index(drop=True),  # Class, excel_row, consistency per row
            "demographics": meta.groupby("subject", sort=False)[
                ["Gender", "Age", "Handedness"]
            ].first(),
        },
    )


def handle_inconsistent(frame, meta, policy: str, where: str):
    """Apply ``on_inconsistent`` to rows whose blocks break RR = PR + RP - PP; never silent."""
    bad = meta.index[~meta["consistent"]]
    if not len(bad):
        return frame, meta
    rows = meta.loc[bad, ["subject", "session", "rep", "excel_row"]].to_dict("records")
    msg = f"{where}: {len(bad)} rows break RR = PR + RP - PP: {rows}"
    if policy == "error":
        raise DataError(msg)
    log.warning("%s (%s)", msg, "dropped" if policy == "drop" else "kept as distributed")
    if policy == "drop":
        return frame.drop(index=bad), meta.drop(index=bad)
    return frame, meta


@lru_cache(maxsize=5)
def _parse_cached(path: str, sha: str, passphrase: int):
    """Parsed once per process (sweeps reload the dataset per run); keyed on content."""
    card = read_card(NAME)
    return parse(Path(path), passphrase, card["subjects"], card["samples_per_subject"])


def read_sheet(path: Path, sheet: str) -> list[tuple]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zipfile/KeyError/InvalidFileException variants
        raise DataError(f"{path}: not a readable .xlsx workbook ({type(e).__name__}: {e})") from e
    try:
        if sheet not in wb.sheetnames:
            raise DataError(f"{path}: no worksheet {sheet!r} (found {wb.sheetnames})")
        return list(wb[sheet].iter_rows(values_only=True))
    finally:
        wb.close()


def parse(path: Path, passphrase: int, subjects: int = 110, per_subject: int = 20):
    """(frame, row metadata) of one worksheet; every layout error names file, sheet, row."""
    sheet = f"P{passphrase}"
    rows = read_sheet(path, sheet)
    where = f"{path} sheet {sheet}"
    if not rows or [str(c).strip() if c is not None else "" for c in rows[0]] != HEADER:
        raise DataError(f"{where}: header {rows[0] if rows else None} != {HEADER}")
    phrase = PASSPHRASES[passphrase]
    n = 4 * (len(phrase) - 1)
    data = list(rows[1:])
    while data and all(c is None for c in data[-1]):  # trailing blank rows: Excel padding
        data.pop()
    vectors, meta = [], []
    for i, r in enumerate(data, start=2):
        r = tuple(r) + (None,) * (len(HEADER) - len(r))
        user, gender, age, hand, pw, cls, vec = r[: len(HEADER)]
        if any(c is None for c in (user, gender, age, hand, pw, cls, vec)):
            empty = [h for h, c in zip(HEADER, r, strict=False) if c is None]
            raise DataError(f"{where}, row {i}: empty cell(s) {empty}")
        if str(pw) != phrase:
            raise DataError(f"{where}, row {i}: Password {pw!r}, expected {phrase!r}")
        if cls not in (1, 2):
            raise DataError(f"{where}, row {i}: Class {cls!r}, expected 1 or 2")
        tokens = str(vec).split()
        if len(tokens) != n:
            raise DataError(
                f"{where}, row {i}: template vector has {len(tokens)} values, expected "
                f"4 x ({len(phrase)} - 1) = {n}"
            )
        try:
            v = np.array([int(t) for t in tokens], dtype=np.int64)
            user = int(user)
        except ValueError as e:
            raise DataError(f"{where}, row {i}: non-integer value ({e})") from None
        vectors.append(v)
        meta.append({"subject": str(user), "Class": int(cls), "excel_row": i, "Gender": gender,
                     "Age": age, "Handedness": hand})  # fmt: skip
    if not vectors:
        raise DataError(f"{where}: no data rows")
    V = np.vstack(vectors)
    m = len(phrase) - 1
    pp, rr, rp, pr = V[:, :m], V[:, m : 2 * m], V[:, 2 * m : 3 * m], V[:, 3 * m :]
    meta = pd.DataFrame(meta)
    meta["consistent"] = (rr == pr + rp - pp).all(axis=1)
    meta["session"] = meta["Class"]
    meta["rep"] = meta.groupby(["subject", "Class"]).cumcount() + 1
    frame = pd.DataFrame(V / TICKS_PER_SECOND, columns=feature_names(passphrase))
    frame.insert(0, "rep", meta["rep"].to_numpy())
    frame.insert(0, "session", meta["session"].to_numpy())
    frame.insert(0, "subject", meta["subject"].to_numpy())
    check_counts(frame, where, subjects, per_subject)
    per_class = meta.groupby(["subject", "Class"]).size()
    if (per_class != per_subject // 2).any():
        odd = per_class[per_class != per_subject // 2]
        raise DataError(f"{where}: expected {per_subject // 2} rows per Class per user: {odd}")
    return frame, meta
