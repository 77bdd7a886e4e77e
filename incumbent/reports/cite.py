"""Markdown blocks for research tickets: a record (or a comparison) with its provenance."""

from __future__ import annotations

import shlex

from incumbent.gate.compare import Comparison
from incumbent.gate.leaderboard import (
    guard_metrics,
    higher_is_better,
    metric_value,
    primary_metric,
)
from incumbent.reports.labels import primary


def reproduce_command(record: dict) -> str:
    """The command that reruns ``record``: check out its commit, rerun its overrides."""
    sha = (record.get("git") or {}).get("sha")
    overrides = " ".join(shlex.quote(o) for o in record.get("overrides") or [])
    run = f"python run.py {overrides}".rstrip()
    return f"git checkout {sha} && {run}" if sha else run


def git_line(record: dict) -> str:
    g = record.get("git") or {}
    if not g.get("sha"):
        return "not recorded (the run was made outside a git checkout)"
    dirty = g.get("dirty")
    state = {True: "dirty: uncommitted changes, the checkout alone may not reproduce it",
             False: "clean", None: "dirty flag unknown"}[dirty]  # fmt: skip
    return f"`{g['sha']}` ({state})"


def cite(record: dict, comparison: Comparison | None = None, n_resamples: int = 2000,
         seed: int = 0) -> str:  # fmt: skip
    metric = primary_metric(record)
    main = primary(record, n_resamples=n_resamples, seed=seed)  # same label as summary/board
    d, p = record["dataset"], record["protocol"]
    paper = f"; paper: {main.paper:.4f}" if main.paper is not None else ""
    lines = [
        f"**{record['baseline']}** on `{d['name']}` / `{p['name']}` v{p['version']}: "
        f"{main.label} = **{main.value:.4f}** ({main.interval()}, {main.ci_how}){paper}",
        "",
    ]
    if comparison is not None:
        for v in comparison.versus:
            r = v.result
            lines.append(
                f"- Δ {metric} vs incumbent **{v.incumbent['baseline']}** "
                f"(`{v.incumbent['run_id']}`, {v.incumbent_value:.4f}): "
                f"{r.mean_delta:+.4f} (95% CI [{r.ci[0]:+.4f}, {r.ci[1]:+.4f}]), "
                f"Wilcoxon p = {r.p:.2g}"
                + (f", Holm p = {v.p_holm:.2g}" if len(comparison.versus) > 1 else "")
                + f" -> {v.outcome}"
            )
            for g in v.guards:
                lines.append(
                    f"  - guard {g.metric}: {_f(g.challenger)} vs {_f(g.incumbent)} "
                    f"(Δ {_f(g.delta, '+.4f')}, tolerance {g.tolerance:.4f}"
                    f"{', REGRESSES' if g.regresses else ''})"
                )
        lines.append(f"- verdict: {comparison.verdict} (exit {comparison.exit_code})")
    scope = lambda g: " (global)" if g in record["metrics"] else ""  # noqa: E731  (pooled value)
    guards = ", ".join(
        f"{g}{scope(g)} {_f(metric_value(record, g))}{'↑' if higher_is_better(g) else '↓'}"
        for g in guard_metrics(record)
    )
    overrides = " ".join(f"`{o}`" for o in record.get("overrides") or []) or "none"
    lines += [
        f"- guard metrics: {guards or 'none'}",
        f"- dataset: `{d['name']}`, sha256 `{d.get('checksum')}`, {main.subjects} subjects "
        f"evaluated" + (f" of {d.get('subjects')}" if d.get("subjects") != main.subjects else ""),
        f"- protocol: `{p['name']}` version {p['version']}, params `{p.get('params') or {}}`",
        f"- run: `{record['run_id']}`, seed {record.get('seed')}, config hash "
        f"`{record.get('config_hash')}`",
        f"- git: {git_line(record)}",
        f"- overrides: {overrides}",
        "- reproduce:",
        "",
        "```bash",
        reproduce_command(record),
        "```",
    ]
    return "\n".join(lines) + "\n"


def _f(x, spec=".4f") -> str:
    return "—" if x is None else format(x, spec)
