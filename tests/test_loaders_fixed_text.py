"""GREYC-NISLAB, Keystroke100 and MEU-Mobile KSD loaders: layout, counts, clear errors.

Synthetic files in the real formats are built in ``tmp_path``; the real data (when
present) is checked against the cards.
"""

from __future__ import annotations

from hashlib import sha256

import numpy as np
import pytest

from incumbent.data.cards import DataError, read_card
from incumbent.data.loaders import greyc_nislab, keystroke100, meu_mobile_ksd

# ---------------------------------------------------------------- Keystroke100


def write_k100(root, users=3, per_user=10, seed=0):
    rng = np.random.default_rng(seed)
    paths = {}
    for u in range(1, users + 1):
        d = root / "keystroke100" / f"user{u}"
        d.mkdir(parents=True)
        lat = rng.uniform(100, 400, size=(per_user, 7))
        (d / "latency.txt").write_text(
            "\n".join("\t".join(f"{v:.2f}" for v in row) for row in lat) + "\n\n"
        )
        pre = rng.uniform(0.1, 3, size=(30, per_user))
        (d / "pressure.txt").write_text(
            "\n".join("\t".join(f"{v:.3f}" for v in row) for row in pre) + "\n"
        )
        for f in ("latency.txt", "pressure.txt"):
            paths[f"keystroke100/user{u}/{f}"] = d / f
    return paths


def test_keystroke100_parses_synthetic_copy(tmp_path):
    paths = write_k100(tmp_path)
    frame, pressure = keystroke100.parse(paths, subjects=3, per_subject=10)
    assert list(frame.columns[:3]) == ["subject", "session", "rep"]
    assert list(frame.columns[3:]) == keystroke100.feature_names() == [
        "L.t.r", "L.r.y", "L.y.4", "L.4.-", "L.-.m", "L.m.b", "L.b.s"
    ]  # fmt: skip
    assert frame["subject"].tolist()[::10] == ["user1", "user2", "user3"]
    assert frame["rep"].tolist()[:10] == list(range(1, 11))
    assert frame[keystroke100.feature_names()].to_numpy().max() < 0.5  # ms -> s
    assert len(pressure) == 30 and pressure[("user2", 3)].shape == (30,)


def test_keystroke100_ragged_pressure_kept(tmp_path):
    p = tmp_path / "pressure.txt"
    p.write_text("1\t2\t3\n1\t\t3\n\t\t3\n")
    series = keystroke100.parse_pressure(p)
    assert [s.tolist() for s in series] == [[1, 1], [2], [3, 3, 3]]


def test_keystroke100_pressure_gap_is_an_error(tmp_path):
    p = tmp_path / "pressure.txt"
    p.write_text("1\t2\n1\t\n1\t2\n")
    with pytest.raises(DataError, match=r"pressure.txt, line 3, column 2: series resumes"):
        keystroke100.parse_pressure(p)


@pytest.mark.parametrize(
    "bad, match",
    [
        ("156.00\t188.00\t266.00\n", r"line 1: 3 values, expected 7"),
        ("1\t2\t3\t4\t5\t6\tx\n", r"line 1: non-numeric value 'x'"),
    ],
)
def test_keystroke100_malformed_latency(tmp_path, bad, match):
    paths = write_k100(tmp_path, users=1)
    paths["keystroke100/user1/latency.txt"].write_text(bad)
    with pytest.raises(DataError, match=match):
        keystroke100.parse(paths, subjects=1)


def test_keystroke100_truncated_copy_fails_counts(tmp_path):
    paths = write_k100(tmp_path, users=2, per_user=10)
    lat = paths["keystroke100/user2/latency.txt"]
    lat.write_text("\n".join(lat.read_text().splitlines()[:9]) + "\n")
    pre = paths["keystroke100/user2/pressure.txt"]
    pre.write_text("\n".join("\t".join(r.split("\t")[:9]) for r in pre.read_text().splitlines()))
    with pytest.raises(DataError, match=r"2 subjects x 10 samples.*uneven: \{'user2': 9\}"):
        keystroke100.parse(paths, subjects=2, per_subject=10)


def test_keystroke100_pressure_latency_mismatch(tmp_path):
    paths = write_k100(tmp_path, users=1)
    pre = paths["keystroke100/user1/pressure.txt"]
    pre.write_text("\n".join("\t".join(r.split("\t")[:8]) for r in pre.read_text().splitlines()))
    with pytest.raises(DataError, match="8 pressure series but latency.txt has 10"):
        keystroke100.parse(paths, subjects=1)


def test_card_checksums_are_enforced(tmp_path):
    """A truncated copy of a real file (any content) fails the card's size check."""
    write_k100(tmp_path / "keystroke100", users=1)  # where the card expects user1's files
    with pytest.raises(DataError, match=r"latency.txt: size \d+ bytes, expected 490"):
        keystroke100.load(data_dir=tmp_path)
    with pytest.raises(DataError, match=r"user1/latency.txt not found .* no download URL"):
        keystroke100.load(data_dir=tmp_path / "elsewhere")


