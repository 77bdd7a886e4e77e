"""SapiMouse authentication protocol (Antal, Fejér & Buza, SACI 2021; papers.md ``sapimouse2021``).

Blocks: per recording and session, the absolute first differences |dx|, |dy| of consecutive
events, cut into non-overlapping blocks of 128 (remainder dropped), each block z-scored
over its 256 values (as the authors' ``normalize_rows``). Feature learning: every block of
users 1-72 (both sessions). Evaluation users 73-120: a user's model is fitted on its 3-min
blocks; genuine probes are its 1-min blocks, impostor probes the 1-min blocks of the other
evaluation users. The scores table is a per-block score stream (``session`` = probe
recording, ``order`` = block index), so continuous-authentication evaluation applies as is.

``extra_metrics`` (pooled over users, n = 1..5 consecutive blocks): ``auc_<n>``/``eer_<n>``
under ``score_norm``. ``authors_code`` (default, reproduces the published ROC files) follows the
authors' ``evaluate_authentication_train_test`` as it runs: per user, scores are averaged in
place over the concatenated probe array (windows may straddle two impostors; the last n-1 stay
single), then mapped with mean -/+ 2 sd of the *first* genuine and *first* impostor score only
(``pd.DataFrame([pos, neg]).mean()`` is column-wise), out-of-range values replaced by uniform
random numbers in [0, 0.05] / [0.95, 1] (seeded here). ``mean2sd`` is the intended version:
mean -/+ 2 sd of all of the user's probe scores, clipped, full windows within one probe
session; it is always reported as ``auc_<n>_mean2sd``. ``auc`` = ``auc_1``.

``impostor_order`` decides the order of a user's concatenated impostor array under
``authors_code`` (which impostor's first block sets the normalisation range, which blocks a
window straddles): ``authors`` (default) = the row order of the authors' 1-minute block file
(``AUTHORS_1MIN_USER_ORDER``), ``user_id`` = ascending user id (protocol v2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from incumbent.data.cards import DataError
from incumbent.evaluation import metrics
from incumbent.protocols.base import Protocol
from incumbent.protocols.checks import IMPOSTOR_ORDERS, check_params

# Order in which the users' blocks appear in the authors' 1-minute block file
# margitantal68/sapimouse, input_csv_mouse/sapimouse_ABS_dx_dy_1min.csv (last column = user id;
# each user's rows are contiguous), commit db89e46. Their evaluation selects rows from that
# frame, so every user's impostor array follows this order. Also in datasets/sapimouse.md.
AUTHORS_1MIN_USER_ORDER = (
    55, 107, 47, 33, 74, 94, 68, 4, 30, 48, 44, 108, 62, 10, 13, 28, 45, 90, 96, 35,
    15, 11, 99, 29, 36, 116, 81, 87, 73, 46, 39, 102, 34, 67, 76, 115, 66, 16, 18, 22,
    60, 86, 57, 89, 65, 38, 77, 111, 53, 27, 26, 83, 12, 63, 8, 37, 117, 14, 64, 31,
    110, 98, 51, 112, 5, 17, 88, 103, 24, 7, 113, 120, 105, 114, 95, 118, 80, 1, 20, 78,
    69, 92, 70, 42, 61, 50, 119, 58, 100, 54, 109, 106, 93, 6, 32, 19, 41, 25, 49, 2,
    56, 104, 97, 101, 23, 71, 91, 3, 85, 72, 75, 59, 79, 52, 9, 82, 21, 40, 43, 84,
)  # fmt: skip


def impostor_rank(user_ids: pd.Series, impostor_order: str) -> pd.Series:
    """Sort key of each probe's user within an impostor array (see ``impostor_order``)."""
    if impostor_order == "user_id":
        return user_ids
    if impostor_order == "authors":
        rank = {u: i for i, u in enumerate(AUTHORS_1MIN_USER_ORDER)}
        missing = sorted(set(user_ids) - set(rank))
        if missing:
            raise ValueError(f"users {missing[:10]} are not in the authors' block file")
        return user_ids.map(rank)
    raise ValueError(f"impostor_order must be one of {IMPOSTOR_ORDERS}, not {impostor_order!r}")


def user_range(spec) -> list[int]:
    """``[first, last]`` (inclusive) or an explicit list of user ids."""
    spec = list(spec)
    if len(spec) == 2 and spec[0] < spec[1] - 1:
        return list(range(int(spec[0]), int(spec[1]) + 1))
    return [int(u) for u in spec]


