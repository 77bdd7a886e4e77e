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
    Verified, parsed and cached: one row per sentence (``subject``, ``session``,
    ``order``, ``n_keys``, ``sentence``, ``user_input``, ``press``, ``release``,
    ``keycode``). The parse is stored as a Hugging Face ``datasets`` Arrow dataset
    (memory-mapped on reload) under ``cache_dir()/aalto_136m/<sha256[:16]>-p<PARSER>``,
    keyed by the archive's sha256 (a folder: a digest of its member names and bytes),
    so a second run does not re-parse.

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

from incumbent.data.cards import DataError, Dataset, cache_dir, fetch, read_card, verify

NAME = "aalto_136m"
ARCHIVE = "Keystrokes.zip"
PARSER_VERSION = 2  # bump when parsing can change the cached data
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


def _open_zip(path: Path) -> zipfile.ZipFile:
    if not zipfile.is_zipfile(path):
        raise DataError(f"{path}: not a zip archive (expected the official {ARCHIVE})")
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise DataError(f"{path}: corrupt zip archive ({e})") from e


def _members(source) -> Iterator[tuple[str, str, callable]]:
    """(participant id, display name, read-bytes callable) for every keystroke file."""
    if isinstance(source, zipfile.ZipFile):
        zf, label = source, str(source.filename)
    else:
        path = Path(source)
        if not path.exists():
            raise DataError(f"{path}: no such archive or folder")
        if path.is_dir():
            yield from _folder_members(path)
            return
        zf, label = _open_zip(path), str(path)
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
def _parse_to_table(source, progress: bool = True) -> tuple[pa.Table, list[RowIssue]]:
    from tqdm.auto import tqdm

    issues: list[RowIssue] = []
    cols: dict[str, list] = {k: [] for k in
                             ("subject", "session", "order", "n_keys", "sentence", "user_input",
                              "press", "release", "keycode")}  # fmt: skip
    for pid, df in tqdm(iter_participants(source, issues), desc="aalto: parsing",
                        unit=" participants", disable=not progress):  # fmt: skip
        for k, s in enumerate(sequences(df)):
            cols["subject"].append(pid)
            cols["order"].append(k)
            cols["n_keys"].append(int(s["press"].size))
            for key in ("session", "sentence", "user_input", "press", "release", "keycode"):
                cols[key].append(s[key])
    table = pa.table(
        {
            "subject": pa.array(cols["subject"], pa.string()),
            "session": pa.array(cols["session"], pa.int64()),
            "order": pa.array(cols["order"], pa.int32()),
            "n_keys": pa.array(cols["n_keys"], pa.int32()),
            "sentence": pa.array(cols["sentence"], pa.string()),
            "user_input": pa.array(cols["user_input"], pa.string()),
            "press": pa.array(cols["press"], pa.list_(pa.int64())),
            "release": pa.array(cols["release"], pa.list_(pa.int64())),
            "keycode": pa.array(cols["keycode"], pa.list_(pa.int16())),
        }
    )
    return table, issues


def cached_parse(source: Path, checksum: str, progress: bool = True, cache: bool = True):
    """(HF Dataset, issues, cache_hit): parse once per archive checksum, then memory-map."""
    import datasets

    folder = cache_dir() / NAME / f"{checksum[:16]}-p{PARSER_VERSION}"
    issues_file = folder / "row_issues.json"
    if cache and issues_file.exists():
        ds = datasets.load_from_disk(str(folder / "arrow"))
        issues = [RowIssue(**d) for d in json.loads(issues_file.read_text())]
        return ds, issues, True
    table, issues = _parse_to_table(source, progress)
    ds = datasets.Dataset(table)
    if not cache:
        return ds, issues, False
    folder.mkdir(parents=True, exist_ok=True)
    ds.save_to_disk(str(folder / "arrow"))
    # written last: its presence marks a complete cache entry
    tmp = issues_file.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(i) for i in issues], indent=1))
    tmp.replace(issues_file)
    return datasets.load_from_disk(str(folder / "arrow")), issues, False


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
    ds, issues, hit = cached_parse(path, checksum, progress=progress, cache=cache)
    for i in issues:  # one line each at debug level (INCUMBENT_DEBUG=1), a count otherwise
        log.debug("%s line %s keystroke %s: %s (%s)", i.file, i.line, i.keystroke_id,
                  i.action, i.reason)  # fmt: skip
    if issues:
        counts = Counter(i.action for i in issues)
        level = logging.INFO if set(counts) == {"re-decoded"} else logging.WARNING
        log.log(level, "aalto: %s (the loader's documented rules; INCUMBENT_DEBUG=1 lists them)",
                ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))  # fmt: skip
    frame = ds.data.table.to_pandas()
    per_subject = frame.groupby("subject", sort=False).size()
    dataset = Dataset(
        name=NAME,
        frame=frame,
        features=[],
        checksum=checksum,
        card=card,
        extra={
            "arrow": ds,
            "cache_hit": hit,
            "row_issues": summarize_issues(issues),
            "sentences_per_subject": per_subject.value_counts().sort_index().to_dict(),
        },
    )
    if cache:
        _LOADED.clear()
        _LOADED[checksum] = dataset
    return dataset


_LOADED: dict[str, Dataset] = {}
