"""Parse the whole archive once per checksum into the Arrow cache: member files are read
and parsed ``CHUNK_MEMBERS`` at a time (``fast.py``) and each chunk is appended to the
Arrow stream file, so memory stays bounded whatever the archive's size (docs/scale.md).
The cache folder's name carries the archive's checksum and ``PARSER_VERSION``."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa

from incumbent.data.cards import cache_dir
from incumbent.data.loaders.aalto.archive import members
from incumbent.data.loaders.aalto.fast import chunk_table, sequences_table
from incumbent.data.loaders.aalto.rows import RowIssue
from incumbent.data.loaders.aalto.store import (
    SCHEMA,
    index_frame,
    load_index,
    participants,
    save_index,
)

NAME = "aalto_136m"
PARSER_VERSION = 3  # bump when parsing (rows, fast, features) or the cache layout (store)
# can change the cached data: it names the cache folder, so old parses are not reused

CHUNK_MEMBERS = 256  # participant files parsed together by the fast path


def parse_to_table(source, progress: bool = True, out: Path | None = None, fast: bool = True):
    """Parse every participant; (table, issues), or (None, issues) after streaming the
    rows to the Arrow file ``out`` in batches (memory bounded by one batch of
    ``CHUNK_MEMBERS`` files) and the sentence index beside it (:func:`store.save_index`).
    ``fast=False`` applies the row rule to every file."""
    from tqdm.auto import tqdm

    issues: list[RowIssue] = []
    parts, writer = [], None
    index = {"subjects": [], "sentences": [], "n_keys": [], "offset": [], "rows": [0]}
    if out is not None:
        sink = pa.OSFile(str(out), "wb")
        writer = pa.ipc.new_stream(sink, SCHEMA)
    files = tqdm(members(source), desc="aalto: parsing", unit=" participants",
                 disable=not progress)  # fmt: skip
    chunk: list[tuple[str, str, bytes]] = []

    def flush():
        table = chunk_table(chunk, issues, fast)
        if writer is None:
            parts.append(table)
        elif table.num_rows:
            index["offset"].append(sink.tell())  # where this record batch's message starts
            index["rows"].append(index["rows"][-1] + table.num_rows)
            writer.write_table(table)
            part = participants(table)
            for k in ("subjects", "sentences", "n_keys"):
                index[k] += part[k]
        chunk.clear()

    for pid, name, read in files:
        chunk.append((pid, name, read()))
        if len(chunk) == CHUNK_MEMBERS:
            flush()
    if chunk:
        flush()
    if writer is not None:
        writer.close()
        save_index(out.parent, index)
        return None, issues
    return pa.concat_tables([sequences_table([]), *parts]), issues


def cached_parse(source: Path, checksum: str, progress: bool = True, cache: bool = True):
    """(sentences, index frame, issues, cache_hit): parse once per archive checksum, then
    read the small index; sentences are :class:`ArrowBatches` (or, with ``cache=False``,
    an in-memory ``datasets.Dataset``)."""
    folder = cache_dir() / NAME / f"{checksum[:16]}-p{PARSER_VERSION}"
    arrow, issues_file = folder / "sequences.arrow", folder / "row_issues.json"
    if cache and issues_file.exists():
        issues = [RowIssue(**d) for d in json.loads(issues_file.read_text())]
        return *load_index(folder)[::-1], issues, True
    if not cache:
        import datasets

        table, issues = parse_to_table(source, progress)
        return datasets.Dataset(table), index_frame(table), issues, False
    folder.mkdir(parents=True, exist_ok=True)
    part = arrow.with_suffix(".arrow.part")
    _, issues = parse_to_table(source, progress, out=part)
    part.replace(arrow)
    # written last: its presence marks a complete cache entry
    tmp = issues_file.with_suffix(".tmp")
    tmp.write_text(json.dumps([asdict(i) for i in issues], indent=1))
    tmp.replace(issues_file)
    return *load_index(folder)[::-1], issues, False
