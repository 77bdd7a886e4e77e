"""The recording stand-in for a baseline: one protocol run with :class:`TrialSpy` in the
baseline's place gives the exact samples, fits and probes the protocol shows an in-kit
baseline (export), or scores them from an imported file (import)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import numpy as np
from hydra.utils import instantiate
from sklearn.base import BaseEstimator

FORMAT = "incumbent-trials/1"
RECORDERS: dict[str, Recorder] = {}


class TrialsError(ValueError):
    """A trial export or a scores file that the kit cannot use (the message says where)."""


class Recorder:
    """What one protocol run shows its baseline: samples, fits, and the probes scored.

    ``replay`` (import): a mapping ``(subject, probe_id) -> score`` returned instead of
    the running trial numbers that an export pass returns.
    """

    def __init__(self, model_subjects: list[str] | None = None, replay=None):
        self.samples: dict[str, np.ndarray] = {}
        self.shape: tuple[int, ...] | None = None
        self.positions: list[str] = []  # embed() output row -> sample id
        self.embedded = False
        self.models: list[dict[str, Any]] = []
        self.trials: list[tuple[int, str]] = []  # trial number -> (model, probe id)
        self.training: list[tuple[str, Any]] = []
        self.model_subjects = model_subjects
        self.replay = replay

    def raw_ids(self, X) -> list[str]:
        try:
            arr = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TrialsError("this protocol hands its baseline non-numeric samples "
                              "(e.g. key sequences): no trial export for it yet") from e  # fmt: skip
        self.shape = self.shape or tuple(arr.shape[1:])
        out = []
        for row in arr.reshape(len(arr), -1):
            sid = "x" + hashlib.sha256(row.tobytes()).hexdigest()[:15]
            self.samples.setdefault(sid, row)
            out.append(sid)
        return out

    def ids(self, X) -> list[str]:
        if self.embedded:  # after embed(): rows are positions into self.positions
            return [self.positions[int(i)] for i in np.asarray(X).ravel()]
        return self.raw_ids(X)

    def score(self, model: int, probe_ids: list[str]) -> np.ndarray:
        if self.replay is not None:
            subject = self.model_subjects[model]
            return np.array([self.replay[(subject, p)] for p in probe_ids], dtype=np.float64)
        start = len(self.trials)
        self.trials += [(model, p) for p in probe_ids]
        return np.arange(start, len(self.trials), dtype=np.float64)


class TrialSpy(BaseEstimator):
    """Stands in for a baseline: records (export) or replays (import) what it is asked."""

    def __init__(self, key: str = ""):
        self.key = key

    def fit(self, X, y=None):
        rec = RECORDERS[self.key]
        self.model_ = len(rec.models)
        rec.models.append({"enrol": rec.ids(X), "y": None if y is None else np.asarray(y)})
        return self

    def score_samples(self, X):
        rec = RECORDERS[self.key]
        return rec.score(self.model_, rec.ids(X))

    def fit_population(self, X, y=None):
        rec = RECORDERS[self.key]
        rec.training = list(zip(rec.raw_ids(X), [None] * len(X) if y is None else y,
                                strict=True))  # fmt: skip
        return self

    def embed(self, X):
        rec = RECORDERS[self.key]
        start = len(rec.positions)
        rec.positions += rec.raw_ids(X)
        rec.embedded = True
        return np.arange(start, len(rec.positions), dtype=np.float64)[:, None]


def replayer(key: str, **_description) -> TrialSpy:
    """Hydra target of an imported scores file (the other keys describe it for the hash)."""
    return TrialSpy(key)


def compose_cfg(overrides: list[str]):
    from incumbent.api import compose

    return compose(overrides)


def protocol_overrides(dataset: str, protocol: str, params: list[str]) -> list[str]:
    """``k=v`` sets a protocol parameter; dotted keys (``paths.data_dir=...``) pass as is."""
    out = [f"dataset={dataset}", f"protocol={protocol}"]
    for p in params:
        key = p.split("=", 1)[0]
        out.append(p if "." in key or key.startswith(("+", "~")) else f"protocol.{p}")
    return out


def record_trials(cfg, recorder: Recorder | None = None):
    """Run the protocol of ``cfg`` on its dataset with a recording baseline.

    Returns (dataset, protocol, recorder, table): ``table`` is the protocol's scores table
    with ``model`` and ``probe_id`` per row instead of a score."""
    dataset = instantiate(cfg.dataset.loader)
    protocol = instantiate(cfg.protocol)
    key = secrets.token_hex(8)
    rec = RECORDERS[key] = recorder or Recorder()
    try:
        table = protocol.run(dataset, lambda: TrialSpy(key), progress=False)
    finally:
        del RECORDERS[key]
    n = len(rec.trials)
    order = table["score"].to_numpy()
    if len(order) != n or not np.array_equal(np.sort(order), np.arange(n)):
        raise TrialsError(f"protocol {protocol.name} combines probe scores into its rows; "
                          "export its per-probe variant (e.g. unit=action)")  # fmt: skip
    rows = [rec.trials[int(i)] for i in order]
    table = table.drop(columns="score").assign(model=[m for m, _ in rows],
                                               probe_id=[p for _, p in rows])  # fmt: skip
    table["subject"] = table["subject"].astype(str)
    per_model = table.groupby("model")["subject"].nunique()
    per_subject = table.groupby("subject")["model"].nunique()
    if (per_model > 1).any() or (per_subject > 1).any():
        raise TrialsError(f"protocol {protocol.name} does not fit one model per subject")
    subjects = table.drop_duplicates("model").set_index("model")["subject"]
    rec.model_subjects = [subjects.get(m, f"unscored-{m}") for m in range(len(rec.models))]
    return dataset, protocol, rec, table
