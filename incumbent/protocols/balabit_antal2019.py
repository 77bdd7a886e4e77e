"""Balabit test protocol of Antal & Egyed-Zsigmond (IET Biometrics 2019; papers.md ``antal2019``).

Actions and their 39 features: :mod:`incumbent.data.mouse`. Per user (claimed identity), a
two-class baseline is fitted on the training sessions: positives = the user's first
``n_positive`` actions (sessions in name order), negatives = the first
``n_negative_per_subject`` actions of each other user (the authors' 1800 / 200, so
both classes have 1800 for 10 users). Each labelled test session of the user's
``test_files`` folder is scored by the mean of its actions' scores (P(genuine));
``label`` is 1 for ``is_illegal`` = 0. Sessions without a single action cannot be
scored and are left out, as in the authors' code (their number is in the record).

API for continuous authentication (``incumbent.evaluation.continuous``):

* ``action_scores(dataset, make_baseline, ...)`` -> DataFrame, one row per test action:
  ``subject`` (claimed user), ``session`` (test session file name), ``label`` (1
  genuine / 0 impostor), ``score`` (P(genuine), higher = more genuine), ``order``
  (0-based action index in time within the session), ``type`` (MM/PC/DD),
  ``probe_subject`` (``subject`` for genuine sessions, ``"unknown"`` otherwise).
* ``BalabitAntal2019(unit="action")`` returns that stream as its scores table (protocol
  name ``balabit_antal2019_actions``), so ``ContinuousAuth(base=...)`` wraps it as is;
  ``unit="session"`` (default) returns one row per test session with the mean score and
  ``score_<n>`` = mean of its first n actions (all of them if it has fewer).

``extra_metrics``: global (pooled) ``auc``/``eer`` over sessions, and ``auc_<n>``,
``eer_<n>`` for n in ``action_counts`` and ``all`` (= ``auc``), plus session counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from incumbent.data.mouse.features import FEATURES, action_features
from incumbent.data.mouse.segmentation import segment
from incumbent.evaluation import metrics
from incumbent.protocols.base import Protocol
from incumbent.running.baseline import genuineness
from incumbent.running.preflight import one_of, positive_int


def dataset_actions(dataset) -> pd.DataFrame:
    """Actions of every session of a Balabit-layout dataset with their 39 features.

    Columns: ``subject``, ``session`` (file name), ``split``, ``label``, ``order``,
    ``type`` and ``FEATURES``; cached in ``dataset.extra["actions"]``.
    """
    if "actions" in dataset.extra:
        return dataset.extra["actions"]
    acts = segment(dataset.extra["events"])
    feats = action_features(acts)
    code = acts.table["session"].to_numpy()
    info = dataset.frame[["subject", "session", "split", "label"]].iloc[code].reset_index(drop=True)
    out = pd.concat(
        [info, acts.table[["order", "type"]].reset_index(drop=True), feats.reset_index(drop=True)],
        axis=1,
    )
    dataset.extra["actions"] = out
    return out


def training_set(train: pd.DataFrame, subject: str, n_positive: int, n_negative: int):
    """(X, y) for ``subject``: its first positives, the first negatives of each other user."""
    own = train[train["subject"] == subject].head(n_positive)
    others = train[train["subject"] != subject].groupby("subject", sort=True).head(n_negative)
    X = np.vstack([own[FEATURES].to_numpy(np.float64), others[FEATURES].to_numpy(np.float64)])
    y = np.r_[np.ones(len(own), np.int8), np.zeros(len(others), np.int8)]
    return X, y


def action_scores(
    dataset,
    make_baseline: Callable[[], Any],
    n_positive: int = 1800,
    n_negative_per_subject: int = 200,
    progress: bool = True,
) -> pd.DataFrame:
    """Per-action scores of every labelled test session (see the module docstring)."""
    acts = dataset_actions(dataset)
    train = acts[acts["split"] == "train"]
    test = acts[acts["split"] == "test"]
    parts = []
    users = sorted(dataset.frame.loc[dataset.frame["split"] == "test", "subject"].unique())
    for subject in tqdm(users, desc="antal2019: users", disable=not progress, leave=False):
        X, y = training_set(train, subject, n_positive, n_negative_per_subject)
        if y.sum() == 0 or (y == 0).sum() == 0:
            raise ValueError(f"{subject}: no training actions of the user or of other users")
        est = make_baseline().fit(X, y)
        probe = test[test["subject"] == subject]
        if probe.empty:
            continue
        lab = probe["label"].to_numpy(np.int8)
        parts.append(
            pd.DataFrame(
                {
                    "subject": subject,
                    "session": probe["session"].to_numpy(),
                    "label": lab,
                    "score": genuineness(est, probe[FEATURES].to_numpy(np.float64)),
                    "order": probe["order"].to_numpy(np.int64),
                    "type": probe["type"].to_numpy(),
                    "probe_subject": np.where(lab == 1, subject, "unknown"),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def session_scores(stream: pd.DataFrame, action_counts=(1, 2, 5, 10, 20)) -> pd.DataFrame:
    """One row per (subject, session): mean score, and ``score_<n>`` over its first n actions."""
    s = stream.sort_values(["subject", "session", "order"], kind="stable")
    g = s.groupby(["subject", "session"], sort=False)
    out = g.agg(
        label=("label", "first"),
        score=("score", "mean"),
        probe_subject=("probe_subject", "first"),
        n_actions=("score", "size"),
    )
    rank = g.cumcount()
    for n in action_counts:
        out[f"score_{n}"] = s[rank < n].groupby(["subject", "session"], sort=False)["score"].mean()
    return out.reset_index()


class BalabitAntal2019(Protocol):
    version = 1
    reads = ("mouse_actions",)
    for_datasets = ("balabit",)
    # the challenge and the paper rank by one global (pooled) ROC AUC over test sessions
    primary_metric = "auc"
    guard_metrics = ("eer", "fnmr_at_fmr_1pct")

    def __init__(
        self,
        n_positive: int = 1800,
        n_negative_per_subject: int = 200,
        action_counts=(1, 2, 5, 10, 20),
        unit: str = "session",
    ):
        one_of("balabit_antal2019", "unit", unit, ("session", "action"))
        positive_int("balabit_antal2019", n_positive=n_positive,
                     n_negative_per_subject=n_negative_per_subject,
                     **{f"action_counts[{k}]": n for k, n in enumerate(action_counts)})  # fmt: skip
        self.n_positive = int(n_positive)
        self.n_negative_per_subject = int(n_negative_per_subject)
        self.action_counts = [int(n) for n in action_counts]
        self.unit = unit
        self.name = "balabit_antal2019" + ("_actions" if unit == "action" else "")
        self.n_sessions_unscored_ = None

    def run(self, dataset, make_baseline, progress: bool = True) -> pd.DataFrame:
        stream = action_scores(dataset, make_baseline, self.n_positive,
                               self.n_negative_per_subject, progress)  # fmt: skip
        test = dataset.frame[dataset.frame["split"] == "test"]
        self.n_sessions_unscored_ = int(len(test) - stream.groupby(["subject", "session"]).ngroups)
        if self.unit == "action":
            return stream
        return session_scores(stream, self.action_counts)

    def extra_metrics(self, scores: pd.DataFrame) -> dict[str, float]:
        sessions = scores if "n_actions" in scores else session_scores(scores, self.action_counts)
        out: dict[str, float] = {}
        for n in [*self.action_counts, "all"]:
            col = "score" if n == "all" else f"score_{n}"
            g = sessions.loc[sessions["label"] == 1, col]
            i = sessions.loc[sessions["label"] == 0, col]
            out[f"auc_{n}"] = metrics.roc_auc(g, i)
            out[f"eer_{n}"] = metrics.eer_km(g, i)
        out["auc"], out["eer"] = out["auc_all"], out["eer_all"]
        out["n_sessions"] = int(len(sessions))
        if self.n_sessions_unscored_ is not None:
            out["n_sessions_unscored"] = self.n_sessions_unscored_
        return out
