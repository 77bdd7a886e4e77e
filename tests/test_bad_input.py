"""Bad input: one test per case, each asserting a clear message naming the file/row and
what was expected. Synthetic files in the real schema; no real data needed.

Zip-slip entries and archives that are not zips are covered where the zip reader lives:
tests/test_aalto_loader.py::test_zip_slip_entry_is_refused and
::test_not_a_zip_is_a_clear_error.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import synthetic_cmu_frame

from incumbent.data.cards import DataError, Dataset, verify
from incumbent.data.loaders.cmu_dsl import official_columns, parse
from incumbent.data.validate import check_min_samples, check_nonempty, check_timestamps
from incumbent.protocols.killourhy2009 import Killourhy2009

ROOT = Path(__file__).resolve().parent.parent


def write_csv(tmp_path, df, name="DSL-StrongPasswordData.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False, float_format="%.4f")
    return path


def events(t, session=None):
    df = pd.DataFrame({"client timestamp": t})
    if session is not None:
        df["session"] = session
    return df


def test_checksum_mismatch(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"subject,rep\n1,2\n")
    right = hashlib.md5(b"something else").hexdigest()
    with pytest.raises(DataError, match=r"data\.csv: md5 checksum mismatch: expected " + right):
        verify(path, {"md5": right, "bytes": path.stat().st_size})


def test_truncated_file_by_size(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"subject,rep\n1,2\n")
    with pytest.raises(DataError, match=r"data\.csv: size 16 bytes, expected 4000 .*truncated"):
        verify(path, {"bytes": 4000})


def test_truncated_file_mid_row(tmp_path):
    path = write_csv(tmp_path, synthetic_cmu_frame(n_subjects=2))
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # cut inside the last row
    with pytest.raises(DataError, match=r"DSL-StrongPasswordData\.csv: row 801, column .*"
                                        r"non-numeric or missing timing"):  # fmt: skip
        parse(path, subjects=2)


def test_empty_file(tmp_path):
    path = tmp_path / "DSL-StrongPasswordData.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match=r"DSL-StrongPasswordData\.csv: not a readable CSV"):
        parse(path)


def test_missing_and_renamed_columns(tmp_path):
    df = synthetic_cmu_frame(n_subjects=2).rename(columns={"H.period": "Hold.period"})
    path = write_csv(tmp_path, df.drop(columns=["UD.t.i"]))
    with pytest.raises(DataError, match=r"header does not match the official 34 columns "
                                        r"\(missing \['H.period', 'UD.t.i'\], unexpected "
                                        r"\['Hold.period'\]\)"):  # fmt: skip
        parse(path, subjects=2)


@pytest.mark.parametrize("value", ["fast", ""])
def test_non_numeric_or_nan_timing(tmp_path, value):
    df = synthetic_cmu_frame(n_subjects=2).astype({"DD.t.i": object})
    df.loc[6, "DD.t.i"] = value
    path = write_csv(tmp_path, df)
    with pytest.raises(DataError, match=r"row 8, column DD\.t\.i: non-numeric or missing"):
        parse(path, subjects=2)


def test_negative_timestamp():
    with pytest.raises(DataError, match=r"s1\.csv: row 3: negative timestamp "
                                        r"client timestamp=-5\.0; expected >= 0"):  # fmt: skip
        check_timestamps(events([0.0, 1.0, -5.0]), "client timestamp", "s1.csv")


def test_non_monotonic_timestamp():
    with pytest.raises(DataError, match=r"s1\.csv: row 3: timestamp client timestamp=1\.5 "
                                        r"after 2\.0 within session 'a'; expected "
                                        r"non-decreasing"):  # fmt: skip
        check_timestamps(events([1.0, 2.0, 1.5], ["a"] * 3), "client timestamp", "s1.csv",
                         group="session")  # fmt: skip
    # a new session may restart the clock
    check_timestamps(events([1.0, 2.0, 0.5], ["a", "a", "b"]), "client timestamp", "s1.csv",
                     group="session")  # fmt: skip


def test_non_numeric_timestamp_names_the_line():
    df = events(["1", "x"]).assign(line=[10, 11])
    with pytest.raises(DataError, match=r"s1\.csv: line 11, column client timestamp: "
                                        r"expected a finite number, got 'x'"):  # fmt: skip
        check_timestamps(df, "client timestamp", "s1.csv", row_column="line")


def test_empty_session():
    with pytest.raises(DataError, match=r"user7/session_3: empty session \(no data rows\)"):
        check_nonempty(events([]), "user7/session_3", what="session")


def test_subject_with_too_few_samples_for_the_protocol():
    frame = synthetic_cmu_frame(n_subjects=3).rename(columns={"sessionIndex": "session"})
    frame = frame.drop(frame.index[(frame["subject"] == "s003")][150:])  # 150 left
    ds = Dataset("synthetic", frame, official_columns()[3:], checksum="x")
    with pytest.raises(ValueError, match=r"subject s003 has 150 samples; protocol "
                                         r"killourhy2009 needs more than 200"):  # fmt: skip
        list(Killourhy2009().splits(ds))
    with pytest.raises(DataError, match=r"synthetic: subject\(s\) s003 \(150\) have too few "
                                        r"samples; killourhy2009 needs at least 201"):  # fmt: skip
        check_min_samples(frame.groupby("subject").size(), 201, "synthetic",
                          protocol="killourhy2009")  # fmt: skip


@pytest.mark.parametrize(("group", "valid"), [("baseline", "manhattan_scaled"),
                                              ("dataset", "cmu_dsl")])  # fmt: skip
def test_unknown_baseline_or_dataset_lists_the_valid_names(tmp_path, group, valid):
    env = {**os.environ, "INCUMBENT_RESULTS": str(tmp_path)}
    proc = subprocess.run([sys.executable, "run.py", f"{group}=no_such_name"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2  # a mistake: one line, no traceback
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert f"{group}=no_such_name: there is no conf/{group}/no_such_name.yaml" in proc.stderr
    listed = proc.stderr.split(f"{group} configs: ")[1].strip().split(", ")
    names = sorted(p.stem for p in (ROOT / "conf" / group).glob("*.yaml"))
    assert valid in listed and listed == names  # every registered name, no other


def _balabit_session(tmp_path, rows):
    path = tmp_path / "session_0000000001"
    path.write_text("record timestamp,client timestamp,button,state,x,y\n" + "".join(rows))
    return str(path)


def test_balabit_session_with_backwards_timestamp(tmp_path):
    from incumbent.data.loaders.balabit import read_session

    path = _balabit_session(
        tmp_path, ["0.0,0.5,NoButton,Move,1,1\n", "0.0,0.4,NoButton,Move,2,1\n"]
    )
    with pytest.raises(DataError, match=r"session_0000000001: row 2: timestamp .*0\.4 after 0\.5"):
        read_session(path)


def test_balabit_session_with_negative_timestamp(tmp_path):
    from incumbent.data.loaders.balabit import read_session

    path = _balabit_session(tmp_path, ["0.0,-1.0,NoButton,Move,1,1\n"])
    with pytest.raises(DataError, match=r"row 1: negative timestamp client timestamp=-1\.0"):
        read_session(path)


def test_balabit_empty_session(tmp_path):
    from incumbent.data.loaders.balabit import read_session

    with pytest.raises(DataError, match=r"session_0000000001: empty session"):
        read_session(_balabit_session(tmp_path, []))


def _sapimouse_session(tmp_path, rows):
    path = tmp_path / "session_1min.csv"
    path.write_text("client timestamp,button,state,x,y\n" + "".join(rows))
    return path


def test_sapimouse_negative_timestamp(tmp_path):
    from incumbent.data.loaders.sapimouse import read_session

    path = _sapimouse_session(tmp_path, ["-5,NoButton,Move,1,1\n", "10,NoButton,Move,2,1\n"])
    with pytest.raises(DataError, match=r"session_1min.csv: row 2: negative timestamp -5"):
        read_session(path)


def test_sapimouse_backwards_timestamp_is_reported_not_hidden(tmp_path, caplog):
    from incumbent.data.loaders.sapimouse import read_session

    rows = ["10,NoButton,Move,1,1\n", "30,NoButton,Move,2,1\n", "20,NoButton,Move,3,1\n"]
    df = read_session(_sapimouse_session(tmp_path, rows))
    assert list(df["t"]) == [10, 30, 20]  # file order kept, as documented in the card
    assert "1 backwards timestamp step(s), first at row 4 (20 after 30)" in caplog.text


def test_sapimouse_empty_session(tmp_path):
    from incumbent.data.loaders.sapimouse import read_session

    with pytest.raises(DataError, match=r"session_1min.csv: 0 events"):
        read_session(_sapimouse_session(tmp_path, []))
