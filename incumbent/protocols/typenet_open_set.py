"""Open-set free-text verification protocol of TypeNet (Acien et al., IEEE TBIOM 2021).

Participants with at least ``sessions`` (15) sentences are split, seeded, into disjoint
training and evaluation sets (default 1,829 / 500 on the 2,329-participant copy). A
baseline is fitted once on the training participants' sequences (population stage),
then every evaluation sequence is mapped to a representation (``transform``). For each
evaluation subject: the gallery is its first ``gallery_size`` (G) sentences, the genuine
queries its last ``n_queries`` (5), the impostor queries sentence ``impostor_session``
(0-based, default 11 as in BiDAlab's example code) of every other evaluation subject.
The baseline scores each query against the gallery (``score_gallery``; TypeNet: minus
the mean Euclidean distance to the G gallery embeddings). Every sequence is truncated to
its first ``sequence_length`` (M) keystrokes before the baseline sees it; training
sequences are passed whole (TypeNet truncates / pads them to its own training length),
so one fitted baseline serves every (G, M) cell.

Baseline contract (free-text, population-trained; sklearn-style):
``fit(sequences, subjects) -> self``; ``transform(sequences) -> ndarray (n, d)``;
``score_gallery(gallery (G, d), queries (Q, d)) -> ndarray (Q,)`` higher = more genuine.
A sequence is a dict with int64 ``press``/``release`` (ms) and int ``keycode`` arrays.

Metrics: per-subject EER averaged (the record's ``eer_mean``), and over pooled scores the
global EER and FNMR at FMR = 1 % (``extra_metrics``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from incumbent.data.cards import DataError
from incumbent.data.loaders import aalto
from incumbent.evaluation import metrics
from incumbent.protocols.base import Protocol
from incumbent.running.preflight import ParameterError, non_negative_int, positive_int


class TypeNetOpenSet(Protocol):
    name = "typenet_open_set"
    version = 1
    reads = ("free_text",)
    guard_metrics = ("eer_global", "fnmr_at_fmr_1pct_global", "auc")

    def __init__(
        self,
        n_train: int = 1829,
        n_eval: int = 500,
        gallery_size: int = 5,
        sequence_length: int = 50,
        n_queries: int = 5,
        sessions: int = 15,
        impostor_session: int = 11,
        split_seed: int = 0,
    ):
        positive_int(self.name, n_train=n_train, n_eval=n_eval, gallery_size=gallery_size,
                     sequence_length=sequence_length, n_queries=n_queries, sessions=sessions)  # fmt: skip
        non_negative_int(self.name, impostor_session=impostor_session, split_seed=split_seed)
        if gallery_size + n_queries > sessions or impostor_session >= sessions:
            raise ParameterError(
                f"{self.name}: gallery_size {gallery_size} + n_queries {n_queries} must not "
                f"exceed sessions {sessions} (gallery and queries would overlap), and "
                f"impostor_session {impostor_session} must be below it"
            )
        self.n_train = n_train
        self.n_eval = n_eval
        self.gallery_size = gallery_size
        self.sequence_length = sequence_length
        self.n_queries = n_queries
        self.sessions = sessions
        self.impostor_session = impostor_session
        self.split_seed = split_seed

    # ------------------------------------------------------------------ split
    def split_subjects(self, dataset) -> tuple[list[str], list[str], list[str]]:
        """(training, evaluation, excluded) participant ids; seeded and disjoint.
        (``__init__`` already rejects a gallery and queries that would overlap.)"""
        counts = aalto.sentence_counts(dataset.frame)
        eligible = sorted(counts.index[counts >= self.sessions], key=_id_key)
        excluded = sorted(counts.index[counts < self.sessions], key=_id_key)
        need = self.n_train + self.n_eval
        if len(eligible) < need:
            raise DataError(
                f"{dataset.name}: {len(eligible)} participants have >= {self.sessions} "
                f"sentences, the protocol needs n_train + n_eval = {need}"
            )
        perm = np.random.default_rng(self.split_seed).permutation(len(eligible))
        ids = [eligible[k] for k in perm]
        return ids[: self.n_train], ids[self.n_train : need], excluded

    def _sequences(self, dataset, subjects: list[str], m: int | None) -> list[dict]:
        """Each subject's first ``sessions`` sentences, subjects in the given order. Only
        these rows are read (from the Arrow cache for the Aalto loader)."""
        rows = aalto.sequence_rows(dataset.frame, subjects, self.sessions)
        return aalto.sequences_at(dataset, rows, m)

    # ------------------------------------------------------------------ run
    def run(self, dataset, make_baseline: Callable[[], Any], progress: bool = True):
        train_ids, eval_ids, excluded = self.split_subjects(dataset)
        est = make_baseline()
        split = (dataset.checksum, self.n_train, self.n_eval, self.sessions, self.split_seed)
        fit_key = (*split, type(est).__qualname__, repr(sorted(est.get_params().items())))
        cached = _CACHE.get("fit")
        t0 = time.perf_counter()
        if cached is not None and cached[0] == fit_key:
            est, fit_s = cached[1], cached[2]
        else:
            _CACHE.clear()  # one fitted baseline at a time: bounded memory
            train = self._sequences(dataset, train_ids, None)
            labels = np.repeat(np.arange(len(train_ids)), self.sessions)
            est = est.fit(train, labels)
            fit_s = time.perf_counter() - t0
            _CACHE["fit"] = (fit_key, est, fit_s)
        reused = cached is not None and cached[0] == fit_key
        t0 = time.perf_counter()
        rep_key = (fit_key, self.sequence_length)
        if _CACHE.get("rep", (None,))[0] == rep_key:
            rep = _CACHE["rep"][1]
        else:
            rep = np.asarray(est.transform(self._sequences(dataset, eval_ids,
                                                           self.sequence_length)))  # fmt: skip
            rep = rep.reshape(len(eval_ids), self.sessions, -1)
            _CACHE["rep"] = (rep_key, rep)
        g, q = self.gallery_size, self.n_queries
        parts = []
        others = np.arange(len(eval_ids))
        for i in tqdm(others, desc=f"{self.name}: subjects", disable=not progress, leave=False):
            imp = others[others != i]
            queries = np.concatenate([rep[i, self.sessions - q :], rep[imp, self.impostor_session]])
            s = np.asarray(est.score_gallery(rep[i, :g], queries), dtype=np.float64)
            if not np.isfinite(s).all():
                raise ValueError(f"{type(est).__name__} produced non-finite scores")
            parts.append(
                pd.DataFrame(
                    {
                        "subject": eval_ids[i],
                        "label": np.r_[np.ones(q, np.int8), np.zeros(imp.size, np.int8)],
                        "score": s,
                        "probe_subject": np.r_[[eval_ids[i]] * q, [eval_ids[j] for j in imp]],
                    }
                )
            )
        self.info_ = {
            "n_train_subjects": len(train_ids),
            "n_eval_subjects": len(eval_ids),
            "n_excluded_subjects": len(excluded),
            "fit_wall_time_s": round(fit_s, 3),
            "fit_reused_in_process": reused,
            "score_wall_time_s": round(time.perf_counter() - t0, 3),
            **(getattr(est, "training_info_", None) or {}),
        }
        return pd.concat(parts, ignore_index=True)

    def extra_metrics(self, scores: pd.DataFrame) -> dict[str, float]:
        lab = scores["label"].to_numpy()
        s = scores["score"].to_numpy()
        gen, imp = s[lab == 1], s[lab == 0]
        out = {
            "eer_global": metrics.eer_km(gen, imp),
            "eer_rocch_global": metrics.eer_rocch(gen, imp),
            "fnmr_at_fmr_1pct_global": metrics.fnmr_at_fmr(gen, imp, 0.01),
            "auc_global": metrics.roc_auc(gen, imp),
        }
        info = getattr(self, "info_", {})
        out.update({k: float(v) for k, v in info.items() if isinstance(v, int | float)})
        return out

    def record_extras(self) -> dict[str, Any]:
        """Non-numeric run facts (device, ...) for the record's ``run_info``."""
        return dict(getattr(self, "info_", {}))


# Within one process (a Hydra multirun with the basic launcher runs its jobs in order),
# the fitted baseline and the evaluation representations are reused across cells that
# differ only in G (and, for the fit, in M); the record says so (fit_reused_in_process).
_CACHE: dict[str, tuple] = {}


def _id_key(s: str):
    return (0, int(s), "") if str(s).isdigit() else (1, 0, str(s))
