"""The batched parser: a chunk of well-formed participant files parsed in one pyarrow
call straight into the sentences table; a chunk with any other file falls back to the
row-rule parser (``rows.py``) file by file, so both paths give the same table."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from incumbent.data.loaders.aalto.features import sequences
from incumbent.data.loaders.aalto.rows import COLUMNS, INT_COLUMNS, RowIssue, parse_member
from incumbent.data.loaders.aalto.store import SCHEMA


def sequences_table(rows: list[tuple[str, list[dict]]]) -> pa.Table:
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


def fast_chunk(members: list[tuple[str, str, bytes]], issues: list) -> pa.Table | None:
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


def chunk_table(chunk: list[tuple[str, str, bytes]], issues: list, fast: bool) -> pa.Table:
    if fast:
        mark = len(issues)
        table = fast_chunk(chunk, issues)
        if table is not None:
            return table
        del issues[mark:]
    out = []
    for pid, name, data in chunk:
        df = parse_member(data, pid, name, issues)
        out.append((pid, [] if df is None else sequences(df)))
    return sequences_table(out)
