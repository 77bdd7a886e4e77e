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

import logging
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from incumbent.data.cards import Dataset, fetch, read_card, verify
from incumbent.data.loaders.aalto.archive import ARCHIVE, MEMBER, source_digest
from incumbent.data.loaders.aalto.cache import NAME, PARSER_VERSION, cached_parse
from incumbent.data.loaders.aalto.features import sequences, typenet_features
from incumbent.data.loaders.aalto.rows import (
    COLUMNS,
    INT_COLUMNS,
    RowIssue,
    iter_participants,
    parse_member,
)
from incumbent.data.loaders.aalto.store import (
    SCHEMA,
    ArrowBatches,
    index_frame,
    sentence_counts,
    sequence_rows,
    sequences_at,
)

__all__ = [
    "ARCHIVE", "COLUMNS", "INT_COLUMNS", "MEMBER", "NAME", "PARSER_VERSION", "SCHEMA",
    "ArrowBatches", "RowIssue", "cached_parse", "index_frame", "iter_participants", "load",
    "parse_member", "sentence_counts", "sequence_rows", "sequences", "sequences_at",
    "source_digest", "summarize_issues", "typenet_features",
]  # fmt: skip
log = logging.getLogger(__name__)


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


_LOADED: dict[str, Dataset] = {}
