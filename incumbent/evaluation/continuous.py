"""Continuous-authentication evaluation of per-action score streams (papers.md ``mondal2015``).

A **score stream** is a DataFrame with one row per action: ``subject`` (claimed user),
``session`` (the probe session), ``label`` (1 genuine, 0 impostor), ``score`` (higher = more
genuine) and ``order`` (action index within the session). A stream is one
(subject, session) pair, its actions in ``order``.

Two decision rules run after every action:

* sliding window: lock out when the mean of the last ``n`` scores (fewer at the start of a
  stream) falls below a threshold;
* the dynamic trust model of Mondal & Bours (2015): trust starts at 100 and after each action
  with score ``s`` moves by ``dT(s) = min(-D + D (1 + 1/C) / (1/C + exp(-(s - A)/B)), C)``,
  clipped to [0, 100]; lock-out when trust falls below a threshold. ``A`` is the score at
  which reward turns into penalty, ``B`` the width of the transition, ``C`` the largest
  reward, ``D`` the largest penalty.

ANGA (average number of genuine actions before a lock-out): genuine streams continue after a
lock-out (the user logs in again, trust reset); per subject, genuine actions / max(1,
lock-outs), so a subject never locked out scores its total genuine actions (Mondal & Bours'
convention); averaged over subjects. ANIA (average number of impostor actions before
detection): an impostor stream ends at its first lock-out; per subject, the mean over its
impostor streams of the actions up to and including the lock-out, an undetected stream
counting its full length (so ANIA is then a lower bound; ``undetected`` reports the fraction);
averaged over subjects.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.evaluation import metrics

STREAM_COLUMNS = ("subject", "session", "label", "score", "order")


def check_stream(stream: pd.DataFrame) -> pd.DataFrame:
    """Validate the columns and return the stream sorted by (subject, session, order)."""
    missing = [c for c in STREAM_COLUMNS if c not in stream.columns]
    if missing:
        raise ValueError(f"score stream lacks columns {missing}; needs {list(STREAM_COLUMNS)}")
    mixed = stream.groupby(["subject", "session"])["label"].nunique()
    if (mixed > 1).any():
        raise ValueError(f"stream {mixed[mixed > 1].index[0]} mixes genuine and impostor labels")
    return stream.sort_values(["subject", "session", "order"], kind="stable").reset_index(drop=True)


def streams(stream: pd.DataFrame):
    """(subject, session, label, scores array) per stream, actions in order."""
    for (subj, sess), g in check_stream(stream).groupby(["subject", "session"], sort=False):
        yield subj, sess, int(g["label"].iloc[0]), g["score"].to_numpy(np.float64)


def trust_delta(s, A: float = 0.5, B: float = 0.1, C: float = 1.0, D: float = 1.0):
    """Mondal & Bours' trust change for score(s) ``s``: 0 at A, at most +C, at least -D."""
    s = np.asarray(s, dtype=np.float64)
    z = np.clip(-(s - A) / B, -700, 700)
    return np.minimum(-D + D * (1 + 1 / C) / (1 / C + np.exp(z)), C)


def trust_levels(scores, A=0.5, B=0.1, C=1.0, D=1.0, start: float = 100.0) -> np.ndarray:
    """Trust after each action, without lock-out resets."""
    out = np.empty(len(scores))
    t = start
    for k, d in enumerate(trust_delta(scores, A, B, C, D)):
        t = min(max(t + d, 0.0), 100.0)
        out[k] = t
    return out


def lockouts_trust(scores, threshold: float, A=0.5, B=0.1, C=1.0, D=1.0, start=100.0):
    """Action indices (0-based) at which trust falls below ``threshold``; reset to ``start``."""
    hits, t = [], start
    for k, d in enumerate(trust_delta(scores, A, B, C, D)):
        t = min(max(t + d, 0.0), 100.0)
        if t < threshold:
            hits.append(k)
            t = start
    return hits


def lockouts_window(scores, threshold: float, n: int):
    """Action indices at which the mean of the last n scores (since the last reset) < threshold."""
    hits, start = [], 0
    for k in range(len(scores)):
        lo = max(start, k - n + 1)
        if np.mean(scores[lo : k + 1]) < threshold:
            hits.append(k)
            start = k + 1
    return hits


