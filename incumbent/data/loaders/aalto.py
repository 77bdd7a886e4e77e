"""Loader for the Aalto "136M Keystrokes" free-text data (card: ``datasets/aalto_136m.md``).

Reads the official ``Keystrokes.zip`` layout (``Keystrokes/files/<ID>_keystrokes.txt``)
**directly from the zip or from its extracted folder**, one member at a time: the 16 GB
of the full release is never unpacked and memory stays bounded by one participant file.

Stable API (the scale benchmark and the free-text protocol code against it):

``iter_participants(source, issues=None) -> Iterator[tuple[str, pandas.DataFrame]]``
    Stream ``(participant_id, keystrokes)`` from a zip (path or open ``ZipFile``) or an
    extracted folder (the folder holding ``files/`` or ``Keystrokes/files/``, or
    ``files/`` itself). ``keystrokes`` has the official columns ``PARTICIPANT_ID``,
    ``TEST_SECTION_ID``, ``SENTENCE``, ``USER_INPUT``, ``KEYSTROKE_ID``, ``PRESS_TIME``,
    ``RELEASE_TIME``, ``LETTER``, ``KEYCODE`` in file order, after the row rule below.
    Every repaired or skipped row is appended to ``issues`` (a list you pass) as a
    :class:`RowIssue`. Empty / header-only files yield nothing and add an issue.

``sequences(keystrokes) -> list[dict]``
    One dict per sentence (``TEST_SECTION_ID``), chronological by first key press:
    ``session``, ``press``, ``release`` (int64 ms), ``keycode`` (int16), keys sorted by
    press time (ties by ``KEYSTROKE_ID``).

``typenet_features(press, release, keycode, length=None) -> np.ndarray (n or length, 5)``
    TypeNet's per-keystroke features (Acien et al. 2021), in seconds: hold latency
    ``r_i - p_i``, inter-key latency ``p_{i+1} - r_i``, press latency ``p_{i+1} - p_i``,
    release latency ``r_{i+1} - r_i``, and key code / 255. The last key has no successor:
    its three latencies are 0. With ``length=M`` the result is truncated / zero-padded
    at the end to ``M`` rows.

``load(data_dir=None, path=None, cache=True) -> Dataset``
    Verified, parsed and cached. ``frame`` is a small index, one row per participant:
    ``subject``, ``first_row``, ``sentences``, ``n_keys`` (total keys). The
    sentences themselves (``subject``, ``session``, ``order``, ``n_keys``, ``sentence``,
    ``user_input``, ``press``, ``release``, ``keycode``; same row order) stay in an
    Arrow file (``extra["sentences"]``, :class:`ArrowBatches`; ``.dataset()`` memory-maps
    it as a Hugging Face ``datasets.Dataset``); ``sequences_at(dataset, rows)`` reads the
    keystrokes of chosen rows, one record batch at a time. The cache lives
    under ``cache_dir()/aalto_136m/<sha256[:16]>-p<PARSER>``, keyed by the archive's
    sha256 (a folder: a digest of its member names and bytes), so a second run does not
    re-parse; it is written in batches of ``CHUNK_MEMBERS`` files, so memory stays
    bounded whatever the archive's size (docs/scale.md).

Row rule (mis-aligned rows, see ``PROVENANCE.md``): files are tab-separated with quoting
disabled (sentences contain ``"`` and ``'``). A row must have exactly 9 fields with
integer ``PARTICIPANT_ID``, ``TEST_SECTION_ID``, ``KEYSTROKE_ID``, ``PRESS_TIME``,
``RELEASE_TIME`` and ``KEYCODE``, and ``PARTICIPANT_ID`` equal to the file's ID. The
official release's known mis-aligned rows are keys whose ``LETTER`` is itself a tab
(Ctrl+I) or a line break (Enter), which split the row. Such a row is **repaired** when
(a) a row with more than 9 fields becomes valid by joining fields 8..n-1 back into
``LETTER`` with tabs, or (b) adjacent short lines become one valid 9-field row when
joined with a newline. Every other malformed row is **skipped**. Both are reported
(file, line, keystroke id, action) — never silently kept. Files are UTF-8; bytes that are
not (21 files of the shared copy, single Latin-1 ``LETTER`` bytes) are read as Latin-1
and the file is reported with action ``re-decoded``.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from incumbent.data import zipstream
from incumbent.data.cards import DataError, Dataset, cache_dir, fetch, read_card, verify

NAME = "aalto_136m"
ARCHIVE = "Keystrokes.zip"
PARSER_VERSION = 3  # bump when parsing or the cache layout can change the cached data
COLUMNS = [
    "PARTICIPANT_ID", "TEST_SECTION_ID", "SENTENCE", "USER_INPUT", "KEYSTROKE_ID",
    "PRESS_TIME", "RELEASE_TIME", "LETTER", "KEYCODE",
]  # fmt: skip
INT_COLUMNS = ["PARTICIPANT_ID", "TEST_SECTION_ID", "KEYSTROKE_ID", "PRESS_TIME", "RELEASE_TIME", "KEYCODE"]  # fmt: skip
MEMBER = re.compile(r"(?:^|/)files/(\d+)_keystrokes\.txt$")
log = logging.getLogger(__name__)
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


# ---------------------------------------------------------------- members and safety
def _check_member_name(archive: str, name: str) -> None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name):
        raise DataError(
            f"{archive}: zip entry {name!r} has a path that escapes the archive folder "
            "(zip-slip); refusing to read this archive"
        )


def _members(source) -> Iterator[tuple[str, str, callable]]:
    """(participant id, display name, read-bytes callable) for every keystroke file.

    A zip given by path is walked with :mod:`incumbent.data.zipstream` (its directory is
    read entry by entry, twice: every name is checked before any member is read), so
    memory does not grow with the number of members; an open ``ZipFile`` is used as is."""
    if isinstance(source, zipfile.ZipFile):
        yield from _zipfile_members(source)
        return
    path = Path(source)
    if not path.exists():
        raise DataError(f"{path}: no such archive or folder")
    if path.is_dir():
        yield from _folder_members(path)
        return
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path}: not a zip archive (expected the official {ARCHIVE})")
    found = 0
    for e in zipstream.entries(path):  # no half-read unsafe archive
        _check_member_name(str(path), e.name)
        found += bool(MEMBER.search(e.name))
    if not found:
        raise DataError(f"{path}: no Keystrokes/files/<ID>_keystrokes.txt members")
    with open(path, "rb") as handle:
        for e in zipstream.entries(path):
            if m := MEMBER.search(e.name):
                yield m.group(1), f"{path}:{e.name}", (lambda e=e: zipstream.read(path, e, handle))


def _zipfile_members(zf: zipfile.ZipFile) -> Iterator[tuple[str, str, callable]]:
    label = str(zf.filename)
    names = zf.namelist()
    for n in names:  # check every entry before reading any: no half-read unsafe archive
        _check_member_name(label, n)
    found = [(m.group(1), n) for n in names if (m := MEMBER.search(n))]
    if not found:
        raise DataError(f"{label}: no Keystrokes/files/<ID>_keystrokes.txt members")
    for pid, n in found:
        yield pid, f"{label}:{n}", (lambda n=n: zf.read(n))


def _folder_members(path: Path) -> Iterator[tuple[str, str, callable]]:
    for cand in (path / "Keystrokes" / "files", path / "files", path):
        files = sorted(cand.glob("*_keystrokes.txt"))
        if files:
            break
    else:
        raise DataError(f"{path}: no <ID>_keystrokes.txt files (expected Keystrokes/files/)")
    for f in files:
        if m := MEMBER.search("files/" + f.name):
            yield m.group(1), str(f), f.read_bytes


def source_digest(source: Path) -> str:
    """sha256 of a zip; for a folder, of its keystroke files' names and bytes."""
    if source.is_file():
        return verify(source, {})
    h = hashlib.sha256()
    for _, name, read in _folder_members(source):
        h.update(Path(name).name.encode() + b"\0")
        h.update(hashlib.sha256(read()).digest())
    return h.hexdigest()


