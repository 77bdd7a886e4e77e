"""Markdown blocks for research tickets: a record (or a comparison) with its provenance."""

from __future__ import annotations

import shlex

from incumbent.evaluation import stats
from incumbent.gate.compare import Comparison
from incumbent.gate.leaderboard import (
    guard_metrics,
    higher_is_better,
    metric_value,
    primary_metric,
)


def reproduce_command(record: dict) -> str:
    """The command that reruns ``record``: check out its commit, rerun its overrides (for
    outside code, an installed kit or a score file: :func:`outside_command`)."""
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
    state = {True: "dirty: uncommitted changes, the checkout alone may not reproduce it",
             False: "clean", None: "dirty flag unknown"}[dirty]  # fmt: skip
    return f"`{g['sha']}` ({state})"


def cite(record: dict, comparison: Comparison | None = None, n_resamples: int = 2000,
         seed: int = 0) -> str:  # fmt: skip
    metric = primary_metric(record)
    values = [float(row[metric]) for row in record["per_subject"]]
    lo, hi = stats.bootstrap_ci(values, n_resamples=n_resamples, seed=seed)
    value = metric_value(record, metric)
    d, p = record["dataset"], record["protocol"]
    lines = [
        f"**{record['baseline']}** on `{d['name']}` / `{p['name']}` v{p['version']}: "
        f"{metric} = **{value:.4f}** (95% CI [{lo:.4f}, {hi:.4f}], subject bootstrap, "
        f"{len(values)} subjects, {n_resamples} resamples, seed {seed})",
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
    guards = ", ".join(
        f"{g} {_f(metric_value(record, g))}{'↑' if higher_is_better(g) else '↓'}"
        for g in guard_metrics(record)
    )
    overrides = " ".join(f"`{o}`" for o in record.get("overrides") or []) or "none"
    lines += [
        f"- guard metrics: {guards or 'none'}",
        f"- dataset: `{d['name']}`, sha256 `{d.get('checksum')}`, {d.get('subjects')} subjects",
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
