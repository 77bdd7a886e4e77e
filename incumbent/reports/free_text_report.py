"""The G x M table of the free-text open-set protocol, generated from records.

One record per (baseline, G, M) cell (``python run.py experiment=typenet_aalto``). For
each baseline the newest record of each cell gives the per-subject mean EER (and the
global EER); the table states the training-set size, epochs and device from the records.

papers.md block (its own marker pair: ``incumbent papers`` renders committed, one-per-
baseline incumbents, while a grid is 20 records per baseline, committed under
``incumbents/<dataset>/<protocol>-v<version>/grid/``)::

    <!-- BEGIN GENERATED-FREE-TEXT <dataset> <protocol> -->
    <!-- END GENERATED-FREE-TEXT -->

``python -m incumbent.reports.free_text_report [--roots DIR ...] [--write]`` prints the tables
from the given record folders (default: the committed grid under ``incumbents/``) and,
with ``--write``, regenerates the papers.md blocks of this kind from them. To refresh the
committed grid after a new run, copy that run's record JSONs into
``incumbents/<dataset>/<protocol>-v<version>/grid/<baseline>/``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

from incumbent import ROOT
from incumbent.running.records import iter_records


def cells(recs, dataset: str, protocol: str) -> pd.DataFrame:
    """Newest record per (baseline, G, M) of the newest protocol version."""
    rows = []
    for r in recs:
        if r["dataset"]["name"] != dataset or r["protocol"]["name"] != protocol:
            continue
        p, m, info = r["protocol"]["params"], r["metrics"], r.get("run_info") or {}
        rows.append({
            "version": int(r["protocol"]["version"]), "baseline": r["baseline"],
            "G": int(p["gallery_size"]), "M": int(p["sequence_length"]), "run_id": r["run_id"],
            "eer": m["eer_mean"], "eer_global": m.get("eer_global"),
            "fnmr1": m.get("fnmr_at_fmr_1pct_global"),
            "n_train": info.get("n_train_subjects", p.get("n_train")),
            "n_eval": info.get("n_eval_subjects", p.get("n_eval")),
            "epochs": info.get("epochs"), "steps": info.get("steps"),
            "device": info.get("device"), "train_s": info.get("train_wall_time_s"),
        })  # fmt: skip
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    df = df[df["version"] == df["version"].max()]
    # smoke runs (fewer participants) never mix into the full-scale table
    df = df[(df["n_train"] == df["n_train"].max()) & (df["n_eval"] == df["n_eval"].max())]
    return df.sort_values("run_id").groupby(["baseline", "G", "M"], as_index=False).last()


def grid_markdown(df: pd.DataFrame) -> str:
    if df.empty:
        return "_no records_"
    out = []
    order = df.groupby("baseline")["eer"].mean().sort_values().index
    for name in order:
        sub = df[df["baseline"] == name]
        table = sub.pivot(index="G", columns="M", values="eer").sort_index()
        glob = sub.pivot(index="G", columns="M", values="eer_global").sort_index()
        body = table.map(lambda v: f"{100 * v:.2f}") + glob.map(lambda v: f" ({100 * v:.2f})")
        body.columns = [f"M = {c}" for c in body.columns]
        body.index = [f"G = {g}" for g in body.index]
        first = sub.iloc[0]
        facts = f"{int(first['n_train'])} training / {int(first['n_eval'])} evaluation participants"
        if pd.notna(first["device"]):
            facts += (f"; trained {int(first['epochs'])} epochs ({int(first['steps'])} steps) on "
                      f"{first['device']} in {first['train_s']:.0f} s")  # fmt: skip
        out.append(f"**{name}** — {facts}. EER % per-subject mean (global):\n\n"
                   + body.to_markdown() + "\n")  # fmt: skip
    return "\n".join(out)


def render(args: str, recs) -> str:
    dataset, protocol = args.split()
    df = cells(list(recs), dataset, protocol)
    version = int(df["version"].iloc[0]) if not df.empty else None
    return (
        f"_Generated from records (`{dataset}` / `{protocol}` v{version}) by "
        f"`incumbent.reports.free_text_report`; do not edit._\n\n{grid_markdown(df)}\n"
    )


BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED-FREE-TEXT (?P<args>[^>]*?) -->\n)(.*?)(<!-- END GENERATED-FREE-TEXT -->)",
    re.DOTALL,
)


def regenerate(text: str, recs) -> str:
    recs = list(recs)
    return BLOCK.sub(lambda m: m[1] + render(m["args"].strip(), recs) + m[4], text)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--roots", nargs="*", default=[str(ROOT / "incumbents")])
    ap.add_argument("--dataset", default="aalto_136m")
    ap.add_argument("--protocol", default="typenet_open_set")
    ap.add_argument("--write", action="store_true", help="regenerate papers.md's blocks")
    a = ap.parse_args(argv)
    recs = list(iter_records(*[r for r in a.roots if Path(r).exists()]))
    print(grid_markdown(cells(recs, a.dataset, a.protocol)))
    if a.write:
        papers = ROOT / "papers.md"
        papers.write_text(regenerate(papers.read_text(encoding="utf-8"), recs), encoding="utf-8")


if __name__ == "__main__":
    main()