def anga_ania(stream: pd.DataFrame, lockouts) -> dict[str, float]:
    """ANGA, ANIA and the undetected-impostor fraction for one decision rule
    (``lockouts(scores) -> list of lock-out indices``)."""
    gen: dict = {}
    imp: dict = {}
    for subj, _, label, s in streams(stream):
        hits = lockouts(s)
        if label == 1:
            acts, locks = gen.get(subj, (0, 0))
            gen[subj] = (acts + len(s), locks + len(hits))
        else:
            imp.setdefault(subj, []).append((hits[0] + 1, True) if hits else (len(s), False))
    anga = [a / max(1, lk) for a, lk in gen.values()]
    ania = [np.mean([n for n, _ in v]) for v in imp.values()]
    undetected = [np.mean([not d for _, d in v]) for v in imp.values()]
    return {
        "anga": float(np.mean(anga)) if anga else float("nan"),
        "ania": float(np.mean(ania)) if ania else float("nan"),
        "undetected": float(np.mean(undetected)) if undetected else float("nan"),
        "genuine_lockouts": int(sum(lk for _, lk in gen.values())),
    }


def tradeoff(stream: pd.DataFrame, rule: str, thresholds: Iterable[float], **params):
    """ANGA/ANIA per threshold; ``rule`` is ``"trust"`` (params A, B, C, D) or ``"window"``
    (param n)."""
    rows = []
    for th in thresholds:
        if rule == "trust":
            fn = lambda s, th=th: lockouts_trust(s, th, **params)  # noqa: E731
        elif rule == "window":
            fn = lambda s, th=th: lockouts_window(s, th, **params)  # noqa: E731
        else:
            raise ValueError(f"rule must be 'trust' or 'window', not {rule!r}")
        rows.append({"rule": rule, **{k: v for k, v in params.items()}, "threshold": float(th),
                     **anga_ania(stream, fn)})  # fmt: skip
    return pd.DataFrame(rows)


def window_scores(stream: pd.DataFrame, n: int) -> pd.DataFrame:
    """Mean of each full window of n consecutive scores of a stream (one row per window end)."""
    s = check_stream(stream)
    avg = s.groupby(["subject", "session"], sort=False)["score"].transform(
        lambda v: v.rolling(n, min_periods=n).mean()
    )
    return s.assign(score=avg).dropna(subset=["score"])


def window_metrics(stream: pd.DataFrame, sizes: Iterable[int]) -> pd.DataFrame:
    """Pooled (global) EER/AUC and the per-subject means for each window size."""
    rows = []
    for n in sizes:
        w = window_scores(stream, n)
        g, i = w.loc[w.label == 1, "score"], w.loc[w.label == 0, "score"]
        if len(g) == 0 or len(i) == 0:
            continue
        both = w.groupby("subject")["label"].transform("nunique") == 2  # long-enough streams
        per = metrics.per_subject(w[both], {"eer": metrics.eer_rocch, "auc": metrics.roc_auc})
        rows.append({"window": int(n), "windows_genuine": len(g), "windows_impostor": len(i),
                     "eer": metrics.eer_rocch(g, i), "auc": metrics.roc_auc(g, i),
                     "eer_mean": float(per["eer"].mean()) if len(per) else float("nan"),
                     "auc_mean": float(per["auc"].mean()) if len(per) else float("nan")})  # fmt: skip
    return pd.DataFrame(rows)


def plot_tradeoff(curves: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """ANIA (x) against ANGA (y, log) for every rule/parameter setting; one line each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    keys = [c for c in ("rule", "n") if c in curves.columns]
    for key, c in curves.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        label = key[0] if key[0] == "trust" else f"window n={int(key[1])}"
        c = c.sort_values("ania")
        ax.plot(c["ania"], c["anga"], marker=".", label=label)
    ax.set_xlabel("ANIA (impostor actions before detection)")
    ax.set_ylabel("ANGA (genuine actions before a false lock-out)")
    ax.set_yscale("log")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(title or "Continuous authentication trade-off")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
