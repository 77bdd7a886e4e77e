"""Failures and sweep summaries: a failed run is reported, never hides the others.

* :func:`write_failure` records a run that raised as
  ``<results_dir>/_failed/<run_id>.failed.json`` (error, traceback, config, overrides).
  It is not a run record: tables and resume ignore it, so a rerun retries the run.
* In a multirun ``run.py`` catches the error, writes the marker and returns NaN, so the
  sweeper goes on with the other jobs (Optuna marks the trial failed).
* Each job leaves ``job_status.json`` in its Hydra output folder; :class:`SweepSummary`
  (a Hydra callback, see ``conf/config.yaml``) collects them when the sweep ends, prints
  one line per job, writes ``sweep_summary.json`` in the sweep folder and exits with
  status 1 if any job failed. A job folder without a status is a job that died (e.g.
  killed): it is listed as ``died``.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from incumbent.running import records

log = logging.getLogger(__name__)
STATUS_FILE = "job_status.json"


def _hydra():
    from hydra.core.hydra_config import HydraConfig

    try:
        return HydraConfig.get()
    except ValueError:  # not under @hydra.main (tests, notebooks)
        return None


def is_multirun() -> bool:
    hc = _hydra()
    return hc is not None and str(hc.mode) == "RunMode.MULTIRUN"


def _overrides() -> list[str]:
    hc = _hydra()
    return list(hc.overrides.task) if hc is not None else []


def write_failure(cfg: DictConfig, error: BaseException) -> Path | None:
    """Write ``<results_dir>/_failed/<run_id>.failed.json`` for a run that raised.

    Never raises: a marker that cannot be written (e.g. the results folder is what
    failed) is reported on stderr and ``None`` returned, so the run's own error is the
    one the caller re-raises.
    """
    try:
        return _write_failure(cfg, error)
    except Exception as e:  # noqa: BLE001  (anything here would hide the first error)
        print(f"warning: could not write the failure marker ({type(e).__name__}: {e}); "
              f"the run failed with {type(error).__name__}: {error}", file=sys.stderr)  # fmt: skip
        return None


def _write_failure(cfg: DictConfig, error: BaseException) -> Path:
    from incumbent.running.resume import code_version

    baseline = OmegaConf.select(cfg, "baseline.name", default="unknown")
    try:
        config = OmegaConf.to_container(cfg, resolve=True)
    except Exception:  # the error may be an unresolvable config itself
        config = OmegaConf.to_container(cfg, resolve=False)
    failure = {
        "schema": records.SCHEMA,
        "run_id": records.new_run_id(str(baseline)),
        "status": "failed",
        "baseline": baseline,
        "dataset": {"name": OmegaConf.select(cfg, "dataset.name", default=None)},
        "error": {
            "type": type(error).__name__,
            "message": str(error),
            "traceback": traceback.format_exception(error),
        },
        "config": config,
        "config_hash": records.config_hash(config),
        "overrides": _overrides(),
        "command": records.command_line(),
        "code_version": code_version(),
        "failed": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = Path(cfg.paths.results_dir) / "_failed" / f"{failure['run_id']}.failed.json"
    text = json.dumps(failure, indent=2, default=records._json_default)
    records.atomic_write_bytes(path, (text + "\n").encode())
    return path


def write_status(status: str, **info: Any) -> None:
    """``job_status.json`` in this job's Hydra output folder (multirun only); a status that
    cannot be written is warned about (the summary then lists the job as ``died``)."""
    hc = _hydra()
    if hc is None or not is_multirun():
        return
    out = Path(hc.runtime.output_dir) / STATUS_FILE
    body = {"status": status, "job": hc.job.num, "overrides": list(hc.overrides.task), **info}
    try:
        records.atomic_write_bytes(out, (json.dumps(body, indent=2, default=str) + "\n").encode())
    except OSError as e:
        print(f"warning: could not write {out}: {e}", file=sys.stderr)


def summarize(sweep_dir: str | Path) -> list[dict[str, Any]]:
    """One entry per job folder under ``sweep_dir`` (status ``died`` if it left none)."""
    rows = []
    for job in sorted(Path(sweep_dir).iterdir(), key=lambda p: (len(p.name), p.name)):
        if not (job.is_dir() and job.name.isdigit()):
            continue
        status = job / STATUS_FILE
        if status.exists():
            rows.append({"dir": str(job), **json.loads(status.read_text())})
        else:
            rows.append({"dir": str(job), "status": "died", "job": int(job.name)})
    return rows


def format_summary(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        what = r.get("record") or r.get("failure") or r.get("reason") or r["dir"]
        err = f"  {r['error']}" if r.get("error") else ""
        lines.append(f"  [{r['status']:>7}] #{r.get('job')} {' '.join(r.get('overrides', []))}"
                     f" -> {what}{err}")  # fmt: skip
    kinds = ("ok", "skipped", "n/a", "failed", "died")  # n/a: baseline/dataset of other kinds
    counts = {s: sum(r["status"] == s for r in rows) for s in kinds}
    head = "sweep: " + ", ".join(f"{v} {k}" for k, v in counts.items())
    return "\n".join([head, *lines])


class SweepSummary(Callback):
    """Hydra callback: summarise every job of a multirun; exit 1 if any failed."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        rows = summarize(sweep_dir)
        print(format_summary(rows))  # first: the summary is shown even if saving it fails
        text = json.dumps(rows, indent=2, default=str) + "\n"
        try:
            records.atomic_write_bytes(sweep_dir / "sweep_summary.json", text.encode())
        except OSError as e:
            log.error("could not write %s: %s", sweep_dir / "sweep_summary.json", e)
        bad = [r for r in rows if r["status"] in ("failed", "died")]
        if bad:
            log.error("%d of %d runs failed; see %s", len(bad), len(rows), sweep_dir)
            raise SystemExit(1)