# ---------------------------------------------------------------- one participant file
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
    """Stream ``(participant_id, keystrokes DataFrame)``; see the module docstring."""
    issues = [] if issues is None else issues
    for pid, name, read in _members(source):
        df = parse_member(read(), pid, name, issues)
        if df is not None:
            yield pid, df


# ---------------------------------------------------------------- sequences and features
def sequences(keystrokes: pd.DataFrame) -> list[dict]:
    """One dict per sentence, chronological; keys sorted by press time (see module doc)."""
    df = keystrokes.sort_values(["PRESS_TIME", "KEYSTROKE_ID"], kind="stable")
    out = []
    for session, g in df.groupby("TEST_SECTION_ID", sort=False):
        out.append(
            {
                "session": int(session),
                "sentence": str(g["SENTENCE"].iloc[0]),
                "user_input": str(g["USER_INPUT"].iloc[0]),
                "press": g["PRESS_TIME"].to_numpy(np.int64),
                "release": g["RELEASE_TIME"].to_numpy(np.int64),
                "keycode": g["KEYCODE"].to_numpy(np.int16),
            }
        )
    out.sort(key=lambda s: (int(s["press"][0]), s["session"]))
    return out


def typenet_features(press, release, keycode, length: int | None = None) -> np.ndarray:
    """TypeNet's 5 per-keystroke features in seconds (see module docstring)."""
    p = np.asarray(press, dtype=np.float64) / 1000.0
    r = np.asarray(release, dtype=np.float64) / 1000.0
    n = p.size
    x = np.zeros((n, 5), dtype=np.float32)
    x[:, 0] = r - p
    if n > 1:
        x[:-1, 1] = p[1:] - r[:-1]
        x[:-1, 2] = p[1:] - p[:-1]
        x[:-1, 3] = r[1:] - r[:-1]
    x[:, 4] = np.asarray(keycode, dtype=np.float64) / 255.0
    if length is None:
        return x
    out = np.zeros((length, 5), dtype=np.float32)
    out[: min(n, length)] = x[:length]
    return out


