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
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mutation_report import write_report
from mutation_targets import (
    CANDIDATES,
    ROOT,
    STATE,
    TARGETS,
    Target,
    candidates,
    materialise,
    mutants,
)

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
