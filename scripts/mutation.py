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
import random
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


GATE_TESTS = ("tests/test_compare.py", "tests/test_gate_decisions.py")
RECORD_TESTS = ("tests/test_records_and_resume.py", "tests/test_pipeline_and_records.py")
SPLIT_TESTS = ("tests/test_split_counts.py",)

# Ordered by what is most at stake; formatting and rendering functions are left out.
TARGETS = [
    Target("compare", "incumbent/gate/compare.py", GATE_TESTS, (
        "check_comparable", "_subjects", "per_subject_values", "delta", "worse_by",
        "regresses", "better", "significant", "outcome", "regressions", "wins", "exit_code",
        "compare")),
    Target("leaderboard", "incumbent/gate/leaderboard.py", GATE_TESTS, (
        "higher_is_better", "metric_value", "primary_metric", "guard_metrics", "cell",
        "board_key", "rank_key", "load", "incumbent", "boards", "incumbent_for",
        "_source_name")),
    Target("records", "incumbent/running/records.py", RECORD_TESTS, (
        "config_hash", "record_dir", "atomic_write_bytes", "write", "read", "read_scores",
        "iter_records", "find")),
    Target("resume", "incumbent/running/resume.py", ("tests/test_records_and_resume.py",), (
        "record_code_version", "scores_intact", "find_done")),
    Target("cards.verify", "incumbent/data/cards.py", ("tests/test_checksums.py",),
           ("verify", "file_digest")),
    Target("protocols.fixed_text", "incumbent/protocols/fixed_text.py",
           ("tests/test_fixed_text_protocol.py", *SPLIT_TESTS), ("splits",)),
    Target("protocols.killourhy2009", "incumbent/protocols/killourhy2009.py",
           ("tests/test_killourhy2009_protocol.py", *SPLIT_TESTS), ("splits",)),
    Target("protocols.balabit_antal2019", "incumbent/protocols/balabit_antal2019.py", (
        "tests/test_balabit.py::test_training_set_is_balanced_first_actions",
        "tests/test_balabit.py::test_protocol_scores_sessions_and_exposes_action_streams"),
        ("dataset_actions", "training_set")),
    Target("protocols.sapimouse2021", "incumbent/protocols/sapimouse2021.py", (
        "tests/test_sapimouse.py::test_authors_code_evaluation_known_answer",
        "tests/test_sapimouse.py::test_authors_code_windows_known_answer",
        "tests/test_sapimouse.py::test_authors_code_equal_first_scores_give_one_half",
        "tests/test_sapimouse.py::test_blocks_known_values",
        "tests/test_sapimouse.py::test_block_average_within_streams",  # not the FCN smoke
        "tests/test_sapimouse.py::test_blocks_carry_integer_user_ids_and_missing_users_fail",
        "tests/test_split_counts.py::test_sapimouse_user_range"),
        ("user_range", "blocks", "authors_code_scores")),
    Target("protocols.typenet_open_set", "incumbent/protocols/typenet_open_set.py",
           ("tests/test_open_set_protocol.py",), ("split_subjects", "_sequences")),
    Target("stats", "incumbent/evaluation/stats.py", ("tests/test_stats.py",)),
    Target("metrics", "incumbent/evaluation/metrics.py", ("tests/test_metrics.py",)),
]  # fmt: skip

CANDIDATES: dict[str, list] = {}  # target -> mutation ids, listed once per process

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


def candidates(target: Target, root: Path = ROOT) -> list:
    """mutmut's mutation ids in the target's scope, in a fixed shuffled order (one parse)."""
    path = root / target.path
    source = path.read_text()
    keep = selected_lines(source, target.functions)
    ids = [
        mid
        for mid in list_mutations(Context(source=source, filename=str(path)))
        if keep is None or mid.line_number + 1 in keep
    ]
    random.Random(0).shuffle(ids)
    return ids


