"""Monaco & Tappert (Pattern Recognition 2018) protocol on the ``monaco_*`` data sets.

Folds (the dataset's ``split``): password: one fold, every user's model trains on
sessions 150-199 and every user's sessions 200-399 are queries; the others: leave one
session out, fold i trains on each user's other sessions and queries session i of
every user. Every query is scored by every reference model of its fold.

Scores table: one row per (fold, reference model, query): ``subject`` = reference user,
``probe_subject`` = query user, ``raw`` (log-likelihood or detector score), ``score`` =
``raw`` min-max normalised over the query's reference models (what the ROC uses), and
for event models ``mrt`` (continuous verification: maximum rejection time of that
model on that query). Metrics (``extra_metrics``), mean and sd (ddof 1):

* ``u_acc``: identification (argmax of ``raw``) accuracy per query user; ``fold_acc``
  per fold. ``u_eer``: one ROC per reference user (EER rule of
  :mod:`incumbent.evaluation.monaco2018`); ``fold_eer``: one ROC per fold.
* ``amrt``: per query sample, MRT averaged over the impostor models; over query samples.

The paper's tables report U-ACC / U-EER for password and the per-fold ACC / EER for
the other data sets (the authors' ``summary_table``).

Baselines: event models (``keystroke_events``: ``fit``/``fit_many`` on (n, T, C) event
arrays, per-event scores by ``score_events_many``) or a fixed-length detector marked
``takes = "fixed_length"`` with a ``scaling`` (None, "mad": divide each column by its
mean absolute deviation over the whole data set, "minmax": global min-max per column).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from incumbent.evaluation import metrics
from incumbent.evaluation import monaco2018 as mm
from incumbent.protocols.base import Protocol


class Monaco2018(Protocol):
    name = "monaco2018"
    version = 1
    primary_metric = "eer"
    reads = ("keystroke_events",)
    for_datasets = ("monaco_password", "monaco_keypad", "monaco_mobile",
                    "monaco_mobile_sensor", "monaco_fable", "monaco_essay")  # fmt: skip

    def __init__(self, window: int = 25, query_chunk: int = 2048):
        self.window = window
        self.query_chunk = query_chunk

    def params(self):
        return {"window": self.window}

    @staticmethod
    def folds(dataset) -> list[tuple[np.ndarray, np.ndarray]]:
        """(train mask, query mask) over ``dataset.frame`` rows, one pair per fold."""
        split = dataset.extra["split"]
        session = dataset.frame["session"].to_numpy()
        if split == "leave_one_session_out":
            return [(session != s, session == s) for s in np.unique(session)]
        (a, b), (c, d) = split["train"], split["query"]
        return [((session >= a) & (session < b), (session >= c) & (session < d))]

    def view(self, dataset, est) -> np.ndarray:
        if getattr(est, "takes", "keystroke_events") != "fixed_length":
            return dataset.extra["events"]
        X = dataset.frame[dataset.features].to_numpy(np.float64)
        if est.scaling == "mad":
            X = X / np.abs(X - X.mean(axis=0)).mean(axis=0)
        elif est.scaling == "minmax":
            lo, hi = X.min(axis=0), X.max(axis=0)
            X = (X - lo) / np.where(hi > lo, hi - lo, 1.0)
        elif est.scaling is not None:
            raise ValueError(f"unknown scaling {est.scaling!r}")
        return X

    def run(self, dataset, make_baseline, progress: bool = True) -> pd.DataFrame:
        template = make_baseline()
        X = self.view(dataset, template)
        subj = dataset.frame["subject"].to_numpy()
        sess = dataset.frame["session"].to_numpy()
        users = np.array(dataset.subjects)
        batch_score = getattr(type(template), "score_events_many", None)
        folds = self.folds(dataset)
        sets = [X[train & (subj == u)] for train, _ in folds for u in users]
        fit_many = getattr(template, "fit_many", None)  # one batched fit over all folds
        fitted = fit_many(sets) if fit_many else [make_baseline().fit(s) for s in sets]
        parts = []
        for k, (_, query) in enumerate(folds):
            models = fitted[k * len(users) : (k + 1) * len(users)]
            q = np.flatnonzero(query)
            own = np.searchsorted(users, subj[q]) if _sorted(users) else _index(users, subj[q])
            if batch_score is not None:  # event model: per-event scores -> raw and MRT
                raw, mrt = [], []
                for lo in range(0, q.size, self.query_chunk):
                    qq = q[lo : lo + self.query_chunk]
                    ev = batch_score(models, X[qq])  # (models, queries, events)
                    raw.append(ev.sum(axis=2))
                    mrt.append(mm.max_rejection_time(ev, own[lo : lo + qq.size], self.window))
                raw, mrt = np.concatenate(raw, axis=1), np.concatenate(mrt, axis=1)
            else:
                raw = np.stack([_score(m, X[q]) for m in models])
                mrt = None
            parts.append(self._table(k, users, subj[q], sess[q], raw, mrt))
        return pd.concat(parts, ignore_index=True)

    @staticmethod
    def _table(fold, users, q_subj, q_sess, raw, mrt) -> pd.DataFrame:
        M, Q = raw.shape
        out = pd.DataFrame({
            "fold": fold,
            "subject": np.repeat(users, Q),
            "probe_subject": np.tile(q_subj, M),
            "query_session": np.tile(q_sess, M),
            "raw": raw.ravel(),
            "score": mm.min_max_per_query(raw).ravel(),
        })  # fmt: skip
        out["label"] = (out["subject"] == out["probe_subject"]).astype(np.int8)
        if mrt is not None:
            out["mrt"] = mrt.ravel().astype(np.float64)
        return out

    def extra_metrics(self, scores: pd.DataFrame) -> dict[str, float]:
        return summary(scores)


def summary(scores: pd.DataFrame) -> dict[str, float]:
    """U-ACC, ACC per fold, U-EER, EER per fold and AMRT from a scores table."""
    out: dict[str, float] = {}
    key = ["fold", "probe_subject", "query_session"]
    best = scores.loc[scores.groupby(key, sort=False)["raw"].idxmax()]
    hit = (best["subject"] == best["probe_subject"]).astype(float)
    _add(out, "u_acc", hit.groupby(best["probe_subject"]).mean())
    _add(out, "fold_acc", hit.groupby(best["fold"]).mean())
    for name, by in (("u_eer", "subject"), ("fold_eer", "fold")):
        eers = scores.groupby(by).apply(lambda g: mm.eer_roc_crossing(g["label"], g["score"]))
        _add(out, name, eers)
    if "mrt" in scores:
        imp = scores[scores["label"] == 0]
        _add(out, "amrt", imp.groupby(key)["mrt"].mean())
    return out


def _add(out, name, values) -> None:
    # mean and sd (ddof 1) as every other record: the shared aggregate
    out.update(metrics.aggregate(pd.DataFrame({name: np.asarray(values, dtype=np.float64)})))


def _score(model, X) -> np.ndarray:
    # decision_function where it exists (one-class SVM): the authors' score; its
    # score_samples adds a per-model offset that would distort the per-query min-max
    f = getattr(model, "decision_function", None) or model.score_samples
    s = np.asarray(f(X), dtype=np.float64).ravel()
    if not np.isfinite(s).all():
        raise ValueError(f"{type(model).__name__} produced non-finite scores")
    return s


def _sorted(a) -> bool:
    return bool((a[1:] > a[:-1]).all())


def _index(users, names) -> np.ndarray:
    pos = {u: k for k, u in enumerate(users)}
    return np.array([pos[n] for n in names])
