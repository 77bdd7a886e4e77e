"""Shared fixtures: real data location, a scratch results folder, tiny synthetic data."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import incumbent  # noqa: F401  (registers config resolvers)

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def real_data_dir() -> Path | None:
    """``$INCUMBENT_DATA`` if set, else ``../shared/data`` if present."""
    env = os.environ.get("INCUMBENT_DATA")
    path = Path(env) if env else SHARED
    return path if path.exists() else None


def missing_data_message() -> str | None:
    """Why the real data is missing, or None when it is there."""
    env = os.environ.get("INCUMBENT_DATA")
    if env and not Path(env).is_dir():
        return f"INCUMBENT_DATA={env} is set but is not a folder"
    if real_data_dir() is None:
        return f"no real data: INCUMBENT_DATA is not set and {SHARED} does not exist"
    return None


@pytest.fixture
def data_dir() -> Path:
    """The real data. Skipped only on a machine with no data at all; a data folder that
    was asked for (INCUMBENT_DATA set, or CI) but is missing is a failure, not a skip."""
    why = missing_data_message()
    if why is None:
        return real_data_dir()
    if os.environ.get("INCUMBENT_DATA") or os.environ.get("CI"):
        pytest.fail(why + " (reproductions fail rather than skip when data was asked for)")
    pytest.skip(why + "; set INCUMBENT_DATA to run the reproductions")


@pytest.fixture
def results_dir(tmp_path, monkeypatch) -> Path:
    out = tmp_path / "results"
    monkeypatch.setenv("INCUMBENT_RESULTS", str(out))
    return out


def synthetic_cmu_frame(n_subjects: int = 4, per_subject: int = 400, seed: int = 0):
    """A CMU-layout DataFrame (official 34 columns) with well-separated subjects."""
    from incumbent.data.loaders.cmu_dsl import official_columns

    rng = np.random.default_rng(seed)
    cols = official_columns()
    rows = []
    for k in range(n_subjects):
        centre = rng.uniform(0.05, 0.5, size=31)
        x = centre + rng.normal(0, 0.02, size=(per_subject, 31))
        sess = np.repeat(np.arange(1, 9), per_subject // 8)
        rep = np.tile(np.arange(1, per_subject // 8 + 1), 8)
        df = pd.DataFrame(x, columns=cols[3:])
        df.insert(0, "rep", rep)
        df.insert(0, "sessionIndex", sess)
        df.insert(0, "subject", f"s{k + 2:03d}")
        rows.append(df)
    return pd.concat(rows, ignore_index=True)[cols]


@pytest.fixture
def synthetic_cmu_csv(tmp_path) -> Path:
    path = tmp_path / "DSL-StrongPasswordData.csv"
    synthetic_cmu_frame().to_csv(path, index=False, float_format="%.4f")
    return path


def synthetic_dataset(n_subjects: int = 6, data_dir=None):
    """Loader stand-in for pipeline tests: a CMU-schema Dataset, no files involved."""
    from incumbent.data.cards import Dataset
    from incumbent.data.loaders.cmu_dsl import official_columns

    frame = synthetic_cmu_frame(n_subjects=n_subjects).rename(columns={"sessionIndex": "session"})
    return Dataset("synthetic_cmu", frame, official_columns()[3:], checksum="synthetic")