# ---------------------------------------------------------------- parse + cache
SCHEMA = pa.schema([("subject", pa.string()), ("session", pa.int64()), ("order", pa.int32()),
                    ("n_keys", pa.int32()), ("sentence", pa.string()), ("user_input", pa.string()),
                    ("press", pa.list_(pa.int64())), ("release", pa.list_(pa.int64())),
                    ("keycode", pa.list_(pa.int16()))])  # fmt: skip


CHUNK_MEMBERS = 256  # participant files parsed together by the fast path


def _sequences_table(rows: list[tuple[str, list[dict]]]) -> pa.Table:
    """Sequences of several participants ``[(pid, sequences(...)), ...]`` as an Arrow table."""
    cols = {f.name: [] for f in SCHEMA}
    for pid, seqs in rows:
        for k, seq in enumerate(seqs):
            cols["subject"].append(pid)
            cols["order"].append(k)
            cols["n_keys"].append(int(seq["press"].size))
            for key in ("session", "sentence", "user_input", "press", "release", "keycode"):
                cols[key].append(seq[key])
    return pa.table([pa.array(cols[f.name], f.type) for f in SCHEMA], schema=SCHEMA)


def _fast_chunk(members: list[tuple[str, str, bytes]], issues: list) -> pa.Table | None:
    """The sequences table of well-formed files, parsed together in one pyarrow call.

    Well-formed: UTF-8, the official header, every row 9 fields with integer ids, times
    and key codes, the file's own PARTICIPANT_ID, no negative time. Then the row rule
    has nothing to repair or skip and this gives exactly what :func:`parse_member` +
    :func:`sequences` give (tests/test_aalto_scale.py checks); otherwise None and the
    caller takes the row-rule path file by file."""
    header = ("\t".join(COLUMNS) + "\n").encode()
    bodies, counts = [], []
    for _, _, data in members:
        if not data.startswith(header) or not data.endswith(b"\n"):
            return None
        bodies.append(memoryview(data)[len(header) :])  # no copy until the join
        counts.append(data.count(b"\n") - 1)
    bad = []
    try:
        table = pacsv.read_csv(
            io.BytesIO(b"".join(bodies)),
            read_options=pacsv.ReadOptions(use_threads=False, encoding="utf8", column_names=COLUMNS),
            parse_options=pacsv.ParseOptions(delimiter="\t", quote_char=False, escape_char=False,
                                              invalid_row_handler=lambda r: bad.append(1) or "skip"),
            convert_options=pacsv.ConvertOptions(
                column_types={**{c: pa.string() for c in COLUMNS if c not in INT_COLUMNS},
                              **dict.fromkeys(INT_COLUMNS, pa.int64())},
                strings_can_be_null=False),
        )  # fmt: skip
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    counts = np.asarray(counts)
    if bad or table.num_rows != counts.sum() or (counts == 0).any():
        return None
    if any(table.column(c).null_count for c in INT_COLUMNS):
        return None
    col = {c: table.column(c).to_numpy() for c in INT_COLUMNS}
    member = np.repeat(np.arange(len(members)), counts)
    pids = np.array([int(p) if p.isdigit() else -1 for p, _, _ in members])
    if (col["PARTICIPANT_ID"] != pids[member]).any():
        return None
    if (col["PRESS_TIME"] < 0).any() or (col["RELEASE_TIME"] < 0).any():
        return None
    for r in np.flatnonzero(col["RELEASE_TIME"] < col["PRESS_TIME"]):
        issues.append(RowIssue(members[member[r]][1], None, int(col["KEYSTROKE_ID"][r]),
                               "kept", "RELEASE_TIME before PRESS_TIME"))  # fmt: skip
    # rows grouped by file and sentence, each sentence by press time, ties by keystroke id
    # and then file order (as sequences()); sentences of a file by (first press, id)
    sec, press = col["TEST_SECTION_ID"], col["PRESS_TIME"]
    rows = np.lexsort((col["KEYSTROKE_ID"], press, sec, member))
    m, q = member[rows], sec[rows]
    starts = np.flatnonzero(np.r_[True, (m[1:] != m[:-1]) | (q[1:] != q[:-1])])
    seg = np.lexsort((q[starts], press[rows][starts], m[starts]))
    lengths = np.diff(np.r_[starts, len(rows)])[seg]
    ends = np.cumsum(lengths)
    within = np.arange(ends[-1]) - np.repeat(ends - lengths, lengths)
    take = rows[np.repeat(starts[seg], lengths) + within]  # the segments in their new order
    offsets = pa.array(np.r_[0, ends].astype(np.int32))
    first = rows[starts[seg]]
    owner = m[starts[seg]]
    order = np.arange(len(seg)) - np.searchsorted(owner, owner)  # rank within the file
    return pa.table(
        {
            "subject": pa.array([members[i][0] for i in owner], pa.string()),
            "session": pa.array(sec[first], pa.int64()),
            "order": pa.array(order, pa.int32()),
            "n_keys": pa.array(lengths, pa.int32()),
            "sentence": table.column("SENTENCE").take(first).combine_chunks(),
            "user_input": table.column("USER_INPUT").take(first).combine_chunks(),
            "press": pa.ListArray.from_arrays(offsets, pa.array(press[take])),
            "release": pa.ListArray.from_arrays(offsets, pa.array(col["RELEASE_TIME"][take])),
            "keycode": pa.ListArray.from_arrays(offsets, pa.array(col["KEYCODE"][take].astype(np.int16))),
        },
        schema=SCHEMA,
    )  # fmt: skip


