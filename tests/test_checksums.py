"""Each dataset card's checksums are enforced, not just its size: a tiny generated file
stands in for the card's file (same checksum kinds, values of the tiny file), then one
byte is changed without changing the size. No real data is read or copied."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from incumbent import ROOT
from incumbent.data.cards import DataError, fetch, file_digest, read_card, verify

ALGOS = ("md5", "sha256")
CARDS = sorted(p.stem for p in (ROOT / "datasets").glob("*.md") if p.stem != "README")
CASES = [
    (name, algo)
    for name in CARDS
    for algo in ALGOS
    if read_card(name).get("files") and algo in read_card(name)["files"][0]
]


def stand_in(tmp_path: Path, card: dict, content: bytes) -> tuple[dict, Path]:
    """A copy of ``card`` whose first file is ``content`` (checksums of that content)."""
    spec = card["files"][0]
    path = tmp_path / card["folder"] / spec["name"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    fake = {k: v for k, v in spec.items() if k not in ALGOS and k != "bytes"}
    fake.update({algo: hashlib.new(algo, content).hexdigest() for algo in ALGOS if algo in spec})
    if "bytes" in spec:
        fake["bytes"] = len(content)
    return {**card, "files": [fake]}, path


def test_every_card_with_files_lists_a_sha256():
    cards = [read_card(n) for n in CARDS]
    assert {c["name"] for c in cards if c.get("files")} >= {
        "cmu_dsl", "greyc_nislab", "keystroke100", "meu_mobile_ksd", "aalto_136m", "balabit",
    }  # fmt: skip
    for card in cards:
        for spec in card.get("files") or []:
            assert len(spec["sha256"]) == 64 and int(spec["sha256"], 16) >= 0, spec["name"]


@pytest.mark.parametrize("name,algo", CASES, ids=[f"{n}-{a}" for n, a in CASES])
def test_same_size_one_byte_change_is_caught_by_each_checksum(tmp_path, name, algo):
    content = b"subject,session,rep,t\n" + bytes(range(256)) * 3
    card, path = stand_in(tmp_path, read_card(name), content)
    assert fetch(card, card["files"][0]["name"], tmp_path) == path  # the stand-in verifies

    changed = bytearray(content)
    changed[len(changed) // 2] ^= 0x01
    path.write_bytes(bytes(changed))
    # every other checksum agrees with the changed file: only `algo` can catch it
    spec = dict(card["files"][0])
    for other in ALGOS:
        if other != algo and other in spec:
            spec[other] = hashlib.new(other, bytes(changed)).hexdigest()
    assert path.stat().st_size == spec.get("bytes", len(content))
    want = hashlib.new(algo, content).hexdigest()
    with pytest.raises(DataError, match=rf"{algo} checksum mismatch: expected {want}, got"):
        fetch({**card, "files": [spec]}, spec["name"], tmp_path)


def test_verify_returns_the_sha256_and_digest_reads_in_chunks(tmp_path):
    content = bytes(range(256)) * 40
    path = tmp_path / "f.bin"
    path.write_bytes(content)
    sha = hashlib.sha256(content).hexdigest()
    assert file_digest(path, "sha256", chunk=7) == sha == file_digest(path)
    assert file_digest(path, "md5", chunk=1000) == hashlib.md5(content).hexdigest()
    assert verify(path, {"sha256": sha, "bytes": len(content)}) == sha
    assert verify(path, {}) == sha  # nothing stated: nothing to check, digest still returned


def test_missing_file_and_wrong_size(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        verify(tmp_path / "absent.csv", {"sha256": "0" * 64})
    path = tmp_path / "f.csv"
    path.write_bytes(b"12345")
    with pytest.raises(DataError, match="size 5 bytes, expected 6"):
        verify(path, {"bytes": 6, "sha256": hashlib.sha256(b"12345").hexdigest()})
