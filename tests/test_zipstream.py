"""The streaming zip reader returns what zipfile returns, without its directory in memory."""

from __future__ import annotations

import zipfile

import pytest

from incumbent.data import zipstream
from incumbent.data.cards import DataError


def same_as_zipfile(path):
    with zipfile.ZipFile(path) as zf:
        want = {i.filename: zf.read(i) for i in zf.infolist()}
    got = {e.name: zipstream.read(path, e) for e in zipstream.entries(path)}
    assert got == want
    return got


def test_deflated_stored_and_unicode_names(tmp_path):
    p = tmp_path / "a.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("Keystrokes/readme.txt", "hello", compress_type=zipfile.ZIP_STORED)
        zf.writestr("Keystrokes/files/1_keystrokes.txt", "x\t" * 5000, zipfile.ZIP_DEFLATED)
        zf.writestr("Keystrokes/files/é_keystrokes.txt", b"", zipfile.ZIP_DEFLATED)
    assert len(same_as_zipfile(p)) == 3


@pytest.mark.slow
def test_zip64_with_more_than_65535_entries(tmp_path):
    p = tmp_path / "big.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for k in range(66_000):
            zf.writestr(f"files/{k}_keystrokes.txt", f"{k}\n")
    got = same_as_zipfile(p)
    assert len(got) == 66_000 and got["files/65999_keystrokes.txt"] == b"65999\n"


def test_corrupt_member_is_reported(tmp_path):
    p = tmp_path / "c.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("files/1_keystrokes.txt", b"0123456789" * 10)
    data = bytearray(p.read_bytes())
    data[data.find(b"0123456789") + 3] ^= 0xFF  # flip a byte of the member
    p.write_bytes(bytes(data))
    (e,) = list(zipstream.entries(p))
    with pytest.raises(DataError, match="CRC"):
        zipstream.read(p, e)


def test_not_a_zip(tmp_path):
    p = tmp_path / "n.zip"
    p.write_bytes(b"plain text, no zip records here\n")
    with pytest.raises(DataError, match="not a zip"):
        list(zipstream.entries(p))