def _chunk_table(chunk: list[tuple[str, str, bytes]], issues: list, fast: bool) -> pa.Table:
    if fast:
        mark = len(issues)
        table = _fast_chunk(chunk, issues)
        if table is not None:
            return table
        del issues[mark:]
    out = []
    for pid, name, data in chunk:
        df = parse_member(data, pid, name, issues)
        out.append((pid, [] if df is None else sequences(df)))
    return _sequences_table(out)


def _parse_to_table(source, progress: bool = True, out: Path | None = None, fast: bool = True):
    """Parse every participant; (table, issues), or (None, issues) after streaming the
    rows to the Arrow file ``out`` in batches (memory bounded by one batch of
    ``CHUNK_MEMBERS`` files) and the sentence index beside it (:func:`_save_index`).
    ``fast=False`` applies the row rule to every file."""
    from tqdm.auto import tqdm

    issues: list[RowIssue] = []
    parts, writer = [], None
    index = {"subjects": [], "sentences": [], "n_keys": [], "offset": [], "rows": [0]}
    if out is not None:
        sink = pa.OSFile(str(out), "wb")
        writer = pa.ipc.new_stream(sink, SCHEMA)
    members = tqdm(_members(source), desc="aalto: parsing", unit=" participants",
                   disable=not progress)  # fmt: skip
    chunk: list[tuple[str, str, bytes]] = []

    def flush():
        table = _chunk_table(chunk, issues, fast)
        if writer is None:
            parts.append(table)
        elif table.num_rows:
            index["offset"].append(sink.tell())  # where this record batch's message starts
            index["rows"].append(index["rows"][-1] + table.num_rows)
            writer.write_table(table)
            part = _participants(table)
            for k in ("subjects", "sentences", "n_keys"):
                index[k] += part[k]
        chunk.clear()

    for pid, name, read in members:
        chunk.append((pid, name, read()))
        if len(chunk) == CHUNK_MEMBERS:
            flush()
    if chunk:
        flush()
    if writer is not None:
        writer.close()
        _save_index(out.parent, index)
        return None, issues
    return pa.concat_tables([_sequences_table([]), *parts]), issues