# ------------------------------------------------------------ MEU-Mobile KSD


def write_meu(root, subjects=3, per_subject=51, seed=0):
    rng = np.random.default_rng(seed)
    paths = {}
    (root / "data").mkdir(parents=True)
    for s in range(1, subjects + 1):
        x = np.c_[
            rng.integers(50, 900, size=(per_subject, 40)), rng.uniform(0, 1, (per_subject, 31))
        ]
        p = root / "data" / f"{s}.csv"
        p.write_bytes(b"".join((",".join(map(str, r)) + "\r\n").encode() for r in x))
        paths[f"data/{s}.csv"] = p
    return paths


def test_meu_columns_from_readme():
    cols = meu_mobile_ksd.columns()
    assert len(cols) == 71 == len(set(cols))
    assert cols[:2] == ["Hold .", "Hold t"] and cols[14] == "DD ..t" and cols[27] == "UD ..t"
    assert cols[40] == "Pressure ." and cols[54] == "Size ." and cols[-3:] == ["AvH", "AvP", "AvA"]
    assert len(meu_mobile_ksd.select("timing")) == 40 and len(meu_mobile_ksd.select("touch")) == 68
    with pytest.raises(ValueError, match="features must be one of"):
        meu_mobile_ksd.select("hold")


def test_meu_parses_synthetic_copy(tmp_path):
    paths = write_meu(tmp_path, subjects=3)
    frame = meu_mobile_ksd.parse(paths, subjects=3, per_subject=51)
    assert frame.shape == (153, 74)
    assert frame["subject"].unique().tolist() == ["1", "2", "3"]
    assert frame["Hold ."].max() < 1 and frame["DD ..t"].max() < 1  # ms -> s


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda rows: rows[:5] + [rows[5].rsplit(",", 1)[0]] + rows[6:], r"line 6: 70 values"),
        (lambda rows: [",".join(meu_mobile_ksd.columns())] + rows, r"line 1: non-numeric"),
        (lambda rows: rows[:3] + [""] + rows[3:], r"line 4: blank line inside the data"),
        (lambda rows: rows[:50], r"uneven: \{'2': 50\}"),
    ],
    ids=["short-row", "header-row", "blank-line", "truncated"],
)
def test_meu_malformed(tmp_path, edit, match):
    paths = write_meu(tmp_path, subjects=2)
    p = paths["data/2.csv"]
    rows = p.read_text().splitlines()
    p.write_text("\r\n".join(edit(rows)) + "\r\n")
    with pytest.raises(DataError, match=match) as e:
        meu_mobile_ksd.parse(paths, subjects=2, per_subject=51)
    assert "2.csv" in str(e.value) or "meu_mobile_ksd" in str(e.value)


def test_meu_header_count_hint(tmp_path):
    p = tmp_path / "1.csv"
    p.write_text("a,b,c\r\n")
    with pytest.raises(DataError, match="a header row"):
        meu_mobile_ksd.parse_file(p)


# ------------------------------------------------------------ GREYC-NISLAB


def greyc_rows(users=3, phrase="leonardo dicaprio", seed=0):
    """Rows of a P-sheet whose template vectors satisfy RR = PR + RP - PP."""
    rng = np.random.default_rng(seed)
    m = len(phrase) - 1
    rows = [greyc_nislab.HEADER]
    for u in range(1, users + 1):
        for r in range(20):
            hold = rng.integers(5, 15, size=m + 1) * 10000
            pp = rng.integers(10, 40, size=m) * 10000
            rp, pr = pp - hold[:-1], pp + hold[1:]
            rr = pr + rp - pp
            vec = " ".join(map(str, np.r_[pp, rr, rp, pr]))
            rows.append((u, "M", 30, "R", phrase, 1 if r < 10 else 2, vec))
    return rows


def write_xlsx(path, sheets):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(list(r))
    wb.save(path)
    return path


def test_greyc_parses_synthetic_copy(tmp_path):
    path = write_xlsx(tmp_path / "g.xlsx", {"P1": greyc_rows()})
    frame, meta = greyc_nislab.parse(path, 1, subjects=3, per_subject=20)
    names = greyc_nislab.feature_names(1)
    assert list(frame.columns) == ["subject", "session", "rep", *names]
    assert len(names) == 64 and names[0] == "PP.01.l.e" and names[8] == "PP.09._.d"
    assert frame["session"].tolist()[:20] == [1] * 10 + [2] * 10  # Class -> session
    assert frame["rep"].tolist()[:20] == list(range(1, 11)) * 2
    assert meta["consistent"].all()
    assert frame[names].abs().to_numpy().max() < 1  # 100 ns ticks -> s


