"""CMU loader and the generic fetch/verify path, on synthetic files."""

from __future__ import annotations

import hashlib

import pytest

from incumbent.data.cards import DataError, fetch, read_card
from incumbent.data.loaders import cmu_dsl


def test_parse_synthetic_file(synthetic_cmu_csv):
    frame = cmu_dsl.parse(synthetic_cmu_csv, subjects=4)
    assert list(frame.columns[:3]) == ["subject", "session", "rep"]
    assert frame.shape == (1600, 34)
    assert frame.groupby("subject").size().eq(400).all()


def test_checksum_mismatch_names_the_file(synthetic_cmu_csv):
    with pytest.raises(DataError, match=r"DSL-StrongPasswordData\.csv: size .* expected 4669935"):
        cmu_dsl.load(path=synthetic_cmu_csv)


def test_truncated_file(synthetic_cmu_csv):
    lines = synthetic_cmu_csv.read_text().splitlines()
    synthetic_cmu_csv.write_text("\n".join(lines[:-7]) + "\n")
    with pytest.raises(DataError, match=r"expected 4 subjects x 400 rows.*uneven"):
        cmu_dsl.parse(synthetic_cmu_csv, subjects=4)


def test_empty_file(tmp_path):
    path = tmp_path / "DSL-StrongPasswordData.csv"
    path.write_text("")
    with pytest.raises(DataError, match="not a readable CSV"):
        cmu_dsl.parse(path)


def test_renamed_column(synthetic_cmu_csv):
    text = synthetic_cmu_csv.read_text().replace("H.period", "H.Period", 1)
    synthetic_cmu_csv.write_text(text)
    with pytest.raises(DataError, match=r"missing \['H.period'\], unexpected \['H.Period'\]"):
        cmu_dsl.parse(synthetic_cmu_csv, subjects=4)


@pytest.mark.parametrize("bad", ["abc", "", "nan"])
def test_non_numeric_timing(synthetic_cmu_csv, bad):
    lines = synthetic_cmu_csv.read_text().splitlines()
    cells = lines[5].split(",")
    cells[7] = bad
    lines[5] = ",".join(cells)
    synthetic_cmu_csv.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 6, column DD.t.i: non-numeric or missing"):
        cmu_dsl.parse(synthetic_cmu_csv, subjects=4)


def _card_for(path, url):
    blob = path.read_bytes()
    return {
        "name": "toy",
        "folder": "toy_folder",
        "files": [
            {
                "name": path.name,
                "url": url,
                "md5": hashlib.md5(blob).hexdigest(),
                "bytes": len(blob),
            }
        ],
    }


def test_fetch_prefers_local_copy(tmp_path, synthetic_cmu_csv):
    local = tmp_path / "data" / "toy_folder"
    local.mkdir(parents=True)
    (local / synthetic_cmu_csv.name).write_bytes(synthetic_cmu_csv.read_bytes())
    card = _card_for(synthetic_cmu_csv, url=None)
    assert fetch(card, synthetic_cmu_csv.name, tmp_path / "data") == local / synthetic_cmu_csv.name


def test_fetch_downloads_into_cache_and_verifies(tmp_path, monkeypatch, synthetic_cmu_csv):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    card = _card_for(synthetic_cmu_csv, url=synthetic_cmu_csv.as_uri())
    got = fetch(card, synthetic_cmu_csv.name, tmp_path / "empty")
    assert got == tmp_path / "cache" / "incumbent" / "toy_folder" / synthetic_cmu_csv.name
    assert got.read_bytes() == synthetic_cmu_csv.read_bytes()


def test_fetch_download_with_wrong_checksum_fails(tmp_path, monkeypatch, synthetic_cmu_csv):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    card = _card_for(synthetic_cmu_csv, url=synthetic_cmu_csv.as_uri())
    card["files"][0]["md5"] = "0" * 32
    with pytest.raises(DataError, match="md5 checksum mismatch"):
        fetch(card, synthetic_cmu_csv.name, tmp_path / "empty")


def test_fetch_offline_error_says_what_to_do(tmp_path, monkeypatch, synthetic_cmu_csv):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    card = _card_for(synthetic_cmu_csv, url=(tmp_path / "nowhere.csv").as_uri())
    with pytest.raises(DataError, match="INCUMBENT_DATA"):
        fetch(card, synthetic_cmu_csv.name, tmp_path / "empty")


def test_card_is_read_from_datasets_folder():
    card = read_card("cmu_dsl")
    assert card["files"][0]["md5"] == "470235f96568f28f9ea0da62234ec857"


def test_unknown_card_lists_known():
    with pytest.raises(DataError, match="known datasets: .*cmu_dsl"):
        read_card("no_such_dataset")


@pytest.mark.repro
def test_real_file_loads(data_dir):
    ds = cmu_dsl.load(data_dir)
    assert ds.frame.shape == (20400, 34)
    assert len(ds.subjects) == 51 and len(ds.features) == 31
    assert ds.checksum == read_card("cmu_dsl")["files"][0]["sha256"]
