"""dataset -> protocol -> baseline -> scores -> metrics -> record -> printed summary."""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import clone

from incumbent.evaluation import metrics
from incumbent.running import provenance, records, resume
from incumbent.running.baseline import seeded


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002  (third-party code reads the global state)
    # only when a baseline has imported torch: importing it costs seconds per sweep job
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def hydra_overrides() -> list[str]:
    try:
        from hydra.core.hydra_config import HydraConfig

        return list(HydraConfig.get().overrides.task)
    except (ValueError, ImportError):
        return []


class IncompatibleInput(ValueError):
    """The baseline cannot read what this dataset's protocols produce."""


def check_compatible(cfg: DictConfig) -> None:
    """A baseline's ``input:`` (default ``fixed_text``) must equal its dataset's ``input:``."""
    want = cfg.baseline.get("input", "fixed_text")
    have = cfg.dataset.get("input", "fixed_text")
    if want != have:
        raise IncompatibleInput(
            f"baseline {cfg.baseline.name} takes {want} input, dataset {cfg.dataset.name} "
            f"provides {have}: pick a {want} dataset"
        )


def run(cfg: DictConfig) -> dict[str, Any]:
    """Run one (dataset, protocol, baseline) cell; write and return its record."""
    check_compatible(cfg)
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    dataset = instantiate(cfg.dataset.loader)
    protocol = instantiate(cfg.protocol)
    config = OmegaConf.to_container(cfg, resolve=True)
    origin = provenance.collect(config["baseline"])  # the kit's code and any outside code
    code_version = origin.code_version()
    if not cfg.get("force", False):  # resume rule: see incumbent/running/resume.py
        done = resume.find_done(cfg.paths.results_dir, dataset, protocol, cfg.baseline.name,
                                records.config_hash(config), code_version)  # fmt: skip
        if done is not None:
            return {**done, "_skipped": True}
    template = seeded(instantiate(cfg.baseline.estimator), cfg.seed)
    seed_everything(cfg.seed)  # after the baseline's modules are imported

    def make_baseline():
        return clone(template)

    scores = protocol.run(dataset, make_baseline, progress=cfg.get("progress", True))
    table = metrics.per_subject(scores)
    summary = metrics.aggregate(table)
    if hasattr(protocol, "extra_metrics"):  # e.g. a global AUC over pooled sessions
        summary.update(protocol.extra_metrics(scores))
    record = {
        "schema": records.SCHEMA,
        "run_id": records.new_run_id(cfg.baseline.name),
        "baseline": cfg.baseline.name,
        "paper": cfg.baseline.get("paper"),
        "dataset": {
            "name": dataset.name,
            "checksum": dataset.checksum,
            "subjects": len(dataset.subjects),
        },
        "protocol": {
            **protocol.describe(),
            "primary_metric": protocol.primary_metric,
            "guard_metrics": list(protocol.guard_metrics),
        },
        "seed": int(cfg.seed),
        "metrics": summary,
        "reported": reported_for(cfg, dataset.name, protocol.name),
        "per_subject": table.to_dict(orient="records"),
        "git": provenance.kit_git_state(),
        "config": config,
        "config_hash": records.config_hash(config),
        "code_version": code_version,
        "overrides": hydra_overrides(),
        "command": records.command_line(),
        "versions": {**records.versions(), **origin.versions()},
        "started": started,
        "wall_time_s": None,
    }
    if origin.block():  # outside code, extra config folders, a score file
        record["provenance"] = origin.block()
    if hasattr(protocol, "record_extras"):  # e.g. device, training-set size, epochs
        record["run_info"] = protocol.record_extras()
    record["wall_time_s"] = round(time.perf_counter() - t0, 3)
    path = records.write(record, scores if cfg.get("save_scores", True) else None,
                         cfg.paths.results_dir)  # fmt: skip
    record["_path"] = str(path)
    return record


def reported_for(cfg: DictConfig, dataset: str, protocol: str) -> dict[str, float] | None:
    """The paper's published values for this baseline on this dataset/protocol, if any."""
    rep = cfg.baseline.get("reported") or {}
    got = OmegaConf.select(OmegaConf.create(dict(rep)), f"{dataset}.{protocol}")
    return OmegaConf.to_container(got) if got is not None else None


def summary_table(record: dict[str, Any]) -> str:
    m = record["metrics"]
    rep = record.get("reported") or {}
    rows = []
    for key in metrics.METRICS:
        r = rep.get(f"{key}_mean")
        rows.append(
            f"  {key:<20} {m[f'{key}_mean']:>8.4f}  ({m[f'{key}_sd']:.4f})"
            + (f"   paper {r:.4f}" if r is not None else "")
        )
    head = (
        f"{record['baseline']} on {record['dataset']['name']} / "
        f"{record['protocol']['name']} v{record['protocol']['version']}: "
        f"{record['dataset']['subjects']} subjects, {record['wall_time_s']:.2f} s"
    )
    return "\n".join(
        [head, f"  {'metric':<20} {'mean':>8}  (sd)", *rows, f"  record: {record['_path']}"]
    )
