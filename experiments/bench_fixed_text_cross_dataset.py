"""Time the whole cross-dataset experiment: every fixed-text detector x 4 datasets.

    python experiments/bench_fixed_text_cross_dataset.py [--results DIR] [extra overrides]

Runs ``python run.py experiment=fixed_text_cross_dataset force=true`` in a child
process (so nothing is skipped by the resume rule), into a fresh temporary results
folder unless ``--results`` is given, then prints the wall time, the child's peak
memory and the generated table. Needs the real data (``INCUMBENT_DATA``). With ``--out``
the measurement is written (``incumbent.reports.measurement_tables``; docs/datasets.md's
runtime table is generated from it):

    python experiments/bench_fixed_text_cross_dataset.py \\
        --out experiments/measurements/fixed_text_cross_dataset_runtime.json
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", help="results folder (default: a fresh temporary one)")
    ap.add_argument("--out", help="write the measurement as JSON here")
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides")
    args = ap.parse_args()
    results = args.results or tempfile.mkdtemp(prefix="incumbent-xds-")
    env = {**os.environ, "INCUMBENT_RESULTS": str(results)}
    cmd = [sys.executable, "run.py", "experiment=fixed_text_cross_dataset", "force=true",
           *args.overrides]  # fmt: skip
    from incumbent.reports import measurement_tables

    started = measurement_tables.start()  # before the run: its commit, not a later one
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    table = Path(results) / "fixed_text_cross_dataset.md"
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
    if table.exists():
        print(table.read_text())
    jobs = proc.stdout.count("] #")  # one "[status] #n ..." line per job (sweep summary)
    print(f"command: {' '.join(cmd)}")
    print(f"runs: {jobs}, exit status {proc.returncode}")
    print(f"wall time: {wall:.1f} s, peak memory (child): {peak_mib:.0f} MiB, "
          f"CPUs: {os.cpu_count()}")  # fmt: skip
    if args.out:
        values = {"runs": jobs, "exit_status": proc.returncode, "wall_s": round(wall, 1),
                  "peak_rss_mib_child": round(peak_mib)}  # fmt: skip
        row = [f"`{' '.join(['python', *cmd[1:]])}` (Hydra multirun, one record per run)",
               str(jobs), str(proc.returncode), f"{wall:.1f} s", f"{peak_mib:.0f} MiB"]  # fmt: skip
        out = measurement_tables.write(
            args.out, started, command="python experiments/bench_fixed_text_cross_dataset.py",
            columns=["command", "runs", "exit status", "wall", "peak RSS (child)"], rows=[row],
            values=values)  # fmt: skip
        print(f"measurement: {out}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
