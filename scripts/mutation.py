"""Mutation testing of the code that decides a result: metrics, statistics, the gate and
leaderboard, records and resume, data verification and every protocol's splits.

One small plausible bug (a *mutant*) at a time is put into a scratch copy of the committed
tree, and only that module's fast tests are run against it: a failing test *kills* the mutant,
a green suite lets it *survive*. Survivors are either missing tests or equivalent mutants
(no observable behaviour change); docs/mutation.md lists each with the reason.

The mutation operators are mutmut's (pinned in the dev extras); this script only chooses
where to mutate (whole modules, or the named functions of a module), which tests judge a
module, and writes the report. Mutants that only change the text of an error or log message
are not generated: they cannot move a number.

    nice -n 10 python scripts/mutation.py            # all targets (hours on 2 cores)
    python scripts/mutation.py --only resume         # one target
    python scripts/mutation.py --survivors           # re-judge survivors with today's tests
    python scripts/mutation.py --report              # rewrite docs/mutation.md only
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mutmut import Context, list_mutations, mutate

ROOT = Path(__file__).resolve().parent.parent
STATE = ROOT / ".cache" / "mutation"
REPORT = ROOT / "docs" / "mutation.md"
NOTES = ROOT / "scripts" / "mutation_notes.json"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()  # empty: the whole module


TARGETS = [
    Target("metrics", "incumbent/evaluation/metrics.py", ("tests/test_metrics.py",)),
    Target("stats", "incumbent/evaluation/stats.py", ("tests/test_stats.py",)),
    Target(
        "compare",
        "incumbent/gate/compare.py",
        ("tests/test_compare.py", "tests/test_gate_decisions.py"),
    ),
    Target(
        "leaderboard",
        "incumbent/gate/leaderboard.py",
        ("tests/test_compare.py", "tests/test_gate_decisions.py"),
    ),
    Target(
        "records",
        "incumbent/running/records.py",
        (
            "tests/test_records_and_resume.py",
            "tests/test_pipeline_and_records.py",
        ),
    ),
    Target(
        "resume",
        "incumbent/running/resume.py",
        ("tests/test_records_and_resume.py",),
    ),
    Target(
        "cards.verify",
        "incumbent/data/cards.py",
        ("tests/test_checksums.py", "tests/test_bad_input.py"),
        ("verify", "file_digest"),
    ),
    Target(
        "protocols.fixed_text",
        "incumbent/protocols/fixed_text.py",
        ("tests/test_fixed_text_protocol.py", "tests/test_split_counts.py"),
        ("splits",),
    ),
    Target(
        "protocols.killourhy2009",
        "incumbent/protocols/killourhy2009.py",
        ("tests/test_killourhy2009_protocol.py", "tests/test_split_counts.py"),
        ("splits",),
    ),
    Target(
        "protocols.continuous",
        "incumbent/protocols/continuous.py",
        ("tests/test_continuous.py",),
        ("splits",),
    ),
    Target(
        "protocols.balabit_antal2019",
        "incumbent/protocols/balabit_antal2019.py",
        ("tests/test_balabit.py",),
        ("dataset_actions", "training_set"),
    ),
    Target(
        "protocols.sapimouse2021",
        "incumbent/protocols/sapimouse2021.py",
        ("tests/test_sapimouse.py",),
        ("user_range", "blocks", "authors_code_scores"),
    ),
    Target(
        "protocols.typenet_open_set",
        "incumbent/protocols/typenet_open_set.py",
        ("tests/test_open_set_protocol.py",),
        ("split_subjects", "_sequences"),
    ),
]

MESSAGE_CALLS = {"print", "warn", "debug", "info", "warning", "error", "exception", "write"}


def selected_lines(source: str, functions: tuple[str, ...]) -> set[int] | None:
    """1-based line numbers of the named functions (methods included); None: every line."""
    if not functions:
        return None
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in functions:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def message_lines(source: str) -> set[int]:
    """Lines inside a ``raise`` or a print/log/warn call: their strings are messages."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        is_message = isinstance(node, ast.Raise)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            is_message = name in MESSAGE_CALLS
        if is_message:
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def only_string_text_changed(before: str, after: str) -> bool:
    """True when the mutant only rewrote string literals (mutmut's 'XX...XX' mutation)."""
    return before != after and after.replace("XX", "") == before.replace("XX", "")


def mutants(target: Target, root: Path = ROOT) -> list[dict]:
    path = root / target.path
    source = path.read_text()
    keep = selected_lines(source, target.functions)
    messages = message_lines(source)
    found = []
    for mid in list_mutations(Context(source=source, filename=str(path))):
        line_no = mid.line_number + 1
        if keep is not None and line_no not in keep:
            continue
        mutated, _ = mutate(Context(source=source, mutation_id=mid, filename=str(path)))
        mutated_lines = mutated.split("\n")
        new_line = mutated_lines[mid.line_number] if mid.line_number < len(mutated_lines) else ""
        if line_no in messages and only_string_text_changed(mid.line, new_line):
            continue
        found.append(
            {
                "line": line_no,
                "index": mid.index,
                "before": mid.line.strip(),
                "after": new_line.strip(),
                "source": mutated,
            }
        )
    return found


PRELOAD = ("numpy", "pandas", "scipy.stats", "sklearn", "pyarrow", "yaml", "pytest", "torch")


