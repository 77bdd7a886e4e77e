"""Time the whole Killourhy & Maxion (DSN 2009) reproduction: 14 detectors x 51 subjects.

    python experiments/bench_killourhy2009.py [--results DIR] [--no-in-process] [overrides]

1. **Whole command**: ``python run.py experiment=killourhy2009 force=true`` in a child
   process (``force``: nothing reused by the resume rule), into a fresh temporary
   results folder unless ``--results`` is given: wall time, CPU time and peak memory
   (``ru_maxrss`` of the child, which includes Python, Hydra and torch start-up, 14
   dataset loads, metrics and record writing), and each record's own ``wall_time_s``.
2. **In-process compute**: the data loaded once, then for each detector the protocol
   (fit + score, 51 subjects) and the per-subject metrics; wall time per detector.

Also prints the load average: on a shared 2-core machine other processes inflate both.
Needs the real data (``INCUMBENT_DATA`` or ``paths.data_dir``). ``--out FILE`` writes the
measurement (docs/benchmarks.md's table is generated from
``experiments/measurements/killourhy2009_runtime.json``).
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def whole_command(results: str, overrides: list[str]) -> dict:
    env = {**os.environ, "INCUMBENT_RESULTS": results}
    cmd = [sys.executable, "run.py", "experiment=killourhy2009", "force=true",
           f"hydra.sweep.dir={Path(results) / 'sweep'}", *overrides]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"run.py failed with status {proc.returncode}")
    from incumbent.reports.report import sweep_records

    recs, _ = sweep_records(Path(results) / "sweep")
    print(f"whole command: {' '.join(cmd[1:])}")
    print(f"  wall {wall:.1f} s, CPU {use.ru_utime + use.ru_stime:.1f} s, "
          f"peak RSS {use.ru_maxrss / 1024:.0f} MiB, {len(recs)} records")  # fmt: skip
    for r in sorted(recs, key=lambda r: -r["wall_time_s"]):
        print(
            f"    {r['baseline']:<30} {r['wall_time_s']:6.2f} s  EER {r['metrics']['eer_mean']:.4f}"
        )
    print((Path(results) / "sweep" / "reproduction.md").read_text())
    return {"wall_s": round(wall, 2), "cpu_s": round(use.ru_utime + use.ru_stime, 2),
            "peak_rss_mib": round(use.ru_maxrss / 1024), "records": len(recs)}  # fmt: skip


def in_process(overrides: list[str]) -> dict:
    from hydra import compose, initialize_config_dir
    from hydra.utils import instantiate
    from sklearn.base import clone

    from incumbent.evaluation import metrics
    from incumbent.running.baseline import seeded

    text = (ROOT / "conf" / "experiment" / "killourhy2009.yaml").read_text()
    names = re.search(r"baseline: >-\n((?:\s+.*\n)+?)\s*callbacks", text).group(1)
    names = [n.strip() for n in names.replace("\n", "").split(",")]
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfgs = [compose("config", overrides=[f"baseline={n}", *overrides]) for n in names]
    t0, c0 = time.perf_counter(), time.process_time()
    dataset = instantiate(cfgs[0].dataset.loader)
    protocol = instantiate(cfgs[0].protocol)
    print(f"in-process: data loaded once in {time.perf_counter() - t0:.2f} s")
    per_detector = {}
    for cfg in cfgs:
        t, c = time.perf_counter(), time.process_time()
        template = seeded(instantiate(cfg.baseline.estimator), cfg.seed)
        scores = protocol.run(dataset, lambda: clone(template), progress=False)  # noqa: B023
        eer = metrics.aggregate(metrics.per_subject(scores))["eer_mean"]
        per_detector[cfg.baseline.name] = round(time.perf_counter() - t, 3)
        print(
            f"    {cfg.baseline.name:<30} {time.perf_counter() - t:6.2f} s "
            f"(CPU {time.process_time() - c:5.2f} s)  EER {eer:.4f}"
        )
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  in-process total {wall:.1f} s, CPU {cpu:.1f} s (14 detectors + load), "
          f"peak RSS {peak:.0f} MiB")  # fmt: skip
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mib": round(peak),
            "detectors": len(cfgs), "per_detector_wall_s": per_detector}  # fmt: skip


def table_rows(whole: dict, inproc: dict | None) -> list[list[str]]:
    rows = []
    if inproc:
        slow = sorted(inproc["per_detector_wall_s"].items(), key=lambda kv: -kv[1])
        rows.append([f"in-process: data loaded once, {inproc['detectors']} x (fit + score 51 "
                     "subjects + metrics)", f"**{inproc['wall_s']:.1f} s**",
                     f"{inproc['cpu_s']:.1f} s", f"{inproc['peak_rss_mib']} MiB"])  # fmt: skip
        rows.append(["in-process, slowest detectors: " + ", ".join(
            f"{name} {t:.2f} s" for name, t in slow[:3]) + f"; fastest {slow[-1][1]:.2f} s",
            "", "", ""])  # fmt: skip
    rows.append([f"whole command, `run.py experiment=killourhy2009 force=true` (Hydra start-up, "
                 f"{whole['records']} jobs each loading data and writing a record, the report)",
                 f"{whole['wall_s']:.1f} s", f"{whole['cpu_s']:.1f} s",
                 f"{whole['peak_rss_mib']} MiB"])  # fmt: skip
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", help="results folder (default: a fresh temporary one)")
    ap.add_argument("--no-in-process", action="store_true", help="skip part 2")
    ap.add_argument("--out", help="write the measurement JSON here")
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides, e.g. paths.data_dir=...")
    args = ap.parse_args()
    from incumbent.reports import measurement_tables

    started = measurement_tables.start()
    print(f"{os.cpu_count()} CPUs, load average {started['load_average_1min']:.1f} (1 min) "
          "at start")  # fmt: skip
    whole = whole_command(args.results or tempfile.mkdtemp(prefix="incumbent-km09-"),
                          args.overrides)  # fmt: skip
    inproc = None if args.no_in_process else in_process(["progress=false", *args.overrides])
    print(f"load average {os.getloadavg()[0]:.1f} (1 min) at end")
    if args.out:
        out = measurement_tables.write(
            args.out, started, command="python experiments/bench_killourhy2009.py",
            columns=["what", "wall", "CPU", "peak RSS"], rows=table_rows(whole, inproc),
            values={"whole_command": whole, "in_process": inproc})  # fmt: skip
        print(f"measurement: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
