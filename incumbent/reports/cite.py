"""Markdown blocks for research tickets: a record (or a comparison) with its provenance."""

from __future__ import annotations

import shlex

from incumbent.gate.compare import Comparison
from incumbent.gate.eligibility import is_dirty, reasons
from incumbent.gate.intervals import with_interval
from incumbent.gate.leaderboard import (
    guard_metrics,
    higher_is_better,
    primary_metric,
)
from incumbent.reports.labels import primary


def reproduce_command(record: dict) -> str | None:
    """The command that reruns ``record``: check out its commit, rerun its overrides (for
    outside code, an installed kit or a score file: :func:`outside_command`). ``None`` for
    a dirty-tree record: no checkout holds the code that made it."""
    if is_dirty(record):
        return None
    sha = (record.get("git") or {}).get("sha")
    overrides = " ".join(shlex.quote(o) for o in record.get("overrides") or [])
    installed = str(record.get("code_version") or "").startswith("incumbent-")  # a wheel's run
    if record.get("provenance") or installed:
        return outside_command(record, overrides)
    run = f"python run.py {overrides}".rstrip()
    return f"git checkout {sha} && {run}" if sha else run


def outside_command(record: dict, overrides: str) -> str:
    """The kit at its commit (a checkout) or pinned version (installed), the outside code at
    its version and commit, then ``run.py`` / ``incumbent run`` with the extra config dirs."""
    prov = record.get("provenance") or {}
    kit_sha = (record.get("git") or {}).get("sha")
    kit = prov.get("kit_version") or (record.get("versions") or {}).get("incumbent")
    pins = [] if kit_sha else [f"incumbent=={kit}" if kit else "incumbent"]
    steps = [f"git checkout {kit_sha}"] if kit_sha else []
    for m in prov.get("outside_code") or []:
        git = m.get("git") or {}
        if m.get("distribution"):
            pins.append(f"{m['distribution']}=={m['version']}")
        elif git.get("sha") and git["sha"] != kit_sha:  # a repository of its own
            steps.append(f"git -C {shlex.quote(git['root'])} checkout {git['sha']}")
    if pins:
        steps.insert(0, "pip install " + " ".join(shlex.quote(p) for p in pins))
    if prov.get("kind") == "score_file":  # one command per line: a comment sits between
        args = []
        for o in (prov.get("trials") or {}).get("overrides", []):
            key, _, value = o.partition("=")
            args += [f"--{key}", value] if key in ("dataset", "protocol") else [
                o.removeprefix("protocol.")]  # fmt: skip
        return "\n".join([
            *steps,
            f"incumbent trials export {' '.join(shlex.quote(a) for a in args)} trials/",
            f"# score trials/ with {prov['name']} {prov['version']} into {prov['file']} "
            f"(sha256 {prov['sha256']})",
            f"incumbent trials import {shlex.quote(prov['file'])} --name "
            f"{shlex.quote(prov['name'])} --version {shlex.quote(prov['version'])} --trials trials/",
        ])  # fmt: skip
    dirs = [s["path"].removeprefix("file://") for s in prov.get("config_sources") or []
            if s.get("schema") == "file"]  # fmt: skip
    app = "python run.py" if kit_sha else "incumbent run"
    run = " ".join([app, *(f"--config-dir {shlex.quote(d)}" for d in dirs), overrides]).rstrip()
    estimator = ((record.get("config") or {}).get("baseline") or {}).get("estimator") or {}
    if estimator.get("_target_") == "incumbent.api.registered":  # made with incumbent.evaluate
        d, p = record["dataset"]["name"], record["protocol"]["name"]
        run = (
            f"python -c 'import incumbent; incumbent.evaluate({estimator['class']}(**PARAMS), "
            f'dataset="{d}", protocol="{p}")\'  # PARAMS: {estimator.get("params")}'
        )
    return " && \\\n  ".join([*steps, run])


def git_line(record: dict) -> str:
    g = record.get("git") or {}
    if not g.get("sha"):
        return "not recorded (the run was made outside a git checkout)"
    dirty = g.get("dirty")
    if is_dirty(record):
        dirty = True
    state = {True: "dirty: uncommitted or untracked code, no commit reproduces it",
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
    scope = lambda g: " (global)" if {g, f"{g}_mean"} <= record["metrics"].keys() else ""  # noqa: E731
    guards = ", ".join(  # with the record's 95 % interval where it holds one
        f"{g}{scope(g)} {with_interval(record, g)}{'↑' if higher_is_better(g) else '↓'}"
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
        *[f"- NOT ELIGIBLE as an incumbent: {why}" for why in reasons(record)],
        f"- overrides: {overrides}",
    ]
    command = reproduce_command(record)
    if command is None:
        lines.append("- reproduce: not possible from a commit (the run was made from a dirty "
                     "tree; commit the code and rerun to get a citable record)")  # fmt: skip
    else:
        lines += ["- reproduce:", "", "```bash", command, "```"]
    return "\n".join(lines) + "\n"


def _f(x, spec=".4f") -> str:
    return "—" if x is None else format(x, spec)