def _participants(table: pa.Table) -> dict[str, list]:
    """Per participant, in file order: id, number of sentences, number of keys (a
    participant's sentences are consecutive rows, in ``order``)."""
    subject = table.column("subject").to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, subject[1:] != subject[:-1]]) if len(subject) else []
    ends = np.r_[starts[1:], len(subject)] if len(subject) else []
    keys = np.r_[0, np.cumsum(table.column("n_keys").to_numpy())]
    return {"subjects": [str(subject[i]) for i in starts],
            "sentences": [int(e - b) for b, e in zip(starts, ends, strict=True)],
            "n_keys": [int(keys[e] - keys[b]) for b, e in zip(starts, ends, strict=True)]}  # fmt: skip


def _participant_frame(index: dict) -> pd.DataFrame:
    sentences = np.asarray(index["sentences"], np.int64)
    return pd.DataFrame({
        "subject": pd.Series(index["subjects"], dtype=object),
        "first_row": np.r_[0, np.cumsum(sentences)[:-1]].astype(np.int64) if len(sentences) else sentences,
        "sentences": sentences,
        "n_keys": np.asarray(index["n_keys"], np.int64),
    })  # fmt: skip


def index_frame(table: pa.Table) -> pd.DataFrame:
    """One row per participant (``subject``, ``first_row``, ``sentences``, ``n_keys``):
    its sentences are rows ``first_row .. first_row + sentences - 1`` of the Arrow table,
    in ``order`` (:func:`sequence_rows`, :func:`sequences_at`)."""
    return _participant_frame(_participants(table))


def _save_index(folder: Path, index: dict) -> None:
    """The participant index, read back without touching the Arrow file."""
    arrays = {k: np.asarray(index[k], np.int64) for k in ("sentences", "n_keys")}
    arrays["batch_offset"] = np.asarray(index["offset"], np.int64)
    arrays["batch_rows"] = np.asarray(index["rows"], np.int64)
    with open(folder / "index.npz.part", "wb") as f:
        np.savez(f, **arrays)
    (folder / "index.npz.part").replace(folder / "index.npz")
    (folder / "subjects.json").write_text(json.dumps(index["subjects"]))


