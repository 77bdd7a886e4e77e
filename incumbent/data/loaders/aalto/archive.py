"""The Aalto archive's keystroke files, read one member at a time from the official
``Keystrokes.zip`` (by path or open ``ZipFile``) or its extracted folder, with every zip
entry name checked before any member is read (no zip-slip)."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from incumbent.data import zipstream
from incumbent.data.cards import DataError, verify

ARCHIVE = "Keystrokes.zip"
MEMBER = re.compile(r"(?:^|/)files/(\d+)_keystrokes\.txt$")


def _check_member_name(archive: str, name: str) -> None:
    p = PurePosixPath(name.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts or re.match(r"^[A-Za-z]:", name):
        raise DataError(
            f"{archive}: zip entry {name!r} has a path that escapes the archive folder "
            "(zip-slip); refusing to read this archive"
        )


def members(source) -> Iterator[tuple[str, str, callable]]:
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
