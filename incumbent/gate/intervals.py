"""Intervals of a record's metrics, for display beside the value (leaderboard, cite).

A record may carry an ``intervals`` block, ``{metric: [low, high]}``: 95 % subject
bootstrap intervals computed when the record was made (the operating-point metrics of
:mod:`incumbent.evaluation.operating`: evaluation-part FMR/FNMR/HTER, rank-k). A metric
without one is shown bare; nothing is recomputed here.
"""

from __future__ import annotations

from incumbent.gate.leaderboard import metric_value


def interval(record: dict, metric: str) -> tuple[float, float] | None:
    got = (record.get("intervals") or {}).get(metric)
    return None if got is None else (float(got[0]), float(got[1]))


def with_interval(record: dict, metric: str, spec: str = ".4f") -> str:
    """``value [low, high]`` (or ``value``, or ``—`` when the record lacks the metric)."""
    v = metric_value(record, metric)
    if v is None:
        return "—"
    ci = interval(record, metric)
    text = format(v, spec)
    return text if ci is None else f"{text} [{ci[0]:{spec}}, {ci[1]:{spec}}]"
