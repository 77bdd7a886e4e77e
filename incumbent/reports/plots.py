"""DET and ROC curves of run records (one record, or a challenger over incumbents).

Curves are drawn over the **pooled** scores of a record: every subject's genuine and
impostor scores in one set (one global threshold). The marked point is the pooled EER,
``metrics.eer_km`` on those pooled scores, which is NOT the record's mean per-subject
EER (per-subject thresholds); the legend gives it and the record's primary metric under
its exact name (:mod:`incumbent.reports.labels`).

Committed incumbents carry no scores; :func:`scores_for` regenerates them by rerunning
the record's resolved config (only when every ``_target_`` in it is one the kit itself
configures: :mod:`incumbent.reports.safe_config`) and refuses them unless the per-subject
metrics come out identical to the record's.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.stats import norm  # noqa: E402

from incumbent.evaluation import metrics  # noqa: E402
from incumbent.gate.leaderboard import COMMITTED, results_dir  # noqa: E402
from incumbent.reports import safe_config  # noqa: E402
from incumbent.reports.labels import primary as primary_label  # noqa: E402
from incumbent.running import records  # noqa: E402

# every tick at least ~0.3 normal deviates from the next, so their labels never touch
DET_TICKS = [0.001, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.95]


def pooled(scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lab = scores["label"].to_numpy()
    s = scores["score"].to_numpy(dtype=np.float64)
    return s[lab == 1], s[lab == 0]


def output_dir(record: dict) -> Path:
    """Beside the record; for a committed record, its mirror under the local results folder."""
    path = Path(record["_path"]).resolve()
    if path.is_relative_to(COMMITTED.resolve()):
        return records.record_dir(results_dir(), record)
    return path.parent


def scores_for(
    record: dict, regenerate: bool = True, progress: bool = True, data_dir=None
) -> pd.DataFrame:
    """The record's scores table: beside it, in its local mirror, or regenerated."""
    name = (record.get("scores") or {}).get("file") or f"{record['run_id']}.scores.parquet"
    for folder in (Path(record["_path"]).parent, records.record_dir(results_dir(), record)):
        if (folder / name).exists():
            return pd.read_parquet(folder / name)
    if not regenerate:
        raise FileNotFoundError(
            f"{record['run_id']}: no scores file {name} beside {record['_path']} or in "
            f"{records.record_dir(results_dir(), record)}; rerun without --no-regenerate"
        )
    return regenerate_scores(record, progress=progress, data_dir=data_dir)


def regenerate_scores(record: dict, progress: bool = True, data_dir=None) -> pd.DataFrame:
    """Rerun the record's resolved config on this machine's data folder (``data_dir``,
    default ``$INCUMBENT_DATA`` or the cache); check it reproduces the record.

    The scores are kept in the record's local mirror folder under the original run id.
    """
    from omegaconf import OmegaConf

    from incumbent.data.cards import default_data_dir
    from incumbent.running import pipeline

    config = safe_config.current_targets(dict(record.get("config") or {}))
    safe_config.check(config, record["run_id"])  # before anything is instantiated
    data_dir = str(data_dir or default_data_dir())
    with tempfile.TemporaryDirectory() as tmp:
        cfg = OmegaConf.create(config)
        cfg.paths.data_dir = data_dir
        cfg.paths.results_dir = tmp
        if "data_dir" in cfg.dataset.get("loader", {}):
            cfg.dataset.loader.data_dir = data_dir
        cfg.progress = progress
        cfg.save_scores = True
        print(f"regenerating scores of {record['run_id']} (not stored with committed records)")
        rerun = pipeline.run(cfg)
        metric = record["protocol"].get("primary_metric", "eer")
        want = {str(r["subject"]): r[metric] for r in record["per_subject"]}
        got = {str(r["subject"]): r[metric] for r in rerun["per_subject"]}
        if want.keys() != got.keys() or any(
            not math.isclose(want[s], got[s], abs_tol=1e-9) for s in want
        ):
            raise RuntimeError(
                f"{record['run_id']}: rerunning its config does not reproduce its per-subject "
                f"{metric} (record git {record.get('git')}); check out that commit first"
            )
        dest = records.record_dir(results_dir(), record) / f"{record['run_id']}.scores.parquet"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(rerun["_path"]).with_name(rerun["scores"]["file"]), dest)
    return pd.read_parquet(dest)