def test_greyc_feature_names_unique_for_every_passphrase():
    for k, phrase in greyc_nislab.PASSPHRASES.items():
        names = greyc_nislab.feature_names(k)
        assert len(names) == len(set(names)) == 4 * (len(phrase) - 1)
    assert greyc_nislab.passphrase_index("p3") == 3
    assert greyc_nislab.passphrase_index("the rolling stones") == 2
    with pytest.raises(ValueError, match="1..5"):
        greyc_nislab.passphrase_index(6)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda rows: rows[:-1], r"uneven: \{'3': 19\}"),
        (lambda rows: rows[:5] + [rows[5][:6] + ("1 2 3",)] + rows[6:], r"row 6: template vector has 3 values, expected 4 x \(17 - 1\) = 64"),
        (lambda rows: rows[:5] + [rows[5][:4] + ("wrong phrase",) + rows[5][5:]] + rows[6:], r"row 6: Password 'wrong phrase'"),
        (lambda rows: rows[:5] + [rows[5][:5] + (3,) + rows[5][6:]] + rows[6:], r"row 6: Class 3, expected 1 or 2"),
        (lambda rows: rows[:5] + [rows[5][:2] + (None,) + rows[5][3:]] + rows[6:], r"row 6: empty cell\(s\) \['Age'\]"),
        (lambda rows: [("User", *rows[0][1:])] + rows[1:], r"header"),
    ],
    ids=["truncated", "short-vector", "password", "class", "empty-cell", "header"],
)  # fmt: skip
def test_greyc_malformed(tmp_path, edit, match):
    path = write_xlsx(tmp_path / "g.xlsx", {"P1": edit(greyc_rows())})
    with pytest.raises(DataError, match=match) as e:
        greyc_nislab.parse(path, 1, subjects=3, per_subject=20)
    assert "g.xlsx sheet P1" in str(e.value)


def test_greyc_missing_sheet_and_not_xlsx(tmp_path):
    path = write_xlsx(tmp_path / "g.xlsx", {"P1": greyc_rows()})
    with pytest.raises(DataError, match=r"no worksheet 'P2'"):
        greyc_nislab.parse(path, 2)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DataError, match=r"bad.xlsx: not a readable .xlsx"):
        greyc_nislab.parse(bad, 1)


def test_greyc_inconsistent_rows_never_silent(tmp_path, caplog):
    rows = greyc_rows()
    vec = rows[3][6].split()
    vec[0], vec[48] = vec[48], vec[0]  # swap a PP and a PR value: identity broken
    rows[3] = rows[3][:6] + (" ".join(vec),)
    path = write_xlsx(tmp_path / "g.xlsx", {"P1": rows})
    frame, meta = greyc_nislab.parse(path, 1, subjects=3, per_subject=20)
    assert (~meta["consistent"]).sum() == 1 and meta.loc[
        ~meta["consistent"], "excel_row"
    ].item() == 4
    kept, _ = greyc_nislab.handle_inconsistent(frame, meta, "keep", "g")
    assert len(kept) == 60 and "kept as distributed" in caplog.text
    dropped, m2 = greyc_nislab.handle_inconsistent(frame, meta, "drop", "g")
    assert len(dropped) == 59 and m2["consistent"].all()
    with pytest.raises(DataError, match=r"1 rows break RR = PR \+ RP - PP.*'excel_row': 4"):
        greyc_nislab.handle_inconsistent(frame, meta, "error", "g")


# ------------------------------------------------------------ real data vs cards


@pytest.mark.parametrize(
    "module, kwargs, n_features",
    [
        (keystroke100, {}, 7),
        (meu_mobile_ksd, {}, 71),
        (meu_mobile_ksd, {"features": "timing"}, 40),
        (greyc_nislab, {"passphrase": 1}, 64),
        (greyc_nislab, {"passphrase": 5, "class_id": 2}, 92),
    ],
)
def test_real_data_matches_card(data_dir, module, kwargs, n_features):
    ds = module.load(data_dir=data_dir, **kwargs)
    card = read_card(module.NAME)
    per = card["samples_per_subject"] // (2 if kwargs.get("class_id") else 1)
    counts = ds.frame.groupby("subject").size()
    assert len(counts) == card["subjects"] and (counts == per).all()
    assert len(ds.features) == n_features and list(ds.frame.columns[3:]) == ds.features
    assert np.isfinite(ds.frame[ds.features].to_numpy()).all()
    # the dataset checksum is derived from the card's sha256s (one file, or the listing)
    files = card["files"]
    listing = "".join(sorted(f"{f['sha256']}  {f['name']}\n" for f in files))
    expected = sha256(listing.encode()).hexdigest()
    assert ds.checksum == (files[0]["sha256"] if module is greyc_nislab else expected)


def test_real_greyc_p1_flags_exactly_two_rows(data_dir):
    with pytest.raises(DataError, match=r"2 rows break.*'excel_row': 1091.*'excel_row': 1324"):
        greyc_nislab.load(data_dir=data_dir, passphrase=1, on_inconsistent="error")
    for k in (2, 3, 4, 5):
        assert greyc_nislab.load(data_dir=data_dir, passphrase=k, on_inconsistent="error")