def block_values(x: np.ndarray, y: np.ndarray, size: int) -> np.ndarray:
    """(n_blocks, 2, size) |dx|, |dy| blocks of one recording, each z-scored over 2*size values."""
    d = np.abs(np.diff(np.stack([x, y]).astype(np.float64), axis=1))
    n = d.shape[1] // size
    b = d[:, : n * size].reshape(2, n, size).transpose(1, 0, 2)
    flat = b.reshape(n, -1)
    sd = flat.std(axis=1, keepdims=True)
    flat = (flat - flat.mean(axis=1, keepdims=True)) / np.where(sd == 0, 1e-4, sd)
    return flat.reshape(n, 2, size)


def to_layout(blocks: np.ndarray, layout: str) -> np.ndarray:
    """Network input (n, 2, size). ``channels``: channel 0 = |dx|, 1 = |dy|. ``authors``: the
    authors' Keras code reshapes the row [dx_0..dx_127, dy_0..dy_127] to (128, 2), so each time
    step holds two consecutive values of one signal (dx for steps 0-63, dy for 64-127)."""
    if layout == "channels":
        return blocks
    if layout == "authors":
        n, _, size = blocks.shape
        return blocks.reshape(n, size, 2).transpose(0, 2, 1).copy()
    raise ValueError(f"layout must be 'authors' or 'channels', not {layout!r}")


def make_blocks(events: pd.DataFrame, size: int = 128, layout: str = "authors") -> pd.DataFrame:
    """One row per block: subject, recording, session, order, and ``X`` (array (2, size))."""
    rows = []
    for (subj, rec, sess), ev in events.groupby(["subject", "recording", "session"], sort=False):
        b = to_layout(block_values(ev["x"].to_numpy(), ev["y"].to_numpy(), size), layout)
        rows += [(subj, rec, sess, i, b[i]) for i in range(len(b))]
    return pd.DataFrame(rows, columns=["subject", "recording", "session", "order", "X"])


def authors_code_scores(scores: pd.DataFrame, n: int, seed: int = 0,
                        impostor_order: str = "authors"):  # fmt: skip
    """(genuine, impostor) arrays as the authors' evaluation code produces them (see above)."""
    rng = np.random.default_rng(seed)
    probe = scores["probe_subject"].astype(int)
    s = scores.assign(_p=impostor_rank(probe, impostor_order), _s=scores["subject"].astype(int))
    s = s.sort_values(["_s", "_p", "order"], kind="stable")
    gen, imp = [], []
    for _, g in s.groupby("_s", sort=True):
        pos = g.loc[g.label == 1, "score"].to_numpy(np.float64, copy=True)
        neg = g.loc[g.label == 0, "score"].to_numpy(np.float64, copy=True)
        for a in (pos, neg):
            for i in range(len(a) - n + 1):
                a[i] = a[i : i + n].mean()  # in place, as theirs: later windows see raw values
        mid, sd = (pos[0] + neg[0]) / 2, abs(pos[0] - neg[0]) / np.sqrt(2)  # ddof = 1 of 2
        lo, hi = mid - 2 * sd, mid + 2 * sd
        for a, out in ((pos, gen), (neg, imp)):
            a = (a - lo) / (hi - lo) if hi > lo else np.full_like(a, 0.5)
            a = np.where(a < 0, rng.uniform(0.0, 0.05, a.size), a)
            out.append(np.where(a > 1, rng.uniform(0.95, 1.0, a.size), a))
    return np.concatenate(gen), np.concatenate(imp)


def normalise_mean2sd(scores: pd.DataFrame) -> np.ndarray:
    """Per claimed subject: (s - (m - 2 sd)) / (4 sd), clipped to [0, 1]."""
    g = scores.groupby("subject")["score"]
    lo = g.transform("mean") - 2 * g.transform("std")
    span = (4 * g.transform("std")).replace(0, 1.0)
    return ((scores["score"] - lo) / span).clip(0, 1).to_numpy()


def block_average(scores: pd.DataFrame, n: int, column: str = "score") -> pd.DataFrame:
    """Mean of every n consecutive scores within each (subject, session) stream; full windows."""
    s = scores.sort_values(["subject", "session", "order"], kind="stable")
    avg = s.groupby(["subject", "session"], sort=False)[column].transform(
        lambda v: v.rolling(n, min_periods=n).mean()
    )
    return s.assign(**{column: avg}).dropna(subset=[column])


