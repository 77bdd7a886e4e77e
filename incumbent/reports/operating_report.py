"""docs/operating-points.md: its generated tables and figure, from committed records.

The records live in ``experiments/operating_points/records/`` (same layout as
``incumbents/``; promoted there with ``incumbent promote --to``). They are runs with
``protocol.operating_split=subjects protocol.identification=true``, whose protocol params
differ from the plain incumbents', so they are contests of their own and never replace a
committed incumbent. A block is::

    <!-- BEGIN GENERATED operating <kind> [args] -->
    ...generated, never edited by hand...
    <!-- END GENERATED -->

``python -m incumbent.reports.operating_report`` rewrites the blocks and the figure;
``--check`` exits 1 when the page is stale (tests/test_operating_report.py runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

from incumbent import ROOT
from incumbent.gate.leaderboard import load
from incumbent.reports.papers import rewrite_page

RECORDS = ROOT / "experiments" / "operating_points" / "records"
PAGE = ROOT / "docs" / "operating-points.md"
FIGURE = ROOT / "docs" / "img" / "operating-points-eer-vs-hter.png"
BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN GENERATED operating (?P<kind>\S+)(?P<args>[^>]*?) -->\n)"
    r"(?P<body>.*?)(?P<end><!-- END GENERATED -->)",
    re.DOTALL,
)


def _ci(r: dict, key: str) -> str:
    v = r["metrics"].get(key)
    if v is None:
        return "—"
    lo, hi = (r.get("intervals") or {}).get(key, (None, None))
    return f"{v:.3f}" + (f" [{lo:.3f}, {hi:.3f}]" if lo is not None else "")


def _cell(recs, dataset: str, protocol: str) -> list[dict]:
    mine = [r for r in recs if r["dataset"]["name"] == dataset
            and r["protocol"]["name"] == protocol]  # fmt: skip
    return sorted(mine, key=lambda r: r["metrics"]["eer_mean"])


def apriori_table(recs, dataset: str, protocol: str) -> pd.DataFrame:
    rows = []
    for r in _cell(recs, dataset, protocol):
        m = r["metrics"]
        rows.append({
            "detector": r["baseline"],
            "EER (a posteriori, mean)": f"{m['eer_mean']:.3f}",
            "HTER @ EER thr., global": _ci(r, "hter_eval_eer_global"),
            "HTER @ EER thr., per subject": _ci(r, "hter_eval_eer_subject"),
            "FMR / FNMR @ EER thr., global": f"{m['fmr_eval_eer_global']:.3f} / "
                                             f"{m['fnmr_eval_eer_global']:.3f}",
            "FNMR @ FMR 1 % thr., global (FMR)": f"{_ci(r, 'fnmr_eval_fmr1_global')} "
                                                 f"({m['fmr_eval_fmr1_global']:.3f})",
            "FNMR @ FMR 0.1 % thr., global (FMR)": f"{m['fnmr_eval_fmr0.1_global']:.3f} "
                                                   f"({m['fmr_eval_fmr0.1_global']:.4f})",
        })  # fmt: skip
    return pd.DataFrame(rows)


def identification_table(recs, dataset: str, protocol: str) -> pd.DataFrame:
    rows = []
    for r in sorted(_cell(recs, dataset, protocol), key=lambda r: -r["metrics"]["rank1"]):
        cmc = r["identification"]["cmc"]
        rows.append({
            "detector": r["baseline"], "rank-1": _ci(r, "rank1"), "rank-5": _ci(r, "rank5"),
            "CMC @ 10": f"{cmc[9]:.3f}", "CMC @ 20": f"{cmc[19]:.3f}",
            "models / probes": f"{r['identification']['models']} / "
                               f"{r['identification']['probes']}",
        })  # fmt: skip
    return pd.DataFrame(rows)


def fixed_text_table(recs, cells: list[str]) -> pd.DataFrame:
    """Detectors x ``dataset:protocol`` cells: EER / HTER / rank-1."""
    table: dict[str, dict[str, str]] = {}
    names = []
    for spec in cells:
        ds, _, protocol = spec.partition(":")
        names.append(ds)
        for r in _cell(recs, ds, protocol):
            m = r["metrics"]
            table.setdefault(r["baseline"], {})[ds] = (
                f"{m['eer_mean']:.3f} / {m['hter_eval_eer_global']:.3f} / {m['rank1']:.3f}"
            )
    return pd.DataFrame([{"detector": b, **{d: c.get(d, "n/a") for d in names}}
                         for b, c in sorted(table.items())])  # fmt: skip


def fairness_tables(recs, dataset: str, protocol: str) -> str:
    mine = _cell(recs, dataset, protocol)
    if not mine:
        return "_no records_\n"
    gaps = pd.DataFrame([{
        "detector": r["baseline"], "EER": f"{r['metrics']['eer_mean']:.3f}",
        **{k.removeprefix("disparity_"): f"{v:.3f}"
           for k, v in sorted(r["metrics"].items()) if k.startswith("disparity_")},
    } for r in mine])  # fmt: skip
    best = mine[0]
    fair = best["split"]["fairness"]
    rows = []
    for attr, groups in fair["groups"].items():
        for g in groups:
            ok = g["status"] == "ok"
            rows.append({
                "attribute": attr, "group": g["group"], "subjects (eval)":
                f"{g['subjects']} ({g['eval_subjects']})", "EER (mean)": f"{g['eer']:.3f}",
                "FMR @ global thr.": f"{g['fmr']:.3f}" if ok else "—",
                "FNMR @ global thr.": f"{g['fnmr']:.3f}" if ok else "—",
                "status": g["status"],
            })  # fmt: skip
    return (
        f"Disparity per attribute (1 - FDR, lower is fairer), every detector:\n\n"
        f"{gaps.to_markdown(index=False)}\n\n"
        f"Per group for the lowest-EER detector, **{best['baseline']}** (threshold: "
        f"{fair['threshold_target']} target on the development subjects; groups under "
        f"{fair['min_subjects']} evaluation subjects are not measured):\n\n"
        f"{pd.DataFrame(rows).to_markdown(index=False)}\n"
    )


def render_block(kind: str, args: list[str], recs) -> str:
    note = "_Generated by `python -m incumbent.reports.operating_report` from " \
           "`experiments/operating_points/records/`; do not edit._\n\n"  # fmt: skip
    if kind == "apriori":
        return note + apriori_table(recs, *args).to_markdown(index=False) + "\n"
    if kind == "identification":
        return note + identification_table(recs, *args).to_markdown(index=False) + "\n"
    if kind == "fixed_text":
        return note + fixed_text_table(recs, args).to_markdown(index=False) + "\n"
    if kind == "fairness":
        return note + fairness_tables(recs, *args)
    raise ValueError(f"unknown generated block kind {kind!r}")


def regenerate(text: str, recs) -> str:
    return BLOCK.sub(lambda m: m["begin"] + render_block(m["kind"], m["args"].split(), recs)
                     + m["end"], text)  # fmt: skip


def figure(recs, dataset: str, protocol: str, path: Path = FIGURE) -> Path:
    """EER (a posteriori) vs HTER at development thresholds, one column per detector."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    mine = _cell(recs, dataset, protocol)
    x = np.arange(len(mine))
    fig, ax = plt.subplots(figsize=(9, 4.8))
    series = [("eer_mean", "EER, a posteriori (mean per subject)", "o"),
              ("hter_eval_eer_global", "HTER, global threshold (EER on dev)", "s"),
              ("hter_eval_eer_subject", "HTER, per-subject threshold (EER on dev)", "^")]  # fmt: skip
    for k, (key, label, marker) in enumerate(series):
        v = np.array([r["metrics"][key] for r in mine])
        ci = [(r.get("intervals") or {}).get(key) for r in mine]
        err = None
        if all(c is not None for c in ci):
            err = np.array([[vi - c[0], c[1] - vi] for vi, c in zip(v, ci, strict=True)]).T
        ax.errorbar(x + (k - 1) * 0.22, v, yerr=err, fmt=marker, ms=5, capsize=2,
                    label=label)  # fmt: skip
    ax.set_xticks(x, [r["baseline"] for r in mine], rotation=40, ha="right", fontsize=8)
    ax.set(ylabel="error rate", title=f"{dataset} / {protocol}: a-posteriori EER vs HTER at a "
           "development-chosen threshold\n(evaluation subjects; bars: 95 % subject bootstrap)")  # fmt: skip
    # log scale: one failing detector (EER ~0.8) would flatten the rest on a linear axis
    ax.set_yscale("log")
    ticks = [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8]
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper left")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def refresh(page: Path = PAGE, root: Path = RECORDS, check: bool = False,
            recs: list[dict] | None = None) -> str | None:  # fmt: skip
    """Rewrite the page's blocks; with ``check``, return a diff when stale (no write).
    ``recs``: the records of ``root`` when the caller has already loaded them."""
    return rewrite_page(page, lambda text: regenerate(text, load([root]) if recs is None
                                                      else recs), check)  # fmt: skip


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 with a diff when stale")
    args = ap.parse_args(argv)
    recs = load([RECORDS])  # read and checked once, for the page and the figure
    diff = refresh(check=args.check, recs=recs)
    if args.check:
        if diff:
            print(diff)
            return 1
        return 0
    print(f"wrote {FIGURE}" if figure(recs, "cmu_dsl", "killourhy2009") else "")
    print("regenerated" if diff else "up to date", PAGE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