def _load_index(folder: Path) -> tuple[pd.DataFrame, ArrowBatches]:
    with np.load(folder / "index.npz") as z:
        index = {"sentences": z["sentences"], "n_keys": z["n_keys"]}
        batches = ArrowBatches(folder / "sequences.arrow", z["batch_offset"], z["batch_rows"])
    index["subjects"] = json.loads((folder / "subjects.json").read_text())
    return _participant_frame(index), batches


@dataclass(frozen=True)
class ArrowBatches:
    """The cached sentences: an Arrow IPC stream file and where each record batch starts.

    ``batch(b)`` reads one record batch (``CHUNK_MEMBERS`` participants) with plain file
    reads, so reading a few participants costs a few batches of memory, whatever the
    file's size (a memory map would keep every page it touched, and the kernel's
    read-ahead around them, resident). ``dataset()`` memory-maps the whole file as a
    Hugging Face ``datasets.Dataset`` for whoever wants that view."""

    path: Path
    offsets: np.ndarray  # byte offset of each record batch's message
    rows: np.ndarray  # cumulative row counts, starting at 0

    def batch(self, b: int) -> pa.RecordBatch:
        with pa.OSFile(str(self.path), "rb") as f:
            f.seek(int(self.offsets[b]))
            msg = pa.ipc.read_message(f)
            while msg.type != "record batch":  # the schema message precedes the first
                msg = pa.ipc.read_message(f)
            return pa.ipc.read_record_batch(msg, SCHEMA)

    def dataset(self):
        import datasets

        return datasets.Dataset.from_file(str(self.path))


def cached_parse(source: Path, checksum: str, progress: bool = True, cache: bool = True):
    """(sentences, index frame, issues, cache_hit): parse once per archive checksum, then
    read the small index; sentences are :class:`ArrowBatches` (or, with ``cache=False``,
    an in-memory ``datasets.Dataset``)."""
    folder = cache_dir() / NAME / f"{checksum[:16]}-p{PARSER_VERSION}"
    arrow, issues_file = folder / "sequences.arrow", folder / "row_issues.json"
    if cache and issues_file.exists():
        issues = [RowIssue(**d) for d in json.loads(issues_file.read_text())]
        return *_load_index(folder)[::-1], issues, True
    if not cache:
        import datasets

        table, issues = _parse_to_table(source, progress)
        return datasets.Dataset(table), index_frame(table), issues, False
    folder.mkdir(parents=True, exist_ok=True)
    part = arrow.with_suffix(".arrow.part")
    _, issues = _parse_to_table(source, progress, out=part)
    part.replace(arrow)
    # written last: its presence marks a complete cache entry
    tmp = issues_file.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(i) for i in issues], indent=1))
    tmp.replace(issues_file)
    return *_load_index(folder)[::-1], issues, False


def summarize_issues(issues: list[RowIssue]) -> dict:
    by_action = Counter(i.action for i in issues)
    return {
        "counts": dict(by_action),
        "rows": [asdict(i) for i in issues],
    }


def load(
    data_dir: str | Path | None = None,
    path: str | Path | None = None,
    cache: bool = True,
    progress: bool = True,
) -> Dataset:
    """Load the archive (or extracted folder at ``path``); see the module docstring."""
    card = read_card(NAME)
    if path is None:
        path = fetch(card, ARCHIVE, data_dir)
        checksum = verify(path, card["files"][0])
    else:
        path = Path(path)
        checksum = source_digest(path)
    memo = _LOADED.get(checksum) if cache else None
    if memo is not None:  # same archive already loaded in this process (multirun jobs)
        return memo
    ds, frame, issues, hit = cached_parse(path, checksum, progress=progress, cache=cache)
    for i in issues:  # one line each at debug level (INCUMBENT_DEBUG=1), a count otherwise
        log.debug("%s line %s keystroke %s: %s (%s)", i.file, i.line, i.keystroke_id,
                  i.action, i.reason)  # fmt: skip
    if issues:
        counts = Counter(i.action for i in issues)
        level = logging.INFO if set(counts) == {"re-decoded"} else logging.WARNING
        log.log(level, "aalto: %s (the loader's documented rules; INCUMBENT_DEBUG=1 lists them)",
                ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))  # fmt: skip
    per_subject = frame["sentences"]
    dataset = Dataset(
        name=NAME,
        frame=frame,
        features=[],
        checksum=checksum,
        card=card,
        extra={
            "sentences": ds,
            "cache_hit": hit,
            "row_issues": summarize_issues(issues),
            "sentences_per_subject": per_subject.value_counts().sort_index().to_dict(),
        },
    )
    if cache:
        _LOADED.clear()
        _LOADED[checksum] = dataset
    return dataset


