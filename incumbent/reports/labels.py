"""The primary metric of a record under its exact name, with an interval for that quantity.

A protocol's primary metric is either a **mean over subjects** (the record holds
``metrics[m + "_mean"]`` and per-subject values) or a **global (pooled) value** (the
record holds ``metrics[m]``, computed by the protocol over every subject's scores at
once, e.g. Balabit's AUC over all test sessions). The two are different quantities and
are labelled and bootstrapped differently:

* mean per subject: percentile bootstrap of the mean, resampling the per-subject values;
* global: subjects are resampled with all their scores (a cluster bootstrap: one template
  scores them all, so they are not independent) and the pooled metric is recomputed on
  each resample. This needs the scores: a run stores the result in its
  record (``metrics[m + "_ci_lo"]``, ``[m + "_ci_hi"]``); for an older record it is
  recomputed from its scores file. Either way only when the pooled value is the plain
  metric of the ``score`` column (checked); otherwise no interval is shown.

Summary, leaderboard, ``cite`` and plots all take their label and interval from here,
with the same resamples and seed, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from incumbent.evaluation import stats

N_RESAMPLES, SEED, LEVEL = 2000, 0, 0.95
NAMES = {"eer": "EER", "eer_rocch": "ROCCH-EER", "auc": "AUC", "zero_miss_far": "zero-miss FAR",
         "fnmr_at_fmr_1pct": "FNMR at FMR 1%", "fnmr_at_fmr_0.1pct": "FNMR at FMR 0.1%"}  # fmt: skip


def metric_name(metric: str) -> str:
    return NAMES.get(metric, metric)


def is_pooled(record: dict, metric: str) -> bool:
    return metric in record["metrics"]


def subjects_evaluated(record: dict) -> int:
    return len(record.get("per_subject") or [])


@dataclass
class Primary:
    metric: str  # the record key, e.g. "auc"
    label: str  # e.g. "global AUC (pooled over 816 test sessions)"
    short: str  # e.g. "global AUC"
    value: float
    ci: tuple[float, float] | None
    ci_how: str  # what was resampled, or why there is no interval
    paper: float | None
    subjects: int

    def interval(self, spec: str = ".4f") -> str:
        if self.ci is None:
            return "95% CI n/a"
        return f"95% CI [{self.ci[0]:{spec}}, {self.ci[1]:{spec}}]"

    def line(self) -> str:
        paper = f"; paper {self.paper:.4f}" if self.paper is not None else ""
        return f"{self.label} = {self.value:.4f} ({self.interval()}, {self.ci_how}){paper}"


def paper_value(record: dict, metric: str) -> float | None:
    rep = record.get("reported") or {}
    value = rep.get(metric) if is_pooled(record, metric) else rep.get(f"{metric}_mean")
    return None if value is None else float(value)


def _pool(record: dict) -> str:
    n = record["metrics"].get("n_sessions")
    return f"pooled over {int(n)} test sessions" if n else "pooled over every subject's scores"


def _plain_pooled(metric: str):
    from incumbent.evaluation import metrics

    return {"auc": metrics.roc_auc, "eer": metrics.eer_km, "eer_rocch": metrics.eer_rocch}.get(
        metric.removesuffix("_global")
    )


def pooled_ci(record: dict, metric: str, scores, n_resamples: int = N_RESAMPLES,
              seed: int = SEED) -> tuple[float, float] | None:  # fmt: skip
    """Cluster bootstrap over subjects of a pooled metric.

    Only when the record's value is the plain pooled metric (AUC, EER, ROCCH-EER) of the
    ``score`` column, checked on the full table (e.g. Balabit's session AUC): that metric
    is recomputed on each resample. A pooled value the protocol derives otherwise (e.g.
    SapiMouse's block groups) gets no interval (None) rather than one for another quantity.
    """
    groups = [g for _, g in scores.groupby("subject", sort=True)]
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(groups), size=(n_resamples, len(groups)))
    plain = _plain_pooled(metric)
    split = [(g.loc[g["label"] == 1, "score"].to_numpy(float),
              g.loc[g["label"] == 0, "score"].to_numpy(float)) for g in groups]  # fmt: skip
    if plain is not None:
        full = plain(np.concatenate([a for a, _ in split]), np.concatenate([b for _, b in split]))
        if np.isclose(full, float(record["metrics"][metric]), rtol=0, atol=1e-12):
            values = [plain(np.concatenate([split[k][0] for k in idx]),
                            np.concatenate([split[k][1] for k in idx]))
                      for idx in draws
                      if any(split[k][0].size for k in idx) and any(split[k][1].size for k in idx)]  # fmt: skip
            return _percentiles(values)
    return None


def _percentiles(values) -> tuple[float, float]:
    lo, hi = np.quantile(values, [(1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2])
    return float(lo), float(hi)


def stored_ci(record: dict, metric: str) -> tuple[float, float] | None:
    m = record["metrics"]
    lo, hi = m.get(f"{metric}_ci_lo"), m.get(f"{metric}_ci_hi")
    return None if lo is None or hi is None else (float(lo), float(hi))


def primary(record: dict, n_resamples: int = N_RESAMPLES, seed: int = SEED,
            scores=None) -> Primary:  # fmt: skip
    """The record's primary metric: exact label, value, interval, paper value."""
    metric = record["protocol"].get("primary_metric", "eer")
    n = subjects_evaluated(record)
    name = metric_name(metric)
    if is_pooled(record, metric):
        ci = stored_ci(record, metric) if n_resamples == N_RESAMPLES and seed == SEED else None
        if ci is None:
            scores = scores if scores is not None else _scores(record)
            if scores is not None:
                ci = pooled_ci(record, metric, scores, n_resamples, seed)
        how = (f"bootstrap over {n} subjects, each with all its scores, the pooled value "
               f"recomputed; {n_resamples} resamples, seed {seed}") if ci else (
               "none: not stored in the record, and not recomputable from a scores file "
               "as the plain pooled metric of its scores")  # fmt: skip
        return Primary(metric, f"global {name} ({_pool(record)})", f"global {name}",
                       float(record["metrics"][metric]), ci, how, paper_value(record, metric),
                       n)  # fmt: skip
    values = [float(r[metric]) for r in record.get("per_subject") or []]
    ci = stats.bootstrap_ci(values, n_resamples=n_resamples, seed=seed) if values else None
    how = f"bootstrap over {n} subjects, {n_resamples} resamples, seed {seed}"
    return Primary(metric, f"mean per-subject {name} ({n} subjects)", f"mean per-subject {name}",
                   float(record["metrics"][f"{metric}_mean"]), ci, how,
                   paper_value(record, metric), n)  # fmt: skip


def _scores(record: dict):
    """The record's scores table, beside it or in its local mirror (else None)."""
    from pathlib import Path

    import pandas as pd

    from incumbent.gate.leaderboard import results_dir
    from incumbent.running import records

    name = (record.get("scores") or {}).get("file") or f"{record['run_id']}.scores.parquet"
    folders = [records.record_dir(results_dir(), record)]
    if record.get("_path"):
        folders.insert(0, Path(record["_path"]).parent)
    for folder in folders:
        if (folder / name).exists():
            return pd.read_parquet(folder / name)
    return None


def with_stored_ci(record: dict, scores) -> dict:
    """Add the pooled primary metric's interval to a new record (before it is written)."""
    metric = record["protocol"].get("primary_metric", "eer")
    if is_pooled(record, metric) and hasattr(scores, "groupby"):
        ci = pooled_ci(record, metric, scores)
        if ci is not None:
            record["metrics"][f"{metric}_ci_lo"], record["metrics"][f"{metric}_ci_hi"] = ci
    return record
