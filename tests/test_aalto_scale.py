"""The Aalto loader at scale: the fast parse equals the row-rule parse, the cache is
written in bounded batches, and the protocol reads only the rows it needs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incumbent.data.loaders import aalto
from tests.test_aalto_loader import archive, member, rows, write_zip  # noqa: F401


def check_fast_equals_row_rule(source, chunk: int = 256, monkeypatch=None):
    if monkeypatch is not None:
        monkeypatch.setattr(aalto.cache, "CHUNK_MEMBERS", chunk)
    fast, fast_issues = aalto.cache.parse_to_table(source, progress=False, fast=True)
    slow, slow_issues = aalto.cache.parse_to_table(source, progress=False, fast=False)
    assert fast.schema == slow.schema
    assert fast.to_pylist() == slow.to_pylist()
    assert fast_issues == slow_issues
    return fast


def test_fast_parse_equals_row_rule_parse(archive, monkeypatch):  # noqa: F811
    # the malformed file makes its chunk fall back; with chunks of one file, only it does
    for chunk in (256, 1):
        table = check_fast_equals_row_rule(archive, chunk, monkeypatch)
    assert table.num_rows == 40
    read = [(p, n, r()) for p, n, r in aalto.archive.members(archive)]
    assert (
        aalto.fast.fast_chunk(read[:1], []) is not None and aalto.fast.fast_chunk(read, []) is None
    )


def test_fast_parse_handles_ties_inverted_times_and_shuffled_rows(tmp_path, monkeypatch):
    lines = rows(5)
    f = lines[4].split("\t")
    f[5] = lines[3].split("\t")[5]  # a press-time tie
    lines[4] = "\t".join(f)
    f = lines[7].split("\t")
    f[6] = str(int(f[5]) - 3)  # released before pressed: reported, kept
    lines[7] = "\t".join(f)
    shuffled = [lines[k] for k in np.random.default_rng(0).permutation(len(lines))]
    z = write_zip(tmp_path / "k.zip", [member(5, shuffled), member(6, rows(6, keys=3))])
    fast = check_fast_equals_row_rule(z, 256, monkeypatch)
    assert fast.num_rows == 30
    read = [(p, n, r()) for p, n, r in aalto.archive.members(z)]
    assert aalto.fast.fast_chunk(read, []) is not None  # the comparison exercised the fast path


@pytest.mark.repro
@pytest.mark.slow
def test_fast_parse_equals_row_rule_parse_on_the_real_archive(data_dir):
    check_fast_equals_row_rule(data_dir / "aalto_136m_keystrokes" / aalto.ARCHIVE)


def test_cache_written_in_batches_reads_back(archive, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(aalto.cache, "CHUNK_MEMBERS", 1)  # one record batch per file
    ds = aalto.load(path=archive, progress=False)
    table, _ = aalto.cache.parse_to_table(archive, progress=False)
    sentences = ds.extra["sentences"]
    assert len(sentences.offsets) == 3  # one record batch per (non-empty) file here
    assert sentences.dataset().data.table.to_pylist() == table.to_pylist()
    for b in range(3):  # each batch read on its own equals its rows of the table
        lo, hi = sentences.rows[b], sentences.rows[b + 1]
        assert sentences.batch(b).to_pylist() == table.slice(lo, hi - lo).to_pylist()
    # the frame is an index (no keystrokes in memory); sequences come from the Arrow file
    assert list(ds.frame.columns) == ["subject", "first_row", "sentences", "n_keys"]
    assert ds.frame["sentences"].tolist() == [15, 15, 10]
    rows = aalto.sequence_rows(ds.frame, ["2", "1"], sessions=2)
    assert rows.tolist() == [15, 16, 0, 1] and table.column("subject")[15].as_py() == "2"
    aalto._LOADED.clear()
    again = aalto.load(path=archive, progress=False)  # the index read back from the cache
    assert again.extra["cache_hit"]
    pd.testing.assert_frame_equal(again.frame, aalto.index_frame(table))
    in_memory = aalto.load(path=archive, progress=False, cache=False)
    for a, b in zip(
        aalto.sequences_at(ds, [16, 0]), aalto.sequences_at(in_memory, [16, 0]), strict=True
    ):
        assert all(np.array_equal(a[c], b[c]) for c in ("press", "release", "keycode"))
    seqs = aalto.sequences_at(ds, [0, 16], length=4)
    assert [len(s["press"]) for s in seqs] == [4, 4]
    assert np.array_equal(seqs[1]["press"], np.asarray(table.column("press")[16].as_py()[:4]))