def preload() -> None:
    """Import the heavy third-party packages once; each test run forks from this process
    (the project's own modules are never imported here, so every fork reads the mutant)."""
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def run_tests(tree: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    """Run pytest on ``tests`` in a fork chdir'ed to ``tree``: killed / survived / timeout."""
    os.environ.setdefault("INCUMBENT_DATA", str(ROOT.parent / "shared" / "data"))
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child: quiet, no bytecode (a mutant may keep size and mtime), own imports
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        sys.dont_write_bytecode = True
        os.chdir(tree)
        sys.path.insert(0, str(tree))
        import pytest

        code = 3
        try:
            code = int(pytest.main(["-x", "-q", "-p", "no:cacheprovider", *tests]))
        finally:
            os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            return ("survived" if code == 0 else "killed"), time.monotonic() - start
        if time.monotonic() - start > timeout:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return "timeout", time.monotonic() - start
        time.sleep(0.05)


def scratch_tree() -> tuple[Path, str]:
    """A copy of the committed tree (HEAD) outside the worktree, and its commit."""
    commit = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=ROOT, text=True).strip()
    tree = Path(tempfile.mkdtemp(prefix="mutation-"))
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree, commit


def run_target(target: Target, tree: Path, commit: str, survivors_only: bool) -> None:
    state_file = STATE / f"{target.name}.json"
    source = (tree / target.path).read_text()
    digest = hashlib.sha256(source.encode()).hexdigest()
    old = json.loads(state_file.read_text()) if state_file.exists() else None
    tests = [t for t in target.tests if (tree / t).exists()]
    status, seconds = run_tests(tree, tests, timeout=1800)
    if status != "survived":
        print(f"{target.name}: tests fail before mutation ({status}); skipped", flush=True)
        return
    timeout = max(60.0, 4 * seconds)
    all_mutants = mutants(target, tree)
    if survivors_only and old and old["source_sha256"] == digest:
        results, pending = old["results"], [r for r in old["results"] if r["status"] != "killed"]
    else:
        results, pending = all_mutants, all_mutants
    by_key = {(m["line"], m["index"]): m for m in all_mutants}
    started = time.monotonic()
    original = tree / target.path
    for i, result in enumerate(pending, 1):
        mutant = by_key[(result["line"], result["index"])]
        original.write_text(mutant["source"])
        try:
            result["status"], _ = run_tests(tree, tests, timeout)
        finally:
            original.write_text(source)
        result["commit"] = commit
        print(
            f"{target.name} {i}/{len(pending)} line {result['line']}: {result['status']}",
            flush=True,
        )
    for result in results:
        result.pop("source", None)
    seconds = time.monotonic() - started
    if survivors_only and old is not None:
        seconds += old.get("seconds", 0)  # the first run's time plus this re-judging
    STATE.mkdir(parents=True, exist_ok=True)
    state_file.write_text(
        json.dumps(
            {
                "target": target.name,
                "path": target.path,
                "functions": list(target.functions),
                "tests": tests,
                "source_sha256": digest,
                "commit": commit,
                "seconds": round(seconds, 1),
                "results": results,
            },
            indent=1,
        )
    )


def write_report() -> None:
    notes = json.loads(NOTES.read_text()) if NOTES.exists() else {}
    rows, details, total, killed, seconds = [], [], 0, 0, 0.0
    for target in TARGETS:
        state_file = STATE / f"{target.name}.json"
        if not state_file.exists():
            rows.append(f"| {target.name} | not run | | | |")
            continue
        state = json.loads(state_file.read_text())
        results = state["results"]
        n_killed = sum(r["status"] in ("killed", "timeout") for r in results)
        total, killed, seconds = total + len(results), killed + n_killed, seconds + state["seconds"]
        score = f"{100 * n_killed / len(results):.0f} %" if results else "n/a"
        scope = ", ".join(state["functions"]) or "whole module"
        rows.append(
            f"| {target.name} ({scope}) | {len(results)} | {n_killed} | "
            f"{len(results) - n_killed} | {score} |"
        )
        for r in results:
            if r["status"] in ("killed", "timeout"):
                continue
            why = notes.get(f"{state['path']}:{r['before']}", "**left: no test yet**")
            details.append(
                f"| `{state['path']}:{r['line']}` | `{r['before']}` | `{r['after']}` | {why} |"
            )
    lines = [
        "# Mutation testing of the decision code",
        "",
        "A mutant is one small plausible bug put into the code; the module's tests kill it if",
        "any of them fails. Generated by `make mutation` (`scripts/mutation.py`, mutmut's",
        "operators); survivors re-judged with `python scripts/mutation.py --survivors`.",
        "Mutants that only change the text of an error or log message are not generated.",
        "",
        "| module (scope) | mutants | killed | survived | score |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Total: {killed} of {total} killed "
        f"({100 * killed / max(total, 1):.1f} %); {seconds / 60:.0f} min of test runs.",
        "",
        "## Survivors",
        "",
        "| where | code | mutant | why it survives |",
        "|---|---|---|---|",
        *details,
        "",
    ]
    REPORT.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="target names (default: all)")
    parser.add_argument("--survivors", action="store_true", help="re-judge survivors only")
    parser.add_argument("--report", action="store_true", help="only rewrite the report")
    parser.add_argument("--list", action="store_true", help="count mutants per target")
    args = parser.parse_args()
    targets = [t for t in TARGETS if not args.only or t.name in args.only]
    if args.list:
        for t in targets:
            print(t.name, len(mutants(t)))
        return
    if not args.report:
        preload()
        tree, commit = scratch_tree()
        try:
            for target in targets:
                run_target(target, tree, commit, args.survivors)
        finally:
            shutil.rmtree(tree, ignore_errors=True)
    write_report()


if __name__ == "__main__":
    main()