def sequence_rows(frame: pd.DataFrame, subjects, sessions: int | None = None) -> np.ndarray:
    """Frame rows (for :func:`sequences_at`) of each subject's first ``sessions``
    sentences, subjects in the given order, sentences in ``order``. Works on the Aalto
    participant index and on a sentence-per-row frame (``subject``, ``order``)."""
    if "first_row" in frame.columns:
        fr = frame.set_index("subject")
        first, count = fr["first_row"], fr["sentences"]
        parts = [first[s] + np.arange(count[s] if sessions is None else min(count[s], sessions))
                 for s in subjects]  # fmt: skip
    else:
        keep = frame["subject"].isin(set(subjects))
        if sessions is not None:
            keep &= frame["order"] < sessions
        df = frame.loc[keep, ["subject", "order"]].sort_values(["subject", "order"])
        by = {s: g.index for s, g in df.groupby("subject", sort=False)}
        parts = [frame.index.get_indexer(by[s]) for s in subjects]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def sentence_counts(frame: pd.DataFrame) -> pd.Series:
    """Sentences per subject, for either frame layout (see :func:`sequence_rows`)."""
    if "first_row" in frame.columns:
        return frame.set_index("subject")["sentences"]
    return frame.groupby("subject", sort=False).size()


def sequences_at(dataset: Dataset, rows, length: int | None = None) -> list[dict]:
    """The sequences (``press``, ``release``, ``keycode``, first ``length`` keys) of the
    given frame rows: from the Arrow cache when loaded by :func:`load`, else from the
    frame's own columns (small in-memory datasets, e.g. synthetic ones in tests)."""
    rows = np.asarray(rows, dtype=np.int64)
    cut = slice(None, length)
    if "press" in dataset.frame.columns:
        f = dataset.frame
        return [{"press": f["press"].iat[r][cut], "release": f["release"].iat[r][cut],
                 "keycode": f["keycode"].iat[r][cut]} for r in rows]  # fmt: skip
    # one record batch at a time: a take over a whole chunked column would first
    # concatenate it, i.e. read every keystroke of the archive into memory
    src = dataset.extra["sentences"]
    if isinstance(src, ArrowBatches):
        bounds, get = src.rows, src.batch
    else:  # an in-memory datasets.Dataset (load(cache=False))
        table = src.data.table
        bounds = np.cumsum([0, *(len(c) for c in table.column("press").chunks)])
        get = lambda b: table.select(["press", "release", "keycode"]).to_batches()[b]  # noqa: E731
    names = ("press", "release", "keycode")
    batch = np.searchsorted(bounds, rows, side="right") - 1
    out: list = [None] * len(rows)
    for b in np.unique(batch):
        sel = np.flatnonzero(batch == b)
        part = get(int(b))
        local = pa.array(rows[sel] - bounds[b])
        cols = {c: _list_column(part.column(c).take(local)) for c in names}
        for j, k in enumerate(sel):
            out[k] = {c: cols[c][j][cut] for c in names}
    return out


def _list_column(arr: pa.ListArray) -> list[np.ndarray]:
    """A list<int> array as numpy arrays (views into one flat buffer, no per-item boxing)."""
    flat = arr.flatten().to_numpy(zero_copy_only=False)
    offsets = arr.offsets.to_numpy() - arr.offsets[0].as_py()
    return [flat[offsets[k] : offsets[k + 1]] for k in range(len(arr))]


_LOADED: dict[str, Dataset] = {}
