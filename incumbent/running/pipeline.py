"""dataset -> protocol -> baseline -> scores -> metrics -> record -> printed summary."""

from __future__ import annotations

import logging
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import clone

from incumbent.evaluation import metrics, operating
from incumbent.gate.eligibility import is_paper_setting
from incumbent.reports import labels
from incumbent.running import errors, preflight, provenance, records, resume
from incumbent.running.baseline import seeded
from incumbent.running.errors import IncompatibleInput  # noqa: F401  (re-exported)
from incumbent.running.quiet import progress_bars

log = logging.getLogger(__name__)  # one line per stage


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


def check_compatible(cfg: DictConfig) -> None:
    """Baseline, protocol and dataset must fit (see :func:`errors.check_pairing`)."""
    errors.check_pairing(cfg)


def run(cfg: DictConfig) -> dict[str, Any]:
    """Run one (dataset, protocol, baseline) cell; write and return its record."""
    check_compatible(cfg)
    t0 = time.perf_counter()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    # fail early (incumbent/running/preflight.py): parameters, then the results folder,
    # before any data is read
    protocol = instantiate(cfg.protocol)
    preflight.check_seed(cfg.seed)
    preflight.check_writable(cfg.paths.results_dir)
    # a-priori thresholds / identification: protocol config keys, not protocol arguments
    options = operating.options(getattr(protocol, "operating_options", {}))
    dataset = instantiate(cfg.dataset.loader)
    log.info("data: %s, %d subjects, loaded in %.1f s", dataset.name, len(dataset.subjects),
             time.perf_counter() - t0)  # fmt: skip
    config = operating.strip_disabled(OmegaConf.to_container(cfg, resolve=True))
    origin = provenance.collect(config["baseline"])  # the kit's code and any outside code
    code_version = origin.code_version()
    # the checkout's state when the code was loaded, not when the record is written: a
    # commit made during a long run must not be credited with it
    git = provenance.kit_git_state()
    if not cfg.get("force", False):  # resume rule: see incumbent/running/resume.py
        done = resume.find_done(cfg.paths.results_dir, dataset, protocol, cfg.baseline.name,
                                records.config_hash(config), code_version)  # fmt: skip
        if done is not None:
            return {**done, "_skipped": True}
    template = seeded(instantiate(cfg.baseline.estimator), cfg.seed)
    seed_everything(cfg.seed)  # after the baseline's modules are imported

    def make_baseline():
        return clone(template)

    operating.prepare(protocol, options)
    log.info("%s v%s: fitting and scoring %s", protocol.name, protocol.version, cfg.baseline.name)
    t1 = time.perf_counter()
    scores = protocol.run(dataset, make_baseline, progress=progress_bars(cfg.get("progress", True)))
    log.info("scored: %d scores in %.1f s", len(scores), time.perf_counter() - t1)
    table = metrics.per_subject(scores)
    summary = metrics.aggregate(table)
    if hasattr(protocol, "extra_metrics"):  # e.g. a global AUC over pooled sessions
        summary.update(protocol.extra_metrics(scores))
    operating_metrics, operating_blocks = operating.apply(protocol, options, scores, table, dataset)
    summary.update(operating_metrics)
    described = protocol.describe()
    described["params"] = {**described["params"], **operating.enabled(options)}
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
            **described,
            "primary_metric": protocol.primary_metric,
            "guard_metrics": [*protocol.guard_metrics, *operating.guards(operating_metrics)],
        },
        "seed": int(cfg.seed),
        "metrics": summary,
        "reported": reported_for(cfg, dataset.name, protocol),
        "per_subject": table.to_dict(orient="records"),
        "git": git,
        "config": config,
        "config_hash": records.config_hash(config),
        "code_version": code_version,
        "overrides": hydra_overrides(),
        "sweep": preflight.sweep_info(),
        "command": records.command_line(),
        "versions": {**records.versions(), **origin.versions()},
        "started": started,
        "wall_time_s": None,
    }
    record.update(operating_blocks)  # split / identification / intervals, when enabled
    if origin.block():  # outside code, extra config folders, a score file
        record["provenance"] = origin.block()
    if hasattr(protocol, "record_extras"):  # e.g. device, training-set size, epochs
        record["run_info"] = protocol.record_extras()
    labels.with_stored_ci(record, scores)  # a pooled primary metric's interval
    record["wall_time_s"] = round(time.perf_counter() - t0, 3)
    path = records.write(record, scores if cfg.get("save_scores", True) else None,
                         cfg.paths.results_dir)  # fmt: skip
    record["_path"] = str(path)
    return record


def reported_for(cfg: DictConfig, dataset: str, protocol) -> dict[str, float] | None:
    """The paper's published values for this baseline on this dataset/protocol, if any,
    and only under the paper's protocol parameters (another setting is another number)."""
    if not is_paper_setting(protocol.name, protocol.params()):
        return None
    rep = cfg.baseline.get("reported") or {}
    got = OmegaConf.select(OmegaConf.create(dict(rep)), f"{dataset}.{protocol.name}")
    return OmegaConf.to_container(got) if got is not None else None


def summary_table(record: dict[str, Any]) -> str:
    """One line for the primary metric (exact name, its interval, the paper's value), then
    every metric's mean (sd) over the subjects evaluated, with the paper's value beside."""
    from incumbent.reports.labels import primary

    m = record["metrics"]
    rep = record.get("reported") or {}
    main = primary(record)
    rows = []
    for key in (k for k in metrics.METRICS if f"{k}_mean" in m):
        r = rep.get(f"{key}_mean")
        rows.append(
            f"  {key:<20} {m[f'{key}_mean']:>8.4f}  ({m[f'{key}_sd']:.4f})"
            + (f"   paper {r:.4f}" if r is not None else "")
        )
    n_data = record["dataset"].get("subjects")
    of = f" (of {n_data} in the dataset)" if n_data and n_data != main.subjects else ""
    head = (
        f"{record['baseline']} on {record['dataset']['name']} / "
        f"{record['protocol']['name']} v{record['protocol']['version']}: "
        f"{main.subjects} subjects evaluated{of}, {record['wall_time_s']:.2f} s"
    )
    return "\n".join(
        [head, f"  primary: {main.line()}",
         f"  {'per subject':<20} {'mean':>8}  (sd over {main.subjects} subjects)", *rows,
         f"  record: {record['_path']}"]
    )  # fmt: skip
