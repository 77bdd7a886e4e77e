"""Continuous-authentication protocol: any per-action score-stream protocol, evaluated as a
stream (see :mod:`incumbent.evaluation.continuous`; papers.md ``mondal2015``).

Wraps a base protocol whose scores table is a score stream (``subject``, ``session``,
``label``, ``score``, ``order``). Records get, beside the base protocol's metrics,
``auc_w<n>``/``eer_w<n>`` (pooled, full windows of n actions), and ANGA/ANIA of the trust
model and of each sliding window at every threshold (CSV) with the trade-off plot (PNG),
written to ``out_dir``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from incumbent.evaluation import continuous
from incumbent.protocols.base import Protocol
from incumbent.running.preflight import one_of, positive_int


class ContinuousAuth(Protocol):
    version = 1
    primary_metric = "eer"

    def __init__(self, base: Protocol, windows=(1, 2, 5, 10, 20), normalise: str = "base",
                 trust: dict | None = None, trust_thresholds=None, window_thresholds: int = 41,
                 out_dir: str | None = None):  # fmt: skip
        positive_int("continuous", window_thresholds=window_thresholds,
                     **{f"windows[{k}]": n for k, n in enumerate(windows)})  # fmt: skip
        one_of("continuous", "normalise", normalise, ("base", "none"))
        self.base = base
        # it replays its base protocol's stream, so it reads what that base reads
        self.reads = getattr(base, "reads", Protocol.reads)
        self.for_datasets = getattr(base, "for_datasets", None)
        self.name = f"continuous_{base.name}"
        self.windows = [int(n) for n in windows]
        self.normalise = normalise
        # the configs' setting (papers.md mondal2015); a caller should pass it explicitly
        self.trust = dict(trust or {"A": 0.5, "B": 0.1, "C": 1.0, "D": 5.0})
        self.trust_thresholds = list(trust_thresholds or np.arange(50, 100, 2.5).tolist())
        self.window_thresholds = int(window_thresholds)
        self.out_dir = out_dir

    def params(self) -> dict[str, Any]:
        return {
            "base": self.base.describe(),
            "windows": self.windows,
            "normalise": self.normalise,
            "trust": self.trust,
            "trust_thresholds": [self.trust_thresholds[0], self.trust_thresholds[-1],
                                 len(self.trust_thresholds)],
            "window_thresholds": self.window_thresholds,
        }  # fmt: skip

    def splits(self, dataset):
        return self.base.splits(dataset)

    def run(self, dataset, make_baseline, progress: bool = True):
        scores = self.base.run(dataset, make_baseline, progress=progress)
        continuous.check_stream(scores)
        return scores

    def stream(self, scores: pd.DataFrame) -> pd.DataFrame:
        """Scores on the scale the trust model expects (about [0, 1])."""
        if self.normalise == "base":  # the base protocol's own score normalisation
            return self.base.normalised(scores) if hasattr(self.base, "normalised") else scores
        if self.normalise == "none":
            return scores
        raise ValueError(f"normalise must be 'base' or 'none', not {self.normalise!r}")

    def curves(self, stream: pd.DataFrame) -> pd.DataFrame:
        parts = [continuous.tradeoff(stream, "trust", self.trust_thresholds, **self.trust)]
        qs = np.linspace(0.0, 1.0, self.window_thresholds)
        for n in self.windows:
            th = np.quantile(continuous.window_scores(stream, 1)["score"], qs)
            parts.append(continuous.tradeoff(stream, "window", np.unique(th), n=n))
        return pd.concat(parts, ignore_index=True)

    def extra_metrics(self, scores: pd.DataFrame) -> dict[str, float]:
        out = dict(self.base.extra_metrics(scores)) if hasattr(self.base, "extra_metrics") else {}
        stream = self.stream(scores)
        wm = continuous.window_metrics(stream, self.windows)
        for r in wm.itertuples():
            out[f"auc_w{r.window}"] = float(r.auc)
            out[f"eer_w{r.window}"] = float(r.eer)
        curves = self.curves(stream)
        # one operating point for the record: the trust threshold with the largest ANGA among
        # those detecting every impostor stream, else the lowest undetected fraction
        t = curves[curves.rule == "trust"]
        best = t.sort_values(["undetected", "anga"], ascending=[True, False]).iloc[0]
        out.update({
            "trust_threshold": float(best.threshold), "anga": float(best.anga),
            "ania": float(best.ania), "undetected": float(best.undetected),
        })  # fmt: skip
        if self.out_dir:
            d = Path(self.out_dir)
            d.mkdir(parents=True, exist_ok=True)
            curves.to_csv(d / "anga_ania.csv", index=False)
            wm.to_csv(d / "window_metrics.csv", index=False)
            continuous.plot_tradeoff(curves, d / "anga_ania.png", title=self.name)
        return out


def protocol_config(base_name: str) -> Path:
    """``conf/protocol/continuous_<base>.yaml``: the one place the stream parameters live."""
    from incumbent import ROOT

    path = ROOT / "conf" / "protocol" / f"continuous_{base_name}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no continuous protocol config for base {base_name!r}")
    return path


def evaluate_record(record_path: str | Path, results_dir: str | Path,
                    protocol_yaml: str | Path | None = None) -> dict:  # fmt: skip
    """Continuous evaluation of the scores saved with an existing record (no retraining).

    Every protocol parameter comes from ``protocol_yaml`` (default: the base protocol's
    ``conf/protocol/continuous_<base>.yaml``), none from code defaults; the base protocol is
    the source record's own. Writes a full record (with ``derived_from``: the source run id
    and scores sha256) under ``results_dir``, and the ANGA/ANIA CSV and plot beside it;
    returns the record.
    """
    import json
    import time
    from datetime import UTC, datetime

    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from incumbent.data.cards import file_digest
    from incumbent.evaluation import metrics
    from incumbent.running import provenance, records

    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    record_path = Path(record_path)
    src = json.loads(record_path.read_text())
    scores_file = record_path.parent / src["scores"]["file"]
    if file_digest(scores_file) != src["scores"]["sha256"]:
        raise ValueError(f"{scores_file}: sha256 differs from the record's")
    base_cfg = src["config"]["protocol"]
    yaml_path = Path(protocol_yaml) if protocol_yaml else protocol_config(src["protocol"]["name"])
    proto_cfg = OmegaConf.to_container(OmegaConf.load(yaml_path))
    proto_cfg = {**proto_cfg, "base": base_cfg, "out_dir": None}
    proto = instantiate(proto_cfg, base=instantiate(base_cfg))
    scores = pd.read_parquet(scores_file)
    summary = metrics.aggregate(metrics.per_subject(scores))
    config = {**src["config"], "protocol": proto_cfg}
    record = {
        **{k: v for k, v in src.items() if k not in ("scores", "_path", "_source")},
        "run_id": records.new_run_id(src["baseline"]),
        "protocol": {**proto.describe(), "primary_metric": proto.primary_metric,
                     "guard_metrics": list(proto.guard_metrics)},
        "derived_from": {"run_id": src["run_id"], "scores_sha256": src["scores"]["sha256"],
                         "protocol_config": yaml_path.name},
        "git": provenance.kit_git_state(),  # as run.py's records: an installed kit has none
        "config": config,
        "config_hash": records.config_hash(config),
        "code_version": provenance.kit_code_version(),
        "command": records.command_line(),
        "versions": records.versions(),
        "started": started,
    }  # fmt: skip
    record["protocol"]["params"]["base"] = src["protocol"]
    folder = records.record_dir(results_dir, record)
    proto.out_dir = str(folder / f"{record['run_id']}-curves")
    record["metrics"] = {**summary, **proto.extra_metrics(scores)}
    record["wall_time_s"] = round(time.perf_counter() - t0, 3)
    record["_path"] = str(records.write(record, scores, results_dir))
    return record


if __name__ == "__main__":
    import argparse

    from incumbent import ROOT

    ap = argparse.ArgumentParser(description=evaluate_record.__doc__.splitlines()[0])
    ap.add_argument("record", help="record JSON written by run.py (its scores parquet beside it)")
    ap.add_argument("--results", default=str(ROOT / "results"), help="results folder")
    ap.add_argument("--protocol", default=None, help="continuous protocol YAML (default: conf)")
    a = ap.parse_args()
    rec = evaluate_record(a.record, a.results, a.protocol)
    print(rec["_path"])
