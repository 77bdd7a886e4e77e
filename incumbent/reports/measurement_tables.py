"""Benchmark tables in docs/, generated from the committed measurement files.

A benchmark script takes the machine's state with :func:`start` before timing anything,
measures on the real data, then :func:`write` stores ``experiments/measurements/<name>.json``:
the values, a table of formatted cells, the command, the commit, CPUs and load average.
A docs page holds the table between::

    <!-- BEGIN GENERATED-MEASUREMENT <name> -->
    <!-- END GENERATED-MEASUREMENT -->

``python -m incumbent.reports.measurement_tables [--check]`` regenerates every such block
in ``docs/*.md`` (``--check``: exit 1 and the diff when one is stale). Timings are only
comparable side by side: the caption keeps the load average each was measured under.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from incumbent import ROOT
from incumbent.reports.papers import rewrite_page
from incumbent.running.provenance import kit_git_state

MEASUREMENTS = ROOT / "experiments" / "measurements"
BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED-MEASUREMENT (?P<name>[\w.-]+) -->\n)(.*?)"
    r"(<!-- END GENERATED-MEASUREMENT -->)",
    re.S,
)


def start() -> dict[str, Any]:
    """The state a measurement starts in, taken before anything is timed: the checkout's
    commit (a commit made during a long benchmark must not be credited with it, as for
    records) and the 1-min load average."""
    return {"git": kit_git_state(), "load_average_1min": os.getloadavg()[0]}


def write(path: str | Path, started: dict[str, Any], *, command: str, columns: list[str],
          rows: list[list[str]], values: dict[str, Any]) -> Path:  # fmt: skip
    """One measurement file: the raw ``values``, the table (formatted cells), the command
    that made it and the state it was made in (:func:`start`'s commit and load average,
    the load average at the end, the CPUs)."""
    path = Path(path)
    facts = {
        "command": command,
        "finished": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "git": started["git"],
        "cpus": os.cpu_count(),
        "load_average_1min": [
            round(started["load_average_1min"], 2),
            round(os.getloadavg()[0], 2),
        ],
        "columns": columns,
        "rows": rows,
        "values": values,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(facts, indent=2) + "\n")
    return path


def table(name: str, folder: Path = MEASUREMENTS) -> str:
    """The markdown of one measurement file: a provenance line, then its table."""
    file = folder / f"{name}.json"
    if not file.exists():
        raise FileNotFoundError(f"no measurement {name!r}: {file} does not exist")
    m = json.loads(file.read_text())
    git = m.get("git") or {}
    sha = (git.get("sha") or "unknown")[:7] + (
        " with uncommitted changes" if git.get("dirty") else ""
    )
    start, end = m["load_average_1min"]
    lines = [
        f"_Generated from `experiments/measurements/{name}.json` by "
        "`incumbent.reports.measurement_tables`; do not edit. Measured by "
        f"`{m['command']}` at commit {sha} on {m['finished'][:10]}, {m['cpus']} CPUs, "
        f"1-min load average {start:.1f} at the start and {end:.1f} at the end._",
        "",
        "| " + " | ".join(m["columns"]) + " |",
        "| " + " | ".join("---" for _ in m["columns"]) + " |",
        *("| " + " | ".join(str(c) for c in row) + " |" for row in m["rows"]),
    ]
    return "\n".join(lines) + "\n"


def regenerate(text: str, folder: Path = MEASUREMENTS) -> str:
    return BLOCK.sub(lambda b: b.group(1) + table(b.group("name"), folder) + b.group(4), text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a block is stale")
    args = ap.parse_args(argv)
    stale = 0
    for page in sorted((ROOT / "docs").glob("*.md")):
        if "GENERATED-MEASUREMENT" not in page.read_text():
            continue
        diff = rewrite_page(page, regenerate, check=args.check)
        stale += diff is not None
        print(diff or f"{page.relative_to(ROOT)}: measurement tables up to date")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
