"""Leaderboards from run records: per (dataset, protocol name + version), every baseline
ranked by the protocol's primary metric; the best recorded run is the **incumbent**.

Metric conventions (generic, nothing here is CMU-specific):

* A metric ``m`` of a record is ``metrics[m]`` when the record holds that exact key (a
  protocol-level value such as a global ``auc`` added by ``Protocol.extra_metrics``),
  else ``metrics[m + "_mean"]`` (the mean over subjects). So ``eer`` -> ``eer_mean``.
* Direction: metrics named ``auc*``, ``accuracy*``, ``tar*``, ``gar*`` or ``rank*``
  (rank-k identification rates) are higher-is-better; every other metric is an error
  rate, lower-is-better.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from incumbent import ROOT, default_results_dir, resource  # noqa: F401  (cli: ROOT)
from incumbent.gate import eligibility
from incumbent.running import records

COMMITTED = resource("incumbents")
HIGHER_IS_BETTER_PREFIXES = ("auc", "accuracy", "tar", "gar", "rank")


def results_dir() -> Path:
    """Local results folder, as ``paths.results_dir`` resolves it by default."""
    return default_results_dir()


def higher_is_better(metric: str) -> bool:
    return metric.lower().startswith(HIGHER_IS_BETTER_PREFIXES)


def metric_value(record: dict, metric: str) -> float | None:
    m = record["metrics"]
    value = m.get(metric, m.get(f"{metric}_mean"))
    return None if value is None else float(value)


def primary_metric(record: dict) -> str:
    return record["protocol"].get("primary_metric", "eer")


def guard_metrics(record: dict) -> list[str]:
    return list(record["protocol"].get("guard_metrics") or [])


def cell(record: dict) -> tuple[str, str, int]:
    """The (dataset, protocol, version) a record belongs to; only records of one cell compare."""
    p = record["protocol"]
    return record["dataset"]["name"], p["name"], int(p["version"])


def board_key(record: dict) -> tuple:
    """(dataset, protocol, version, params): runs under other protocol parameters (e.g.
    another gallery size G) are other contests, ranked on boards of their own."""
    params = record["protocol"].get("params") or {}
    return (*cell(record), ", ".join(f"{k}={params[k]}" for k in sorted(params)))


def cell_label(key: tuple) -> str:
    label = f"{key[0]} / {key[1]} v{key[2]}"
    return f"{label} ({key[3]})" if len(key) > 3 and key[3] else label


def rank_key(record: dict):
    """Sort key, best first; records that may not be an incumbent (dirty tree, tuned sweep:
    :mod:`incumbent.gate.eligibility`) rank after every eligible one; ties go to a committed
    record, then to the oldest run id (an equal newcomer does not unseat the incumbent)."""
    metric = primary_metric(record)
    v = metric_value(record, metric)
    local = _source_name(record) != "committed"
    barred = not eligibility.eligible(record)
    if v is None:
        return (barred, 1, 0.0, local, record["run_id"])
    return (barred, 0, -v if higher_is_better(metric) else v, local, record["run_id"])


def load(sources) -> list[dict]:
    """Every record under ``sources`` (folders or files), one per run id.

    A run present in several sources (a local run that was also promoted) is kept once,
    from the first source that has it; each record gets ``_source`` (the source it came
    from) beside ``_path``.
    """
    seen: dict[str, dict] = {}
    for src in sources:
        src = Path(src)
        if not src.exists():
            continue
        for rec in records.iter_records(src):
            if rec["run_id"] not in seen:
                rec["_source"] = str(src)
                seen[rec["run_id"]] = rec
    return list(seen.values())


@dataclass
class Board:
    """One cell's ranking: one entry per baseline (its best run), best first."""

    cell: tuple
    entries: list[dict] = field(default_factory=list)
    runs: dict[str, int] = field(default_factory=dict)

    @property
    def incumbent(self) -> dict | None:
        first = self.entries[0] if self.entries else None
        return first if first is not None and eligibility.eligible(first) else None


