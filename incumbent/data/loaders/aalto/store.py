"""The Arrow side of the Aalto cache: the sentences table's schema, the record-batch
reader over the cached file, the small per-participant index written beside it, and
the readers the protocols use (:func:`sequence_rows`, :func:`sequences_at`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from incumbent.data.cards import Dataset

SCHEMA = pa.schema([("subject", pa.string()), ("session", pa.int64()), ("order", pa.int32()),
                    ("n_keys", pa.int32()), ("sentence", pa.string()), ("user_input", pa.string()),
                    ("press", pa.list_(pa.int64())), ("release", pa.list_(pa.int64())),
                    ("keycode", pa.list_(pa.int16()))])  # fmt: skip


def participants(table: pa.Table) -> dict[str, list]:
    """Per participant, in file order: id, number of sentences, number of keys (a
    participant's sentences are consecutive rows, in ``order``)."""
    subject = table.column("subject").to_numpy(zero_copy_only=False)
    starts = np.flatnonzero(np.r_[True, subject[1:] != subject[:-1]]) if len(subject) else []
    ends = np.r_[starts[1:], len(subject)] if len(subject) else []
    keys = np.r_[0, np.cumsum(table.column("n_keys").to_numpy())]
    return {"subjects": [str(subject[i]) for i in starts],
            "sentences": [int(e - b) for b, e in zip(starts, ends, strict=True)],
            "n_keys": [int(keys[e] - keys[b]) for b, e in zip(starts, ends, strict=True)]}  # fmt: skip


def participant_frame(index: dict) -> pd.DataFrame:
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
    return participant_frame(participants(table))


def save_index(folder: Path, index: dict) -> None:
    """The participant index, read back without touching the Arrow file."""
    arrays = {k: np.asarray(index[k], np.int64) for k in ("sentences", "n_keys")}
    arrays["batch_offset"] = np.asarray(index["offset"], np.int64)
    arrays["batch_rows"] = np.asarray(index["rows"], np.int64)
    with open(folder / "index.npz.part", "wb") as f:
        np.savez(f, **arrays)
    (folder / "index.npz.part").replace(folder / "index.npz")
    (folder / "subjects.json").write_text(json.dumps(index["subjects"]))


def load_index(folder: Path) -> tuple[pd.DataFrame, ArrowBatches]:
    with np.load(folder / "index.npz") as z:
        index = {"sentences": z["sentences"], "n_keys": z["n_keys"]}
        batches = ArrowBatches(folder / "sequences.arrow", z["batch_offset"], z["batch_rows"])
    index["subjects"] = json.loads((folder / "subjects.json").read_text())
    return participant_frame(index), batches


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
    given frame rows: from the Arrow cache when loaded by ``aalto.load``, else from the
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
        get = table.select(["press", "release", "keycode"]).to_batches().__getitem__  # once
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
