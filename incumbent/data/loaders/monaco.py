"""Loaders for the inputs of Monaco & Tappert (Pattern Recognition 2018), cards
``datasets/monaco_*.md``: password (from the CMU file), keypad, mobile, mobile with
sensors ("Mobile+"), fable (fixed text) and essay (free text).

Each returns a :class:`Dataset` whose ``frame`` has one row per sample (``subject``,
``session``, then the fixed-length features of the paper's distance / SVM detectors)
and whose ``extra`` holds the event view (input kind ``keystroke_events``):

* ``events``: float array (n_samples, n_events, 1 + n_features), rows in ``frame`` order;
  channel 0 = key code (index into ``keys``), then ``duration`` and ``tau`` (ms), then
  the sensor values (Mobile+), as ``channels`` names them;
* ``n_lognormal``: how many leading features are lognormal (duration, tau);
* ``split``: the paper's folds (``leave_one_session_out`` or fixed train/query sessions).

Event features, as the authors' preprocessing: tau = press-to-press gap, the first tau
of a sample set to the median of that sample's other taus; duration = release - press.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.data.cards import DataError, Dataset, read_card
from incumbent.data.loaders import cmu_dsl
from incumbent.data.loaders.fixed_text_checks import check_counts, fetch_all

SENSORS = ["pressure", "tool_major", "x", "x_acceleration", "x_rotation", "y",
           "y_acceleration", "y_rotation", "z_acceleration", "z_rotation"]  # fmt: skip
PASSWORD_KEYS = [*".tie5Roanl", "enter"]


def _events(df: pd.DataFrame, n_per: int, extra_cols: list[str], where: str):
    """(events, keys, frame of (subject, session)) from an event table sorted by sample."""
    df = df.sort_values(["user", "session"], kind="stable")
    sizes = df.groupby(["user", "session"], sort=True).size()
    if (sizes != n_per).any():
        bad = sizes[sizes != n_per].index[0]
        raise DataError(f"{where}: sample {bad} has {sizes[bad]} events, expected {n_per}")
    keys = sorted(df["keyname"].astype(str).unique())
    code = pd.Categorical(df["keyname"].astype(str), categories=keys).codes
    press = df["timepress"].to_numpy(np.float64).reshape(-1, n_per)
    release = df["timerelease"].to_numpy(np.float64).reshape(-1, n_per)
    gaps = np.diff(press, axis=1)
    tau = np.concatenate([np.median(gaps, axis=1, keepdims=True), gaps], axis=1)
    duration = release - press
    if (duration <= 0).any() or (gaps <= 0).any():
        raise DataError(f"{where}: non-positive duration or press-press latency")
    chans = [code.reshape(-1, n_per).astype(np.float64), duration, tau]
    chans += [df[c].to_numpy(np.float64).reshape(-1, n_per) for c in extra_cols]
    frame = sizes.index.to_frame(index=False).rename(columns={"user": "subject"})
    frame["subject"] = frame["subject"].astype(str)
    return np.stack(chans, axis=-1), keys, frame


def _timing_features(events: np.ndarray) -> np.ndarray:
    """The fixed-length vector: n-1 press-press latencies, then n durations."""
    return np.concatenate([events[:, 1:, 2], events[:, :, 1]], axis=1)


def _dataset(name, card, checksum, events, keys, frame, features, extra_cols):
    cols = [f"f{k}" for k in range(features.shape[1])]
    frame = pd.concat([frame, pd.DataFrame(features, columns=cols)], axis=1)
    check_counts(frame, name, card["subjects"], card["samples_per_subject"])
    extra = {
        "events": events,
        "keys": keys,
        "channels": ["key", "duration", "tau", *extra_cols],
        "n_lognormal": 2,
        "split": card["split"],
    }
    return Dataset(name=name, frame=frame, features=cols, checksum=checksum, card=card,
                   extra=extra)  # fmt: skip


def _load_authors(name: str, table: str, n_per: int, sensors: bool, data_dir, root,
                  features_file: str | None):  # fmt: skip
    card = read_card(name)
    paths, checksum = fetch_all(card, data_dir, root)
    df = pd.read_csv(paths[table])
    extra_cols = SENSORS if sensors else []
    events, keys, frame = _events(df, n_per, extra_cols, str(paths[table]))
    if features_file is None:
        feats = _timing_features(events)
        if sensors:  # 10 sensor values per keystroke, keystroke by keystroke
            feats = np.concatenate([feats, events[:, :, 3:].reshape(len(events), -1)], axis=1)
    else:  # the authors' descriptive statistics, one row per (user, session)
        tab = pd.read_csv(paths[features_file]).sort_values(["user", "session"], kind="stable")
        same = (tab["user"].astype(str).to_numpy() == frame["subject"].to_numpy()).all()
        if len(tab) != len(frame) or not same:
            raise DataError(f"{paths[features_file]}: rows do not match the samples of {table}")
        feats = tab.drop(columns=["user", "session"]).to_numpy(np.float64)
    return _dataset(name, card, checksum, events, keys, frame, feats, extra_cols)


def load_keypad(data_dir=None, root=None) -> Dataset:
    return _load_authors("monaco_keypad", "keypad.csv", 11, False, data_dir, root, None)


def load_mobile(data_dir=None, root=None) -> Dataset:
    return _load_authors("monaco_mobile", "mobile.csv", 11, False, data_dir, root, None)


def load_mobile_sensor(data_dir=None, root=None) -> Dataset:
    return _load_authors("monaco_mobile_sensor", "mobile.csv", 11, True, data_dir, root, None)


def load_fable(data_dir=None, root=None) -> Dataset:
    return _load_authors("monaco_fable", "fixed_text.csv", 100, False, data_dir, root,
                         "fixed_text_features.csv")  # fmt: skip


def load_essay(data_dir=None, root=None) -> Dataset:
    return _load_authors("monaco_essay", "free_text.csv", 500, False, data_dir, root,
                         "free_text_features.csv")  # fmt: skip


def load_password(data_dir=None, root=None) -> Dataset:
    """The CMU password data as the authors' ``preprocess_password``: press times =
    cumulative DD, release = press + H (ms); sessions = sessionIndex * 100 + rep
    renumbered 0..399 per user (so session 4 is 150..199); users renumbered 0..50."""
    card = read_card("monaco_password")
    paths, checksum = fetch_all(card, data_dir, root)
    path = next(iter(paths.values()))
    raw = cmu_dsl.parse(path)  # the CMU file: header, numbers and counts checked there
    hold = raw[[c for c in raw.columns if c.startswith("H.")]].to_numpy(np.float64) * 1000
    dd = raw[[c for c in raw.columns if c.startswith("DD.")]].to_numpy(np.float64) * 1000
    press = np.concatenate([np.zeros((len(raw), 1)), np.cumsum(dd, axis=1)], axis=1)
    users = {u: str(k) for k, u in enumerate(dict.fromkeys(raw["subject"]))}
    long = pd.DataFrame({
        "user": np.repeat(raw["subject"].map(users).to_numpy(), 11),
        "session": np.repeat((raw["session"] * 100 + raw["rep"]).to_numpy(), 11),
        "keyname": np.tile(PASSWORD_KEYS, len(raw)),
        "timepress": press.ravel(),
        "timerelease": (press + hold).ravel(),
    })  # fmt: skip
    long["session"] = long.groupby("user")["session"].rank(method="dense").astype(int) - 1
    long["user"] = long["user"].astype(int)
    events, keys, frame = _events(long, 11, [], str(path))
    return _dataset("monaco_password", card, checksum, events, keys, frame,
                    _timing_features(events), [])  # fmt: skip


LOADERS = {
    "monaco_password": load_password,
    "monaco_keypad": load_keypad,
    "monaco_mobile": load_mobile,
    "monaco_mobile_sensor": load_mobile_sensor,
    "monaco_fable": load_fable,
    "monaco_essay": load_essay,
}


def load(name: str, data_dir: str | Path | None = None, root=None) -> Dataset:
    if name not in LOADERS:
        raise DataError(f"unknown Monaco dataset {name!r}; known: {', '.join(LOADERS)}")
    return LOADERS[name](data_dir, root)