def boards(recs) -> dict[tuple, Board]:
    by_cell: dict[tuple, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in recs:
        by_cell[board_key(r)][r["baseline"]].append(r)
    out = {}
    for key in sorted(by_cell):
        per_baseline = by_cell[key]
        best = [min(runs, key=rank_key) for runs in per_baseline.values()]
        out[key] = Board(
            cell=key,
            entries=sorted(best, key=rank_key),
            runs={b: len(runs) for b, runs in per_baseline.items()},
        )
    return out


def incumbent_for(record: dict, recs) -> dict | None:
    """The best run in ``record``'s cell other than the record itself (or a rerun of it)."""
    others = [
        r
        for r in recs
        if board_key(r) == board_key(record)
        and r["run_id"] != record["run_id"]
        and eligibility.eligible(r)
        and not (r.get("config_hash") and r.get("config_hash") == record.get("config_hash"))
    ]
    return min(others, key=rank_key) if others else None


def table(board: Board) -> pd.DataFrame:
    if not board.entries:
        return pd.DataFrame()
    first = board.entries[0]
    primary = primary_metric(first)
    guards = guard_metrics(first)
    arrow = lambda m: "↑" if higher_is_better(m) else "↓"  # noqa: E731
    from incumbent.reports.labels import primary as primary_label

    rows = []
    for rank, r in enumerate(board.entries, 1):
        main = primary_label(r)  # exact name, value, 95% CI of that same quantity
        ci = f" [{main.ci[0]:.4f}, {main.ci[1]:.4f}]" if main.ci else " [CI n/a]"
        paper = main.paper if eligibility.reported_applies(r) else None  # paper setting only
        row = {
            "#": rank,
            "baseline": r["baseline"]
            + (" (incumbent)" if r is board.incumbent else "")
            + "".join(f" [{why}]" for why in eligibility.reasons(r)),
            f"{main.short} {arrow(primary)} [95% CI]": _fmt(main.value) + ci,
            "paper": _fmt(paper),
            "subjects": main.subjects,
        }
        for g in guards:  # a pooled guard is labelled so; with its 95 % interval if recorded
            scope = " (global)" if {g, f"{g}_mean"} <= first["metrics"].keys() else ""
            row[f"{g}{scope} {arrow(g)}"] = with_interval(r, g)
        row["runs"] = board.runs.get(r["baseline"], 1)
        row["run id"] = r["run_id"]
        row["source"] = _source_name(r)
        rows.append(row)
    return pd.DataFrame(rows)


def with_interval(r: dict, metric: str) -> str:
    from incumbent.gate.intervals import with_interval as fmt

    return fmt(r, metric)


def _source_name(r: dict) -> str:
    src = Path(r.get("_source", ""))
    try:
        return "committed" if src.resolve() == COMMITTED.resolve() else "local"
    except OSError:
        return str(src)


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.4f}"


def render(all_boards: dict, fmt: str = "github") -> str:
    """All boards as text: ``fmt`` is a tabulate format (``github`` = Markdown)."""
    parts = []
    for key, board in all_boards.items():
        df = table(board)
        primary = primary_metric(board.entries[0]) if board.entries else "?"
        head = f"## {cell_label(key)}" if fmt == "github" else cell_label(key)
        how = ""
        if board.entries:
            from incumbent.reports.labels import primary as primary_label

            main = primary_label(board.entries[0])
            how = f" {main.label}; 95% CI: {main.ci_how}."
        note = (
            f"Ranked by {primary} ({'higher' if higher_is_better(primary) else 'lower'} is "
            f"better).{how} One row per baseline (its best run); `paper` = the value the "
            "paper reports for the same quantity; `subjects` = subjects evaluated."
        )
        parts += [
            head,
            "",
            note,
            "",
            df.to_markdown(index=False, tablefmt=fmt, disable_numparse=True),
            "",
        ]
    return "\n".join(parts) if parts else "no records found\n"
