"""Benchmark: Balabit training sessions -> actions -> 39 features, ours vs the authors' code.

    python experiments/bench_balabit_segmentation.py [--data-dir D] [--reference DIR]

Each measurement runs in a fresh subprocess (modules imported before the clock starts;
parsing included, from the CSV files to the feature table) and reports wall time, CPU time and peak RSS; the best of ``--repeats``
runs is kept. ``--reference`` is a checkout of ``github.com/margitantal68/mouse2`` (not
part of this repository); its ``rawdata2actions.processSession1`` is run on every session
with its console output discarded. ``--out`` writes the measurement (docs/benchmarks.md's
table is generated from ``experiments/measurements/balabit_segmentation_runtime.json``);
both implementations are timed in the same run, so their ratio is what compares.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ours(data_dir: str) -> dict:
    from incumbent.data.loaders import balabit
    from incumbent.data.mouse.features import action_features
    from incumbent.data.mouse.segmentation import segment

    return lambda: _ours(data_dir, balabit, segment, action_features)


def _ours(data_dir, balabit, segment, action_features) -> dict:
    frame = balabit.session_table(balabit.root_of(data_dir), ("train",))
    events, _ = balabit.read_events(frame["path"].tolist())
    feats = action_features(segment(events))
    return {"events": len(events), "counts": feats["type_of_action"].value_counts().to_dict()}


def reference(data_dir: str, ref_dir: str) -> dict:
    import contextlib
    import io

    sys.path.insert(0, ref_dir)
    import rawdata2actions  # the authors' module, from their checkout

    return lambda: _reference(data_dir, rawdata2actions, contextlib, io)


def _reference(data_dir, rawdata2actions, contextlib, io) -> dict:
    folder = Path(data_dir) / "balabit_mouse_challenge" / "training_files"
    counts: dict[str, int] = {}
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        for path in sorted(folder.glob("user*/session_*")):
            buf = io.StringIO()
            rawdata2actions.processSession1(str(path), buf)
            for line in buf.getvalue().splitlines():
                counts[line.split(",")[0]] = counts.get(line.split(",")[0], 0) + 1
    return {"counts": counts}


def worker(args) -> None:
    job = ours(args.data_dir) if args.worker == "ours" else reference(args.data_dir, args.reference)
    w, c = time.perf_counter(), time.process_time()  # imports done: time the work only
    out = job()
    out.update(wall_s=time.perf_counter() - w, cpu_s=time.process_time() - c,
               peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # fmt: skip
    print(json.dumps(out, default=str))


def measure(which: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", which, "--data-dir", args.data_dir]
    if args.reference:
        cmd += ["--reference", args.reference]
    runs = []
    for _ in range(args.repeats if which == "ours" else args.reference_repeats):
        res = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT)
        runs.append(json.loads(res.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["wall_s"])
    best["wall_s_all"] = [round(r["wall_s"], 3) for r in runs]
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data-dir", default=os.environ.get("INCUMBENT_DATA", str(ROOT.parent / "shared" / "data"))
    )
    ap.add_argument("--reference", default=None, help="checkout of margitantal68/mouse2")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--reference-repeats", type=int, default=1)
    ap.add_argument("--out", help="write the measurement JSON here")
    ap.add_argument("--worker", choices=["ours", "reference"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)
    from incumbent.reports import measurement_tables  # here: the timed workers never load it

    started = measurement_tables.start()
    result = {"ours": measure("ours", args)}
    if args.reference:
        result["reference"] = measure("reference", args)
        result["speedup_wall"] = result["reference"]["wall_s"] / result["ours"]["wall_s"]
        result["speedup_cpu"] = result["reference"]["cpu_s"] / result["ours"]["cpu_s"]
    print(json.dumps(result, indent=2, default=str))
    if args.out:
        out = measurement_tables.write(
            args.out, started, command="python experiments/bench_balabit_segmentation.py "
            "--reference <mouse2 checkout>", columns=["implementation", "wall", "CPU",
            "peak RSS"], rows=table_rows(result, args), values=result)  # fmt: skip
        print(f"measurement: {out}")


def table_rows(result: dict, args) -> list[list[str]]:
    def row(name, r, best):
        return [name, f"{r['wall_s']:.2f} s" + best, f"{r['cpu_s']:.2f} s",
                f"{r['peak_rss_mib']:.0f} MiB"]  # fmt: skip

    rows = []
    if "reference" in result:
        best = f" (best of {args.reference_repeats})" if args.reference_repeats > 1 else ""
        rows.append(row("authors' code (`rawdata2actions.processSession1`)",
                        result["reference"], best))  # fmt: skip
    rows.append(row("ours (pyarrow parse, numpy segmentation + features)", result["ours"],
                    f" (best of {args.repeats})"))  # fmt: skip
    if "reference" in result:
        rows.append(["speed-up", f"**{result['speedup_wall']:.1f}x**",
                     f"**{result['speedup_cpu']:.1f}x**", ""])  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
