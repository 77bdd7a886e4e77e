"""The row-rule parser: one participant file at a time, every mis-aligned row repaired or
skipped and reported as a :class:`RowIssue` (the rule is in the package docstring,
``incumbent.data.loaders.aalto``). The batched parser (``fast.py``) falls back to this
for any chunk with a file that is not well-formed."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from incumbent.data.cards import DataError
from incumbent.data.loaders.aalto.archive import members

COLUMNS = [
    "PARTICIPANT_ID", "TEST_SECTION_ID", "SENTENCE", "USER_INPUT", "KEYSTROKE_ID",
    "PRESS_TIME", "RELEASE_TIME", "LETTER", "KEYCODE",
]  # fmt: skip
INT_COLUMNS = ["PARTICIPANT_ID", "TEST_SECTION_ID", "KEYSTROKE_ID", "PRESS_TIME", "RELEASE_TIME", "KEYCODE"]  # fmt: skip
codecs.register_error(
    "latin1_fallback", lambda e: (e.object[e.start : e.end].decode("latin-1"), e.end)
)


@dataclass(frozen=True)
class RowIssue:
    """One mis-aligned row (or unusable file): where, which keystroke, what was done."""

    file: str
    line: int | None
    keystroke_id: int | None
    action: str  # "repaired" | "skipped" | "empty file" | "re-decoded"
    reason: str


def _fields_ok(fields: list[str], pid: str) -> bool:
    if len(fields) != 9:
        return False
    try:
        [int(fields[COLUMNS.index(c)]) for c in INT_COLUMNS]
    except ValueError:
        return False
    return fields[0] == pid


def _keystroke_id(fields: list[str]) -> int | None:
    try:
        return int(fields[4])
    except (IndexError, ValueError):
        return None


def _repair(bad: list[tuple[int, str]], pid: str, name: str, issues: list) -> list[list[str]]:
    """Apply the row rule to the rows pyarrow rejected; return the repaired rows."""
    fixed, i = [], 0
    bad = sorted(bad, key=lambda b: b[0])
    while i < len(bad):
        line, text = bad[i]
        fields = text.split("\t")
        if len(fields) > 9:
            cand = [*fields[:7], "\t".join(fields[7:-1]), fields[-1]]
            if _fields_ok(cand, pid):
                fixed.append(cand)
                issues.append(RowIssue(name, line, _keystroke_id(cand), "repaired",
                                       "tab inside LETTER re-joined"))  # fmt: skip
                i += 1
                continue
        # a line break inside a field: join this line with the next adjacent ones
        joined, j = text, i
        while joined.count("\t") < 8 and j + 1 < len(bad) and bad[j + 1][0] == bad[j][0] + 1:
            j += 1
            joined += "\n" + bad[j][1]
        cand = joined.split("\t")
        if j > i and _fields_ok(cand, pid):
            fixed.append(cand)
            issues.append(RowIssue(name, line, _keystroke_id(cand), "repaired",
                                   f"line break inside LETTER: lines {line}-{bad[j][0]} joined"))  # fmt: skip
            i = j + 1
            continue
        issues.append(RowIssue(name, line, _keystroke_id(fields), "skipped",
                               f"{len(fields)} fields, expected 9"))  # fmt: skip
        i += 1
    return fixed


def parse_member(data: bytes, pid: str, name: str, issues: list) -> pd.DataFrame | None:
    """Parse one ``<ID>_keystrokes.txt`` (bytes); None if it has no keystroke rows."""
    if not data.strip():
        issues.append(RowIssue(name, None, None, "empty file", "no header and no rows"))
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        # some LETTER cells hold single Latin-1 bytes (e.g. 0xf6 'ö') in otherwise UTF-8 files
        data = data.decode("utf-8", errors="latin1_fallback").encode("utf-8")
        issues.append(RowIssue(name, None, None, "re-decoded",
                               f"bytes not valid UTF-8 (first at byte {e.start}) read as Latin-1"))  # fmt: skip
    bad: list[tuple[int, str]] = []

    def on_bad(row) -> str:
        bad.append((row.number, row.text))
        return "skip"

    text_cols = {c: pa.string() for c in COLUMNS if c not in INT_COLUMNS}
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False, encoding="utf8"),
            parse_options=pacsv.ParseOptions(
                delimiter="\t", quote_char=False, escape_char=False, invalid_row_handler=on_bad
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={**text_cols, **dict.fromkeys(INT_COLUMNS, pa.string())},
                strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as e:
        raise DataError(f"{name}: not a readable tab-separated keystroke file ({e})") from e
    if table.column_names != COLUMNS:
        raise DataError(
            f"{name}: header {table.column_names} does not match the official 9 columns {COLUMNS}"
        )
    df = table.to_pandas()
    if bad:
        fixed = _repair(bad, pid, name, issues)
        if fixed:
            df = pd.concat([df, pd.DataFrame(fixed, columns=COLUMNS)], ignore_index=True)
    # rows with the right field count can still be mis-aligned (non-integer ids/times)
    ints = df[INT_COLUMNS].apply(pd.to_numeric, errors="coerce")
    wrong = ints.isna().any(axis=1) | (df["PARTICIPANT_ID"] != pid)
    for r in np.flatnonzero(wrong.to_numpy()):
        issues.append(RowIssue(name, None, _keystroke_id(list(df.iloc[r])), "skipped",
                               "non-integer id/time/keycode or wrong PARTICIPANT_ID"))  # fmt: skip
    df = df.loc[~wrong].copy()
    df[INT_COLUMNS] = ints.loc[~wrong].astype(np.int64)
    negative = ((df["PRESS_TIME"] < 0) | (df["RELEASE_TIME"] < 0)).to_numpy()
    for r in np.flatnonzero(negative):
        issues.append(RowIssue(name, None, int(df["KEYSTROKE_ID"].iloc[r]), "skipped",
                               "negative PRESS_TIME or RELEASE_TIME"))  # fmt: skip
    df = df.loc[~negative]
    # one row of the release does this: kept (TypeNet's hold latency is then negative)
    for r in np.flatnonzero((df["RELEASE_TIME"] < df["PRESS_TIME"]).to_numpy()):
        issues.append(RowIssue(name, None, int(df["KEYSTROKE_ID"].iloc[r]), "kept",
                               "RELEASE_TIME before PRESS_TIME"))  # fmt: skip
    if df.empty:
        issues.append(RowIssue(name, None, None, "empty file", "header but no keystroke rows"))
        return None
    return df.reset_index(drop=True)


def iter_participants(source, issues: list | None = None) -> Iterator[tuple[str, pd.DataFrame]]:
    """Stream ``(participant_id, keystrokes DataFrame)``; see the package docstring."""
    issues = [] if issues is None else issues
    for pid, name, read in members(source):
        df = parse_member(read(), pid, name, issues)
        if df is not None:
            yield pid, df