class SapiMouse2021(Protocol):
    name = "sapimouse2021"
    reads = ("mouse_blocks",)
    for_datasets = ("sapimouse",)
    # v3: impostor_order (default authors: the authors' file order; v2 sorted by user id)
    # v2: score_norm authors_code (default) added; v1 had mean2sd only
    version = 3
    guard_metrics = ("auc",)

    def __init__(self, block_size: int = 128, train_users=(1, 72), eval_users=(73, 120),
                 enrol_session: str = "3min", test_session: str = "1min",
                 layout: str = "authors", max_blocks: int = 5, score_norm: str = "authors_code",
                 impostor_order: str = "authors", seed: int = 0):  # fmt: skip
        self.block_size = block_size
        self.train_users = user_range(train_users)
        self.eval_users = user_range(eval_users)
        self.enrol_session = enrol_session
        self.test_session = test_session
        self.layout = layout
        self.max_blocks = max_blocks
        self.score_norm = score_norm
        self.impostor_order = impostor_order
        self.seed = seed
        check_params(self)  # before any data is read

    def params(self) -> dict[str, Any]:
        return {
            "block_size": self.block_size,
            "train_users": [self.train_users[0], self.train_users[-1], len(self.train_users)],
            "eval_users": [self.eval_users[0], self.eval_users[-1], len(self.eval_users)],
            "enrol_session": self.enrol_session,
            "test_session": self.test_session,
            "layout": self.layout,
            "max_blocks": self.max_blocks,
            "score_norm": self.score_norm,
            "impostor_order": self.impostor_order,
            "seed": self.seed,
        }

    def blocks(self, dataset) -> pd.DataFrame:
        blocks = make_blocks(dataset.extra["events"], self.block_size, self.layout)
        blocks["user_id"] = blocks["subject"].astype(int)
        missing = sorted(set(self.train_users + self.eval_users) - set(blocks["user_id"]))
        if missing:
            raise DataError(f"{dataset.name}: no blocks for users {missing[:10]}")
        return blocks

    def run(self, dataset, make_baseline: Callable[[], Any], progress: bool = True):
        blocks = self.blocks(dataset)
        pop = blocks[blocks.user_id.isin(self.train_users)]
        est = make_baseline()
        est.fit_population(np.stack(pop["X"]), pop["subject"].to_numpy())
        ev = blocks[blocks.user_id.isin(self.eval_users)]
        enrol = ev[ev.session == self.enrol_session]
        test = ev[ev.session == self.test_session].reset_index(drop=True)
        E_enrol = est.embed(np.stack(enrol["X"]))
        E_test = est.embed(np.stack(test["X"]))
        enrol_subj = enrol["subject"].to_numpy()
        parts = []
        users = list(dict.fromkeys(ev.sort_values("user_id")["subject"]))
        for u in tqdm(users, desc=f"{self.name}: users", disable=not progress, leave=False):
            s = est.fit(E_enrol[enrol_subj == u]).score_samples(E_test)
            parts.append(
                pd.DataFrame(
                    {
                        "subject": u,
                        "session": test["recording"] + "/" + test["session"],
                        "label": (test["subject"] == u).astype(np.int8).to_numpy(),
                        "score": s,
                        "probe_subject": test["subject"].to_numpy(),
                        "order": test["order"].to_numpy(),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def normalised(self, scores: pd.DataFrame) -> pd.DataFrame:
        """Per-action scores on [0, 1] (``mean2sd``; also used for ``authors_code``, whose
        random replacements suit a ROC but not a stream), or raw (``none``)."""
        if self.score_norm in ("mean2sd", "authors_code"):
            return scores.assign(score=normalise_mean2sd(scores))
        if self.score_norm == "none":
            return scores
        raise ValueError(
            f"score_norm must be 'authors_code', 'mean2sd' or 'none', not {self.score_norm!r}"
        )

    def _pooled(self, scores: pd.DataFrame, n: int, norm: str):
        if norm == "authors_code":
            return authors_code_scores(scores, n, self.seed, self.impostor_order)
        avg = block_average(scores, n)
        return avg.loc[avg.label == 1, "score"], avg.loc[avg.label == 0, "score"]

    def extra_metrics(self, scores: pd.DataFrame) -> dict[str, float]:
        out = {}
        main = scores if self.score_norm == "authors_code" else self.normalised(scores)
        fixed = scores.assign(score=normalise_mean2sd(scores))
        for n in range(1, self.max_blocks + 1):
            g, i = self._pooled(main, n, self.score_norm)
            out[f"auc_{n}"] = metrics.roc_auc(g, i)
            out[f"eer_{n}"] = metrics.eer_rocch(g, i)
            if self.score_norm == "authors_code":  # both impostor orders, always reported
                for order in IMPOSTOR_ORDERS:
                    key = f"auc_{n}_order_{order}"
                    if order == self.impostor_order:  # the same arrays as auc_<n>
                        out[key] = out[f"auc_{n}"]
                    else:
                        out[key] = metrics.roc_auc(*authors_code_scores(main, n, self.seed, order))
            g, i = self._pooled(fixed, n, "mean2sd")
            out[f"auc_{n}_mean2sd"] = metrics.roc_auc(g, i)
            out[f"eer_{n}_mean2sd"] = metrics.eer_rocch(g, i)
        out["auc"] = out["auc_1"]
        out["eer"] = out["eer_1"]
        return out
