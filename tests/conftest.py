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


@pytest.fixture
def data_dir() -> Path:
    path = real_data_dir()
    if path is None:
        pytest.skip("real data not available: set INCUMBENT_DATA (CI points it at ../shared/data)")
    return path


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
