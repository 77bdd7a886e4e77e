"""Read a zip archive's members one at a time without holding its directory in memory.

Python's ``zipfile.ZipFile`` builds a ``ZipInfo`` object for every entry when it opens an
archive (about 800 bytes each): for the 168,000-file Aalto release that alone is over a
hundred megabytes before the first member is read. :func:`entries` walks the central
directory sequentially from the file instead, one entry at a time, and :func:`read`
decompresses one member from its local header. Stored (0) and deflated (8) members,
zip64 archives (more than 65,535 entries or 4 GB), CRC-32 checked. Anything else (an
encrypted member, another compression method, a damaged directory) raises
:class:`incumbent.data.cards.DataError`.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from incumbent.data.cards import DataError

EOCD = struct.Struct("<4s4H2LH")  # end of central directory
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
LOCAL = struct.Struct("<4s2B4HL2L2H")


@dataclass(frozen=True)
class Entry:
    name: str
    offset: int  # of the local header
    compressed: int
    size: int
    method: int
    crc: int
    flags: int


def _directory(f, path) -> tuple[int, int]:
    """(number of entries, offset of the central directory)."""
    f.seek(0, 2)
    end = f.tell()
    tail_start = max(0, end - (EOCD.size + 65_535))
    f.seek(tail_start)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < EOCD.size:
        raise DataError(f"{path}: not a zip archive (no end-of-directory record)")
    _, _, _, _, count, _, offset, _ = EOCD.unpack_from(tail, at)
    loc = at - ZIP64_LOCATOR.size
    if loc >= 0 and tail[loc : loc + 4] == b"PK\x06\x07":
        _, _, eocd64, _ = ZIP64_LOCATOR.unpack_from(tail, loc)
        f.seek(eocd64)
        rec = f.read(ZIP64_EOCD.size)
        if rec[:4] != b"PK\x06\x06":
            raise DataError(f"{path}: corrupt zip64 end-of-directory record")
        count, offset = ZIP64_EOCD.unpack(rec)[7], ZIP64_EOCD.unpack(rec)[9]
    return count, offset


def _zip64(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    """Apply a zip64 extra field (id 1) to the 32-bit values that overflowed."""
    i = 0
    while i + 4 <= len(extra):
        tag, length = struct.unpack_from("<2H", extra, i)
        if tag == 1:
            values = list(struct.unpack_from(f"<{length // 8}Q", extra, i + 4))
            if size == 0xFFFFFFFF:
                size = values.pop(0)
            if compressed == 0xFFFFFFFF:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF:
                offset = values.pop(0)
        i += 4 + length
    return size, compressed, offset


def entries(path: str | Path) -> Iterator[Entry]:
    """Every entry of the archive, in directory order, read from the file one by one."""
    with open(path, "rb") as f:
        count, pos = _directory(f, path)
        for _ in range(count):
            f.seek(pos)
            head = f.read(CENTRAL.size)
            if len(head) < CENTRAL.size or head[:4] != b"PK\x01\x02":
                raise DataError(f"{path}: corrupt zip central directory")
            (_, _, _, _, _, flags, method, _, _, crc, compressed, size, n_name, n_extra,
             n_comment, _, _, _, offset) = CENTRAL.unpack(head)  # fmt: skip
            raw = f.read(n_name + n_extra)
            name = raw[:n_name].decode("utf-8" if flags & 0x800 else "cp437")
            size, compressed, offset = _zip64(raw[n_name:], size, compressed, offset)
            pos += CENTRAL.size + n_name + n_extra + n_comment
            yield Entry(name, offset, compressed, size, method, crc, flags)


def read(path: str | Path, e: Entry, handle=None) -> bytes:
    """One member's bytes (decompressed, CRC-checked); ``handle`` an open file to reuse."""
    f = handle or open(path, "rb")  # noqa: SIM115 (closed below unless the caller's)
    try:
        f.seek(e.offset)
        head = f.read(LOCAL.size)
        if len(head) < LOCAL.size or head[:4] != b"PK\x03\x04":
            raise DataError(f"{path}:{e.name}: corrupt local header")
        n_name, n_extra = LOCAL.unpack(head)[-2:]
        f.seek(e.offset + LOCAL.size + n_name + n_extra)
        blob = f.read(e.compressed)
    finally:
        if handle is None:
            f.close()
    if e.flags & 0x1:
        raise DataError(f"{path}:{e.name}: encrypted zip member")
    if e.method == 0:
        data = blob
    elif e.method == 8:
        data = zlib.decompress(blob, -15)
    else:
        raise DataError(f"{path}:{e.name}: unsupported zip compression method {e.method}")
    if len(data) != e.size or zlib.crc32(data) != e.crc:
        raise DataError(f"{path}:{e.name}: corrupt zip member (size or CRC-32 mismatch)")
    return data
