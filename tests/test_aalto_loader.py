"""Aalto 136M loader on synthetic archives in the official layout (no real data needed)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from incumbent.data.cards import DataError
from incumbent.data.loaders import aalto

HEADER = "\t".join(aalto.COLUMNS)


def rows(pid: int, n_sentences: int = 15, keys: int = 6, start_id: int = 1000) -> list[str]:
    out, kid, t = [], start_id, 1_471_000_000_000 + pid * 10_000_000
    for s in range(n_sentences):
        sentence = f'He said "ok" {s}.' if s == 0 else f"Sentence number {s}."
        for k in range(keys):
            letter = "abcdef"[k]
            out.append("\t".join(map(str, [pid, 100 * pid + s, sentence, sentence, kid, t,
                                           t + 80, letter, 65 + k])))  # fmt: skip
            kid, t = kid + 1, t + 150
        t += 5000
    return out


def member(pid: int, lines: list[str]) -> tuple[str, str]:
    return f"Keystrokes/files/{pid}_keystrokes.txt", "\n".join([HEADER, *lines]) + "\n"


def write_zip(path: Path, members: list[tuple[str, str]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Keystrokes/readme.txt", "synthetic")
        for name, text in members:
            zf.writestr(name, text)
    return path


@pytest.fixture(autouse=True)
def _fresh_process_memo():
    aalto._LOADED.clear()  # archives built in the same second have the same checksum
    yield
    aalto._LOADED.clear()


@pytest.fixture
def archive(tmp_path) -> Path:
    """Four participants: clean (1), tab-in-LETTER + newline-in-LETTER + garbage (2),
    short (3: 10 sentences), empty file (4)."""
    bad = rows(2)
    f = bad[3].split("\t")
    bad[3] = "\t".join([*f[:7], "\t", f[8]])  # LETTER is a tab (Ctrl+I): 10 fields
    f = bad[10].split("\t")
    bad[10] = "\t".join([*f[:7], "\n", f[8]])  # LETTER is a line break: row split in two
    bad.insert(20, "2\tgarbage\tline")  # unrepairable
    return write_zip(
        tmp_path / "Keystrokes.zip",
        [member(1, rows(1)), member(2, bad), member(3, rows(3, n_sentences=10)),
         ("Keystrokes/files/4_keystrokes.txt", "")],
    )  # fmt: skip


def test_rows_repaired_skipped_and_reported(archive):
    issues: list = []
    got = dict(aalto.iter_participants(archive, issues))
    assert sorted(got) == ["1", "2", "3"]  # the empty file yields nothing
    assert len(got["1"]) == 15 * 6
    assert len(got["2"]) == 15 * 6  # both split rows repaired, the garbage line skipped
    letters = set(got["2"]["LETTER"])
    assert "\t" in letters and "\n" in letters
    by_action = {(Path(i.file).name.split(":")[-1].split("/")[-1], i.action) for i in issues}
    assert ("2_keystrokes.txt", "repaired") in by_action
    assert ("2_keystrokes.txt", "skipped") in by_action
    assert ("4_keystrokes.txt", "empty file") in by_action
    repaired = sorted(i.keystroke_id for i in issues if i.action == "repaired")
    assert repaired == [1003, 1010]  # the keystroke ids are reported
    assert all(i.file.endswith("2_keystrokes.txt") for i in issues if i.action == "skipped")


def test_quoted_sentence_kept_verbatim(archive):
    got = dict(aalto.iter_participants(archive))
    first = got["1"][got["1"]["TEST_SECTION_ID"] == 100]
    assert set(first["SENTENCE"]) == {'He said "ok" 0.'}
    assert len(first) == 6  # quoting disabled: the quotes did not merge rows


def test_short_participant_kept_by_loader_dropped_by_protocol(archive, tmp_path, monkeypatch):
    from incumbent.protocols.typenet_open_set import TypeNetOpenSet

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ds = aalto.load(path=archive, progress=False)
    assert ds.extra["sentences_per_subject"] == {10: 1, 15: 2}
    train, evals, excluded = TypeNetOpenSet(n_train=1, n_eval=1).split_subjects(ds)
    assert excluded == ["3"] and sorted(train + evals) == ["1", "2"]
    with pytest.raises(DataError, match="participants have >= 15"):
        TypeNetOpenSet(n_train=2, n_eval=1).split_subjects(ds)


def test_sequences_sorted_by_press_and_features(archive):
    df = dict(aalto.iter_participants(archive))["1"]
    seqs = aalto.sequences(df.sample(frac=1, random_state=0))  # shuffled rows
    assert [s["session"] for s in seqs] == [100 + k for k in range(15)]
    assert np.all(np.diff(seqs[0]["press"]) > 0)
    x = aalto.typenet_features(seqs[0]["press"], seqs[0]["release"], seqs[0]["keycode"], 8)
    assert x.shape == (8, 5)
    np.testing.assert_allclose(x[0], [0.08, 0.07, 0.15, 0.15, 65 / 255], rtol=1e-5)
    np.testing.assert_allclose(x[5, :4], [0.08, 0, 0, 0], atol=1e-6)  # last key: no successor
    assert not x[6:].any()  # zero padding


def test_cache_reused_on_second_run(archive, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []
    real = aalto.cache.parse_to_table
    monkeypatch.setattr(
        aalto.cache, "parse_to_table", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    first = aalto.load(path=archive, progress=False)
    aalto._LOADED.clear()  # a new process: no in-memory copy
    second = aalto.load(path=archive, progress=False)
    assert calls == [1]  # parsed once
    assert not first.extra["cache_hit"] and second.extra["cache_hit"]
    assert second.extra["row_issues"]["counts"] == first.extra["row_issues"]["counts"]
    assert (second.frame["n_keys"] == first.frame["n_keys"]).all()
    cached = list((tmp_path / "cache" / "incumbent" / "aalto_136m").iterdir())
    assert len(cached) == 1 and cached[0].name.startswith(first.checksum[:16])


def test_extracted_folder_reads_like_the_zip(archive, tmp_path):
    out = tmp_path / "extracted"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(out)
    from_zip = dict(aalto.iter_participants(archive))
    from_dir = dict(aalto.iter_participants(out))
    assert sorted(from_zip) == sorted(from_dir)
    assert from_zip["2"].equals(from_dir["2"])


def test_zip_slip_entry_is_refused(tmp_path):
    bad = write_zip(
        tmp_path / "evil.zip", [member(1, rows(1)), ("../../etc/evil_keystrokes.txt", "x")]
    )
    with pytest.raises(DataError, match="zip-slip"):
        list(aalto.iter_participants(bad))


def test_not_a_zip_is_a_clear_error(tmp_path):
    fake = tmp_path / "Keystrokes.zip"
    fake.write_text("this is not a zip archive\n")
    with pytest.raises(DataError, match="not a zip archive"):
        list(aalto.iter_participants(fake))


def test_wrong_header_names_the_file(tmp_path):
    z = write_zip(tmp_path / "k.zip", [("Keystrokes/files/7_keystrokes.txt", "A\tB\n1\t2\n")])
    with pytest.raises(DataError, match="7_keystrokes.txt.*header"):
        list(aalto.iter_participants(z))


@pytest.mark.repro
def test_real_archive_counts(data_dir):
    ds = aalto.load(data_dir, progress=False)
    assert ds.frame["subject"].nunique() == 2329
    assert int(ds.frame["n_keys"].sum()) == 1_701_206
    assert ds.extra["sentences_per_subject"] == {15: 2329}
    # the copy holds repaired files: no row is skipped (Latin-1 LETTER bytes are re-decoded,
    # rows releasing before they press are reported and kept)
    assert set(ds.extra["row_issues"]["counts"]) <= {"re-decoded", "kept"}


def test_negative_and_inverted_times_are_reported(tmp_path):
    lines = rows(7)
    neg = lines[3].split("\t")
    neg[5] = "-5"  # PRESS_TIME
    inverted = lines[8].split("\t")
    inverted[6] = str(int(inverted[5]) - 10)  # RELEASE_TIME before PRESS_TIME
    lines[3], lines[8] = "\t".join(neg), "\t".join(inverted)
    path = write_zip(tmp_path / "k.zip", [member(7, lines)])
    issues: list = []
    got = dict(aalto.iter_participants(path, issues))
    assert len(got["7"]) == 15 * 6 - 1  # the negative-time row is skipped
    found = {(i.keystroke_id, i.action, i.reason) for i in issues}
    assert (int(neg[4]), "skipped", "negative PRESS_TIME or RELEASE_TIME") in found
    assert (int(inverted[4]), "kept", "RELEASE_TIME before PRESS_TIME") in found
