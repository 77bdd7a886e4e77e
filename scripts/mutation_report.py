"""docs/mutation.md from the verdicts on file (scripts/mutation.py --report)."""

from __future__ import annotations

import json
from pathlib import Path

from mutation_targets import NOTES, REPORT, STATE, TARGETS


def write_report() -> None:
    notes = json.loads(NOTES.read_text()) if NOTES.exists() else {}
    rows, details, seconds, commits = [], [], 0.0, set()
    total = killed = equivalent = 0
    for target in TARGETS:
        state_file = STATE / f"{target.name}.json"
        if not state_file.exists():
            rows.append(f"| {target.name} | not run | | | | | | |")
            continue
        state = json.loads(state_file.read_text())
        results = state["results"]
        n_killed = sum(r["status"] in ("killed", "timeout") for r in results)
        n_equiv = 0
        for r in sorted(results, key=lambda r: (r["line"], r["index"])):
            if r["status"] in ("killed", "timeout"):
                continue
            why = notes.get(f"{state['path']}:{r['line']}", "**left: no test yet**")
            n_equiv += why.startswith("equivalent")
            details.append(
                f"| `{state['path']}:{r['line']}` | `{r['before']}` | `{r['after']}` | {why} |"
            )
        total, killed, equivalent = total + len(results), killed + n_killed, equivalent + n_equiv
        seconds += state["seconds"]
        commits.update(r["commit"][:10] for r in results)
        real = len(results) - n_equiv
        score = f"{100 * n_killed / real:.0f} %" if real else "n/a"
        scope = ", ".join(state["functions"]) or "whole module"
        tests = ", ".join(dict.fromkeys(Path(t.partition("::")[0]).stem for t in state["tests"]))
        rows.append(
            f"| {target.name} | {scope} | {tests} | {state['generated']} | {len(results)} | "
            f"{n_killed} | {n_equiv} | {score} |"
        )
    lines = [
        "# Mutation testing of the decision code",
        "",
        "A mutant is one small plausible bug put into the code (mutmut's operators); the",
        "module's fast tests kill it if any of them fails. `make mutation` runs",
        "`scripts/mutation.py` (every mutant; `--sample 8 16` judges rounds of a seeded",
        "sample of N per module, `--survivors` re-judges survivors with today's tests;",
        "verdicts on file for unchanged code and tests are reused). Mutants that only change",
        "the text of an error or log message are not generated. Score = killed / (judged -",
        "equivalent); an equivalent mutant cannot change behaviour (reason in the last table).",
        "Not part of `make test`: too slow for 2 shared cores.",
        "",
        f"Commits judged: {', '.join(sorted(commits)) or 'none'}.",
        "",
        "| module | scope (functions) | tests | mutants | judged | killed | equivalent | score |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Total: {killed} of {total - equivalent} judged non-equivalent mutants killed "
        f"({100 * killed / max(total - equivalent, 1):.1f} %; {equivalent} equivalent); "
        f"{seconds / 60:.0f} min of test runs (niced, on 2 shared cores).",
        "",
        notes.get("_run", ""),
        "",
        "## Survivors",
        "",
        "| where | code | mutant | why it survives |",
        "|---|---|---|---|",
        *details,
        "",
    ]
    REPORT.write_text("\n".join(lines))