def materialise(target: Target, source: str, mid) -> dict | None:
    """The mutant's source and lines; None for a mutant of message text only."""
    mutated, _ = mutate(Context(source=source, mutation_id=mid, filename=target.path))
    mutated_lines = mutated.split("\n")
    new_line = mutated_lines[mid.line_number] if mid.line_number < len(mutated_lines) else ""
    line_no = mid.line_number + 1
    if line_no in message_lines(source) and only_string_text_changed(mid.line, new_line):
        return None
    return {"line": line_no, "index": mid.index, "before": mid.line.strip(),
            "after": new_line.strip(), "source": mutated}  # fmt: skip


def mutants(target: Target, root: Path = ROOT) -> list[dict]:
    source = (root / target.path).read_text()
    found = (materialise(target, source, mid) for mid in candidates(target, root))
    return [m for m in found if m is not None]


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


def run_target(target: Target, tree: Path, commit: str, survivors: bool, sample: int) -> None:
    """Judge the target's mutants (a seeded sample of ``sample`` when it has more), reusing
    verdicts already on file for this exact source and test list."""
    state_file = STATE / f"{target.name}.json"
    source = (tree / target.path).read_text()
    digest = hashlib.sha256(source.encode()).hexdigest()
    tests = [t for t in target.tests if (tree / t.partition("::")[0]).exists()]
    old = json.loads(state_file.read_text()) if state_file.exists() else {}
    if old.get("source_sha256") != digest:
        old = {}  # the code changed: every verdict is stale
    ids = CANDIDATES.setdefault(target.name, candidates(target, tree))
    chosen, message_only = [], 0
    for mid in ids:
        if sample and len(chosen) >= sample:
            break
        mutant = materialise(target, source, mid)
        if mutant is None:
            message_only += 1
        else:
            chosen.append(mutant)
    known = {(r["line"], r["index"]): r for r in old.get("results", [])}
    state = {
        "target": target.name, "path": target.path, "functions": list(target.functions),
        "tests": tests, "source_sha256": digest, "generated": len(ids),
        "seconds": old.get("seconds", 0.0), "results": [],
    }  # fmt: skip
    original, checked = tree / target.path, False
    for i, mutant in enumerate(chosen, 1):
        result = {k: mutant[k] for k in ("line", "index", "before", "after")}
        previous = known.pop((mutant["line"], mutant["index"]), None)
        if survivors and previous is None:
            continue  # re-judging survivors only: no new mutants
        stale = previous is None or (survivors and previous["status"] == "survived")
        if not stale and previous["tests"] == tests:
            state["results"].append(previous)
            continue
        if not checked:  # the unmutated code must pass, or every mutant looks killed
            status, _ = run_tests(tree, tests, timeout=1800)
            if status != "survived":
                print(f"{target.name}: tests fail unmutated ({status}); skipped", flush=True)
                return
            checked = True
        original.write_text(mutant["source"])
        try:
            result["status"], seconds = run_tests(tree, tests, timeout=600)
        finally:
            original.write_text(source)
        result.update(commit=commit, tests=tests)
        state["seconds"] += seconds
        state["results"].append(result)
        print(f"{target.name} {i}/{len(chosen)} line {result['line']}: {result['status']}",
              flush=True)  # fmt: skip
        STATE.mkdir(parents=True, exist_ok=True)
        state_file.write_text(json.dumps(state, indent=1))
    state["results"] += known.values()  # verdicts of a larger earlier sample stay
    state["message_only_skipped"] = message_only
    STATE.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(state, indent=1))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="target names (default: all)")
    parser.add_argument("--survivors", action="store_true", help="re-judge survivors only")
    parser.add_argument("--report", action="store_true", help="only rewrite the report")
    parser.add_argument("--list", action="store_true", help="count mutants per target")
    parser.add_argument(
        "--sample",
        type=int,
        nargs="*",
        default=[0],
        help="rounds over every target, each judging a seeded sample of at most N mutants "
        "per target (0: all), e.g. --sample 8 16 0",
    )
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
            for sample in args.sample:
                print(f"== round: sample {sample or 'all'}", flush=True)
                for target in targets:
                    run_target(target, tree, commit, args.survivors, sample)
                    write_report()
        finally:
            shutil.rmtree(tree, ignore_errors=True)
    write_report()


if __name__ == "__main__":
    main()
