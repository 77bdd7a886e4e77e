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
import json
import re
from pathlib import Path

import pandas as pd

from incumbent import ROOT
from incumbent.gate.compare import DEFAULT_TOLERANCE
from incumbent.reports.papers import rewrite_page
from incumbent.running.records import iter_records


def cells(recs, dataset: str, protocol: str) -> pd.DataFrame:
    """Newest record per (baseline, G, M) of the newest protocol version."""
    rows = []
    for r in recs:
        if r["dataset"]["name"] != dataset or r["protocol"]["name"] != protocol:
            continue
        p, m, info = r["protocol"]["params"], r["metrics"], r.get("run_info") or {}
        estimator = ((r.get("config") or {}).get("baseline") or {}).get("estimator") or {}
        rows.append({
            "version": int(r["protocol"]["version"]), "baseline": r["baseline"],
            "G": int(p["gallery_size"]), "M": int(p["sequence_length"]), "run_id": r["run_id"],
            "eer": m["eer_mean"], "eer_global": m.get("eer_global"),
            "fnmr1": m.get("fnmr_at_fmr_1pct_global"),
            "n_train": info.get("n_train_subjects", p.get("n_train")),
            "n_eval": info.get("n_eval_subjects", p.get("n_eval")),
            "epochs": info.get("epochs"), "steps": info.get("steps"),
            "device": info.get("device"), "train_s": info.get("train_wall_time_s"),
            "lr": estimator.get("lr"), "steps_per_epoch": estimator.get("steps_per_epoch"),
            "val_patience": info.get("val_patience"), "best_step": info.get("best_step"),
            "best_val_eer": info.get("best_val_eer"), "val_users": info.get("val_users"),
            "curve": info.get("learning_curve"),
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
            facts += f"; {_training_run(first)} on {first['device']} in {first['train_s']:.0f} s"
        if pd.notna(first.get("best_val_eer")):
            facts += (f"; weights of step {int(first['best_step'])}, the best validation EER "
                      f"({100 * first['best_val_eer']:.2f} % on {int(first['val_users'])} held-out "
                      f"training participants)")  # fmt: skip
        out.append(f"**{name}** — {facts}. EER % per-subject mean (global):\n\n"
                   + body.to_markdown() + "\n")  # fmt: skip
    return "\n".join(out)


def _training_run(first) -> str:
    """How long the model trained and what ended it: the step cap or the patience rule
    (``epochs`` in the record is the cap, ``steps`` what ran)."""
    steps, epochs = int(first["steps"]), int(first["epochs"])
    spe = first.get("steps_per_epoch")
    if pd.isna(spe) or pd.isna(first.get("val_patience")) or steps >= epochs * int(spe):
        return f"trained {epochs} epochs ({steps} steps, the cap)"
    return (
        f"trained {steps} steps, stopped by the patience rule ({int(first['val_patience'])} "
        f"checks without a new best; cap {epochs} x {int(spe)} = {epochs * int(spe)} steps)"
    )


def lateral_moves(df: pd.DataFrame, challenger: str = "typenet",
                  incumbent: str = "gunetti_picardi_a") -> str:  # fmt: skip
    """Cells where the challenger has the lower per-subject EER but the incumbent has the
    lower global FNMR at FMR 1 % by more than the gate's guard tolerance: by the gate's rule
    (``incumbent compare``) those EER wins are lateral moves (exit 3), not wins."""
    both = df[df["baseline"] == challenger].merge(
        df[df["baseline"] == incumbent], on=["G", "M"], suffixes=("_c", "_i"))  # fmt: skip
    if both.empty:
        return ""
    wins = both[both["eer_c"] < both["eer_i"]]
    lateral = wins[wins["fnmr1_c"] - wins["fnmr1_i"] > DEFAULT_TOLERANCE + 1e-12]
    cells_ = ", ".join(f"G = {g} M = {m}" for g, m in zip(lateral["G"], lateral["M"], strict=True))
    head = (f"**{challenger}** has the lower per-subject EER than **{incumbent}** in "
            f"{len(wins)} of {len(both)} cells")  # fmt: skip
    fnmr = f"{incumbent}'s global FNMR at FMR 1 %"
    beyond = f"lower by more than the gate's guard tolerance ({DEFAULT_TOLERANCE:g})"
    if lateral.empty:
        return (f"{head}; in none of them is {fnmr} {beyond}, so by the kit's own rule none "
                f"is a lateral move.\n")  # fmt: skip
    return (f"{head}; in {len(lateral)} of them {fnmr} is {beyond}, so by the kit's own rule "
            f"those are lateral moves, not wins: {cells_}.\n")  # fmt: skip


def headline(df: pd.DataFrame, g: int = 5, m: int = 50) -> str:
    """The paper's headline cell (G = 5, M = 50) for every baseline, best first."""
    cell = df[(df["G"] == g) & (df["M"] == m)].sort_values("eer")
    parts = [f"{b} {100 * e:.2f} % (global {100 * eg:.2f} %, FNMR at FMR 1 % {100 * f:.1f} %)"
             for b, e, eg, f in zip(cell["baseline"], cell["eer"], cell["eer_global"],
                                    cell["fnmr1"], strict=True)]  # fmt: skip
    return f"At G = {g}, M = {m}, per-subject EER: {'; '.join(parts)}.\n" if parts else ""


LR_SWEEP = ROOT / "experiments" / "measurements" / "typenet_lr_sweep" / "lr_sweep.json"


def lr_sweep_line(path: Path = LR_SWEEP) -> str:
    """The committed learning-rate sweep (experiments/typenet_lr_sweep.py) in one sentence."""
    if not path.exists():
        return ""
    runs = json.loads(path.read_text(encoding="utf-8"))
    parts = [f"{r['lr']:g}: {100 * r['best_val_eer']:.2f} % (step {r['best_step']})" for r in runs]
    first = runs[0]
    return (f"Learning-rate sweep (`{path.relative_to(ROOT).as_posix()}`; "
            f"{first['val_users']} validation users held out of the training participants, "
            f"{first['steps']} steps of {first['batch_size']} triplets per rate), best "
            f"validation EER: {'; '.join(parts)}.\n")  # fmt: skip


def render(args: str, recs) -> str:
    dataset, protocol = args.split()
    df = cells(list(recs), dataset, protocol)
    version = int(df["version"].iloc[0]) if not df.empty else None
    moves = (headline(df) + "\n" + lateral_moves(df)) if not df.empty else ""
    sweep = lr_sweep_line() if protocol == "typenet_open_set" else ""
    moves += "\n" + sweep if sweep else ""
    return (
        f"_Generated from records (`{dataset}` / `{protocol}` v{version}) by "
        f"`incumbent.reports.free_text_report`; do not edit._\n\n{grid_markdown(df)}\n" + moves
    )


CURVE_PNG = ROOT / "docs" / "img" / "typenet-learning-curve.png"


def draw_learning_curve(df: pd.DataFrame, dataset: str, path: Path = CURVE_PNG) -> Path | None:
    """The learning curve stored in the newest TypeNet record of ``df`` (:func:`cells`):
    validation EER and training loss against the step, drawn with
    ``typenet_validation.plot_learning_curve``."""
    from incumbent.baselines.typenet_validation import plot_learning_curve

    df = df[(df["baseline"] == "typenet") & df["curve"].notna()] if not df.empty else df
    if df.empty:
        return None
    row = df.sort_values("run_id").iloc[-1]
    title = f"TypeNet on {dataset}: lr {row['lr']:g}, run {row['run_id']}"
    return plot_learning_curve(row["curve"], path, title)


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
    df = cells(recs, a.dataset, a.protocol)
    print(grid_markdown(df))
    if a.write:
        rewrite_page(ROOT / "papers.md", lambda text: regenerate(text, recs))
        png = draw_learning_curve(df, a.dataset)
        print(f"learning curve: {png}" if png else "no TypeNet record with a learning curve")


if __name__ == "__main__":
    main()