@dataclass
class Curve:
    label: str
    genuine: np.ndarray
    impostor: np.ndarray
    primary: str | None = None  # the record's primary metric, exactly named, with its value


@dataclass
class Plotted:
    det: Path
    roc: Path
    eer_points: dict[str, tuple[float, float]]  # label -> (FMR, FNMR) read back from the DET


def _probit(p: np.ndarray, n: int) -> np.ndarray:
    # rates of exactly 0 or 1 sit at infinity on normal-deviate axes: clip half a sample in
    eps = 0.5 / n
    return norm.ppf(np.clip(p, eps, 1 - eps))


def draw(curves: list[Curve], prefix: Path, title: str) -> Plotted:
    """DET and ROC figures for ``curves``; files ``<prefix>.det.png`` and ``<prefix>.roc.png``."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    fig_det, det = plt.subplots(figsize=(5.5, 5.5))
    fig_roc, roc = plt.subplots(figsize=(5.5, 5.5))
    eer_markers = {}
    for k, c in enumerate(curves):
        color = f"C{k}"
        _, fmr, fnmr = metrics.roc(c.genuine, c.impostor)
        n = max(c.genuine.size, c.impostor.size)
        eer = metrics.eer_km(c.genuine, c.impostor)
        primary = f"\n{c.primary}" if c.primary else ""
        label = f"{c.label}{primary}\npooled EER of these curves {eer:.4f} (marked)"
        det.plot(_probit(fmr, n), _probit(fnmr, n), color=color, label=label)
        (eer_markers[c.label],) = det.plot(
            [norm.ppf(eer)], [norm.ppf(eer)], "o", color=color, markeredgecolor="k"
        )
        roc.plot(fmr, 1 - fnmr, color=color, label=label)
        roc.plot([eer], [1 - eer], "o", color=color, markeredgecolor="k")
    ticks = norm.ppf(DET_TICKS)
    names = [f"{100 * t:g}" for t in DET_TICKS]
    lim = norm.ppf([0.0005, 0.99])
    det.set(xticks=ticks, yticks=ticks, xlim=lim, ylim=lim, title=f"DET: {title}",
            xlabel="FMR, impostors accepted (%)", ylabel="FNMR, genuine rejected (%)")  # fmt: skip
    det.set_xticklabels(names)
    det.set_yticklabels(names)
    det.plot(lim, lim, ":", color="grey", lw=0.8)
    det.grid(alpha=0.3)
    det.legend(fontsize=7, loc="upper right")
    roc.set(xscale="log", xlim=(1e-3, 1), ylim=(0, 1.01), title=f"ROC: {title}",
            xlabel="FMR (log)", ylabel="1 - FNMR")  # fmt: skip
    roc.grid(alpha=0.3)
    roc.legend(fontsize=7, loc="lower right")
    out = Plotted(det=Path(f"{prefix}.det.png"), roc=Path(f"{prefix}.roc.png"), eer_points={})
    for fig, path in ((fig_det, out.det), (fig_roc, out.roc)):
        fig.tight_layout()
        fig.savefig(path, dpi=120)
        plt.close(fig)
    for label, artist in eer_markers.items():
        x, y = artist.get_xdata()[0], artist.get_ydata()[0]
        out.eer_points[label] = (float(norm.cdf(x)), float(norm.cdf(y)))
    return out


def plot_records(
    recs: list[dict], regenerate: bool = True, out_dir: Path | None = None, data_dir=None
) -> Plotted:
    """DET + ROC of the first record, overlaid with the others (e.g. its incumbents)."""
    curves = []
    for r in recs:
        g, i = pooled(scores_for(r, regenerate=regenerate, data_dir=data_dir))
        label = r["baseline"]
        if any(c.label == label for c in curves):
            label = f"{label} {r['run_id']}"
        main = primary_label(r)
        curves.append(Curve(label, g, i, f"{main.short} {main.value:.4f} ({main.interval()})"))
    first = recs[0]
    folder = Path(out_dir) if out_dir else output_dir(first)
    stem = first["run_id"] + "".join(f".vs-{r['baseline']}" for r in recs[1:])
    p = first["protocol"]
    title = f"{first['dataset']['name']} / {p['name']} v{p['version']} (pooled scores)"
    return draw(curves, folder / stem, title)
