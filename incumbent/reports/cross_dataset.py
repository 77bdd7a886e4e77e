"""Cross-dataset leaderboard: every fixed-text detector on every fixed-text dataset.

Rows are detectors, columns datasets; a cell is the mean per-subject EER with a 95 %
bootstrap CI over subjects (:func:`incumbent.evaluation.stats.bootstrap_ci`), read from the run
records of one sweep (``python run.py experiment=fixed_text_cross_dataset``). A run
that failed is a cell ``n/a`` with its error; nothing is typed by hand.

* :func:`fixed_text_baselines` selects the detectors by reading ``conf/baseline/*.yaml``:
  a baseline is fixed-text unless its YAML declares another ``input:`` (e.g. mouse or
  free-text baselines). The ``fixed_text_baselines`` config resolver feeds that list to
  the experiment's sweeper, so new detectors join without editing the experiment.
* :class:`LeaderboardCallback` (Hydra ``on_multirun_end``) writes and prints the table.
* ``python -m incumbent.reports.cross_dataset [SWEEP_DIR]`` regenerates it from a finished
  sweep folder (default: the newest under ``multirun/``).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from incumbent import ROOT
from incumbent.evaluation import stats
from incumbent.running import records, sweep

FIXED_TEXT = "fixed_text"
EXPERIMENT = "fixed_text_cross_dataset"
TABLE_FILE = f"{EXPERIMENT}.md"


def fixed_text_baselines(
    exclude=(), conf_dir: str | Path = ROOT / "conf" / "baseline"
) -> list[str]:
    """Names of baseline configs with no ``input`` key or ``input: fixed_text``,
    less ``exclude`` (names; an unknown name is an error, so a stale list is caught)."""
    exclude = list(exclude or [])
    names, seen = [], set()
    for path in sorted(Path(conf_dir).glob("*.yaml")):
        seen.add(path.stem)
        spec = yaml.safe_load(path.read_text()) or {}
        if spec.get("input", FIXED_TEXT) == FIXED_TEXT and path.stem not in exclude:
            names.append(path.stem)
    unknown = sorted(set(exclude) - seen)
    if unknown:
        raise ValueError(f"exclude names baselines that do not exist in {conf_dir}: {unknown}")
    if not names:
        raise FileNotFoundError(f"no fixed-text baseline configs in {conf_dir}")
    return names


OmegaConf.register_new_resolver(
    "fixed_text_baselines",
    lambda exclude=(): ",".join(fixed_text_baselines(exclude)),
    replace=True,
)


def _override(overrides: list[str], key: str) -> str | None:
    for o in overrides:
        k, _, v = o.partition("=")
        if k.lstrip("+~") == key:
            return v
    return None


def cells_from_sweep(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """One cell per job of the sweep: its record, or its failure."""
    cells = []
    for job in sweep.summarize(sweep_dir):
        ov = job.get("overrides", [])
        cell = {"dataset": _override(ov, "dataset"), "baseline": _override(ov, "baseline"),
                "status": job["status"]}  # fmt: skip
        if job["status"] in ("ok", "skipped") and job.get("record"):
            try:
                cell["record"] = records.read(job["record"])
                cell["baseline"] = cell["record"]["baseline"]
            except ValueError as e:  # fails its integrity checks: reported, never used
                cell.update(status="failed", error=f"record not trusted ({e})")
        else:
            cell["error"] = job.get("error") or f"job {job['status']} (see {job['dir']})"
        cells.append(cell)
    return cells


def _eers(record: dict[str, Any]) -> list[float]:
    return [float(r["eer"]) for r in record["per_subject"]]


def leaderboard(cells: list[dict[str, Any]], n_resamples: int = 2000, seed: int = 0):
    """(table of formatted cells, table of dataset/protocol details) from sweep cells."""
    rows: dict[str, dict[str, str]] = {}
    means: dict[str, list[float]] = {}
    details = {}
    for c in cells:
        name, ds = c["baseline"] or "?", c["dataset"] or "?"
        rec = c.get("record")
        if rec is None:
            reason = " ".join(str(c["error"]).split())[:120]
            rows.setdefault(name, {})[ds] = f"n/a ({reason})"
            continue
        eer = _eers(rec)
        lo, hi = stats.bootstrap_ci(eer, n_resamples=n_resamples, seed=seed)
        mean = sum(eer) / len(eer)
        rows.setdefault(name, {})[ds] = f"{mean:.4f} [{lo:.3f}, {hi:.3f}]"
        means.setdefault(name, []).append(mean)
        p = rec["protocol"]
        details[ds] = {
            "column": ds,
            "dataset (record)": rec["dataset"]["name"],
            "subjects": rec["dataset"]["subjects"],
            "protocol": f"{p['name']} v{p['version']}",
            **{k: v for k, v in p.get("params", {}).items()},
        }
    datasets = sorted({c["dataset"] or "?" for c in cells})
    order = sorted(rows, key=lambda n: (_avg(means.get(n)), n))
    table = pd.DataFrame(
        [
            {
                "detector": n,
                **{d: rows[n].get(d, "n/a (not run)") for d in datasets},
                "mean of means": _fmt(_avg(means.get(n)), len(means.get(n, [])), len(datasets)),
            }
            for n in order
        ]  # fmt: skip
    )
    return table, pd.DataFrame([details[d] for d in datasets if d in details])


def _avg(values) -> float:
    return sum(values) / len(values) if values else math.inf


def _fmt(avg: float, n: int, total: int) -> str:
    if not math.isfinite(avg):
        return "n/a"
    return f"{avg:.4f}" + ("" if n == total else f" ({n} of {total} datasets)")


def to_markdown(table: pd.DataFrame, details: pd.DataFrame, source: str = "", exclude=()) -> str:
    head = (
        "Mean per-subject EER (Killourhy & Maxion's rule) and 95 % bootstrap CI over "
        "subjects (2,000 resamples), fixed-text protocol; rows sorted by the mean over "
        "datasets."
    )
    # disable_numparse: cells are pre-formatted strings; keep their 4 decimals
    parts = [head, "", table.to_markdown(index=False, disable_numparse=True), "",
             details.to_markdown(index=False)]  # fmt: skip
    if exclude:
        parts += ["", "Not run (excluded by the experiment config, reasons there): "
                  + ", ".join(f"`{e}`" for e in exclude) + "."]  # fmt: skip
    if source:
        parts += ["", f"Generated by `python -m incumbent.reports.cross_dataset` from {source}."]
    return "\n".join(parts) + "\n"


def write(
    sweep_dir: str | Path, results_dir: str | Path | None = None, exclude=None
) -> tuple[str, list[Path]]:
    """Build the table for ``sweep_dir``; write it there (and in ``results_dir``).

    ``exclude`` (for the footer) defaults to the sweep's own ``cross_dataset.exclude``.
    """
    sweep_dir = Path(sweep_dir)
    if exclude is None and (sweep_dir / "multirun.yaml").exists():
        saved = OmegaConf.load(sweep_dir / "multirun.yaml")
        exclude = OmegaConf.select(saved, "cross_dataset.exclude", default=None)
    cells = cells_from_sweep(sweep_dir)
    if not cells:
        raise FileNotFoundError(f"{sweep_dir}: no jobs found (not a sweep folder?)")
    table, details = leaderboard(cells)
    text = to_markdown(table, details, source=f"the {len(cells)} runs of sweep `{sweep_dir}`",
                       exclude=list(exclude or []))  # fmt: skip
    out = [sweep_dir / TABLE_FILE]
    if results_dir is not None:
        out.append(Path(results_dir) / TABLE_FILE)
    for path in out:
        records.atomic_write_bytes(path, text.encode())
    return text, out


class LeaderboardCallback(Callback):
    """Hydra callback: write and print the cross-dataset table when the sweep ends."""

    def __init__(self, exclude=()):
        self.exclude = list(exclude or [])

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        text, out = write(sweep_dir, config.paths.results_dir, self.exclude)
        print(text)
        print("written: " + ", ".join(map(str, out)))


def latest_sweep(root: Path | None = None) -> Path:
    if root is None:  # conf/config.yaml: hydra.sweep.dir is under the results folder
        from incumbent.gate.leaderboard import results_dir

        root = results_dir() / "multirun"
    sweeps = sorted(p.parent for p in root.glob("*/*/0") if p.is_dir())
    for s in reversed(sweeps):
        statuses = [json.loads(f.read_text()) for f in s.glob("*/" + sweep.STATUS_FILE)]
        if any(_override(st.get("overrides", []), "experiment") == EXPERIMENT for st in statuses):
            return s
    raise FileNotFoundError(f"no experiment={EXPERIMENT} sweep under {root}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sweep_dir", nargs="?", help="Hydra sweep folder (default: newest)")
    args = ap.parse_args(argv)
    text, out = write(args.sweep_dir or latest_sweep())
    print(text)
    print("written: " + ", ".join(map(str, out)))


if __name__ == "__main__":
    main()
