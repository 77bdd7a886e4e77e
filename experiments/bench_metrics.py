"""Metrics at scale: time and peak extra memory of EER (both estimators), ROC and DET.

    python experiments/bench_metrics.py            # 10^5, 10^6, 10^7 scores
    python experiments/bench_metrics.py --sizes 1e5 --genuine-share 0.5

Scores: genuine ~ N(1.5, 1), impostor ~ N(0, 1), ``--genuine-share`` of them genuine,
float64 arrays. Time is the best of ``--repeat`` calls, wall clock and CPU (CPU time is
the fairer figure on a shared machine). Peak extra memory is measured with tracemalloc
(numpy reports its buffers to it) in a separate call, and includes the returned arrays
(for ROC/DET at n distinct scores that alone is 3 x 8 x (n + 1) bytes).

Every value is checked against an independent implementation built on scikit-learn:
``roc_curve(drop_intermediate=False)`` for ROC/DET (the sampled ``n_points=1000`` curves
are compared with it at their thresholds) and the K&M EER; for the ROCCH EER,
the ROC of PAV-calibrated scores (``IsotonicRegression``), which is the ROC convex
hull (Fawcett & Niculescu-Mizil, Machine Learning 68, 2007).

``--out FILE`` writes the measurement (docs/benchmarks.md's table is generated from
``experiments/measurements/metrics_at_scale.json``).
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from incumbent.evaluation import metrics as M  # noqa: E402

MiB = 1 << 20


def measure(fn, *args, repeat: int = 3):
    """(best wall s, best cpu s, peak extra bytes incl. the result, result)."""
    wall, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(*args)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
        del out
    gc.collect()
    tracemalloc.start()
    out = fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(wall), min(cpu), peak, out


# ---- independent implementations ---------------------------------------------------


def sk_roc(g, i):
    from sklearn.metrics import roc_curve

    y = np.r_[np.ones(g.size, np.int8), np.zeros(i.size, np.int8)]
    fpr, tpr, thr = roc_curve(y, np.r_[g, i], drop_intermediate=False)
    return thr, fpr, 1.0 - tpr


def crossing_eer(fmr, fnmr):
    """Linear interpolation to FMR = FNMR between the two points around the sign change."""
    d = fmr - fnmr
    k = int(np.flatnonzero(d >= 0)[0])
    if d[k] == 0:
        return float(fmr[k])
    x0, y0, x1, y1 = fmr[k - 1], fnmr[k - 1], fmr[k], fnmr[k]
    a = (y0 - x0) / ((x1 - x0) - (y1 - y0))
    return float(x0 + a * (x1 - x0))


def sk_eer_km(g, i):
    _, fmr, fnmr = sk_roc(g, i)
    return crossing_eer(fmr, fnmr)


def sk_eer_rocch(g, i):
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_curve

    s = np.r_[g, i]
    y = np.r_[np.ones(g.size), np.zeros(i.size)]
    cal = IsotonicRegression(out_of_bounds="clip").fit_transform(s, y)
    fpr, tpr, _ = roc_curve(y, cal, drop_intermediate=False)
    return crossing_eer(fpr, 1.0 - tpr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    ap.add_argument("--genuine-share", type=float, default=0.1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-check", action="store_true", help="skip the sklearn cross-check")
    ap.add_argument("--out", help="write the measurement JSON here")
    args = ap.parse_args()
    from incumbent.reports import measurement_tables

    started, results = measurement_tables.start(), []
    print(f"genuine share {args.genuine_share}; time = best of {args.repeat}; memory = "
          "tracemalloc peak incl. result")  # fmt: skip
    print(f"{'n':>9} {'function':<10} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}  check")
    for n in map(int, args.sizes):
        rng = np.random.default_rng(0)
        ng = int(n * args.genuine_share)
        g, i = rng.normal(1.5, 1.0, ng), rng.normal(0.0, 1.0, n - ng)
        ref = None if args.no_check else sk_roc(g, i)
        for name, fn in [("eer_km", M.eer_km), ("eer_rocch", M.eer_rocch),
                         ("roc", M.roc), ("det", M.det),
                         ("sort", lambda g, i: (np.sort(g), np.sort(i))),  # exact EERs' floor
                         ("roc@1000", lambda g, i: M.roc(g, i, n_points=1000)),
                         ("det@1000", lambda g, i: M.det(g, i, n_points=1000))]:  # fmt: skip
            wall, cpu, peak, out = measure(fn, g, i, repeat=args.repeat)
            check, ok = "-", None
            if ref is not None and name != "sort":  # the sort has nothing to check
                if name == "eer_km":
                    want = crossing_eer(ref[1], ref[2])
                    ok = out == want
                    check = f"sklearn {want:.10f} {'==' if ok else '!='} {out:.10f}"
                elif name == "eer_rocch":
                    want = sk_eer_rocch(g, i)
                    ok = abs(out - want) <= 1e-12
                    check = f"PAV {want:.10f} {'~=' if ok else '!='} {out:.10f}"
                elif name == "roc":
                    ok = all(np.array_equal(a, b) for a, b in zip(out, ref, strict=True))
                    check = f"sklearn roc_curve {'identical' if ok else 'DIFFERS'}"
                elif name.endswith("@1000"):
                    # the sklearn ROC point reached at each sampled threshold t is the one
                    # with the smallest sklearn threshold >= t
                    k = np.searchsorted(-ref[0], -out[0], "right") - 1
                    want_fmr, want_fnmr = ref[1][k], ref[2][k]
                    if name.startswith("det"):
                        from scipy.special import ndtri

                        want_fmr, want_fnmr = ndtri(want_fmr), ndtri(want_fnmr)
                    ok = np.array_equal(out[1], want_fmr) and np.allclose(
                        out[2], want_fnmr, rtol=1e-12, atol=1e-15
                    )
                    check = f"sampled sklearn roc_curve {'identical' if ok else 'DIFFERS'}"
                else:
                    from scipy.stats import norm

                    with np.errstate(divide="ignore"):
                        want = (norm.ppf(ref[1]), norm.ppf(ref[2]))
                    ok = all(np.allclose(a, b, rtol=1e-12, atol=0) or np.array_equal(a, b)
                             for a, b in zip(out[1:], want, strict=True))  # fmt: skip
                    check = f"norm.ppf(roc_curve) {'identical' if ok else 'DIFFERS'}"
            print(f"{n:>9} {name:<10} {wall:>8.3f} {cpu:>8.3f} {peak / MiB:>9.1f}  {check}",
                  flush=True)  # fmt: skip
            results.append({"n": n, "function": name, "wall_s": wall, "cpu_s": cpu,
                            "peak_mib": peak / MiB, "check_ok": None if ok is None else bool(ok)})  # fmt: skip
            del out
        del ref
    if args.out:
        out = measurement_tables.write(
            args.out, started, command=f"python experiments/bench_metrics.py --repeat {args.repeat}",
            columns=["scores", "function", "wall s", "CPU s", "peak MiB",
            "check"], rows=table_rows(results), values={"genuine_share": args.genuine_share,
            "repeat": args.repeat, "results": results})  # fmt: skip
        print(f"measurement: {out}")


PAIRS = [("eer_km", "eer_rocch", "eer_km / eer_rocch", "equal"),
         ("roc", "det", "roc / det (every distinct score)", "identical"),
         ("roc@1000", "det@1000", "roc / det (`n_points=1000`)", "identical")]  # fmt: skip


def _num(x: float) -> str:
    return f"{x:.3f}" if x < 1 else f"{x:.2f}" if x < 100 else f"{x:.0f}"


def table_rows(results: list[dict]) -> list[list[str]]:
    """The docs table: two functions per row (the EERs, the full curves, the sampled ones)."""
    by = {(r["n"], r["function"]): r for r in results}
    rows = []
    for n in sorted({r["n"] for r in results}):
        for a, b, label, word in PAIRS:
            ra, rb = by[(n, a)], by[(n, b)]
            checks = [word if r["check_ok"] else "-" if r["check_ok"] is None else "DIFFERS"
                      for r in (ra, rb)]  # fmt: skip
            rows.append([f"10^{len(str(n)) - 1}", label,
                         *(f"{_num(ra[k])} / {_num(rb[k])}" for k in ("wall_s", "cpu_s", "peak_mib")),
                         checks[0] if checks[0] == checks[1] else " / ".join(checks)])  # fmt: skip
            if a == "eer_km" and (n, "sort") in by:  # every exact EER sorts both arrays first
                r = by[(n, "sort")]
                rows.append([f"10^{len(str(n)) - 1}", "numpy sort of both arrays (the EERs' floor)",
                             _num(r["wall_s"]), _num(r["cpu_s"]), _num(r["peak_mib"]), "-"])  # fmt: skip
    return rows


if __name__ == "__main__":
    main()
