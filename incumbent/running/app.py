"""The Hydra application: ``python run.py <overrides>`` in a checkout, ``incumbent run
<overrides>`` anywhere (an installed kit reads its packaged ``conf/``).

Everything after ``run`` goes to Hydra as is: overrides, ``-m`` sweeps, ``--cfg job``, and
``--config-dir DIR`` (``-cd``), which adds a folder of your own configs (e.g. your
``conf/baseline/<name>.yaml``) in front of the kit's, so ``baseline=<name>`` and
``-m 'baseline=glob(*)'`` see both. The modules those configs name must be importable
(an installed package, ``pip install -e .``, or ``PYTHONPATH``).
"""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

from incumbent import resource
from incumbent.running import sweep
from incumbent.running.pipeline import IncompatibleInput, run, summary_table


def task(cfg: DictConfig) -> float:
    """One Hydra job: run the cell, print its summary; in a multirun, record failures."""
    try:
        record = run(cfg)
    except IncompatibleInput as e:
        if not sweep.is_multirun():
            raise
        # `-m 'baseline=glob(*)'` meets baselines of other data kinds: not a failure
        sweep.write_status("n/a", reason=str(e))
        print(f"n/a: {e}")
        return float("nan")
    except Exception as e:
        failure = sweep.write_failure(cfg, e)
        if not sweep.is_multirun():
            raise
        # a multirun goes on with the other jobs; SweepSummary reports this one at the end
        sweep.write_status("failed", failure=str(failure), error=f"{type(e).__name__}: {e}")
        print(f"FAILED: {type(e).__name__}: {e}\n  details: {failure}")
        return float("nan")
    skipped = record.get("_skipped", False)
    sweep.write_status("skipped" if skipped else "ok", record=record["_path"])
    if skipped:
        print("skipped: a record for this config, code version and data exists (force=true reruns)")
    print(summary_table(record))
    # returned for Hydra sweepers (Optuna minimises the primary metric)
    return record["metrics"][f"{record['protocol']['primary_metric']}_mean"]


def main(argv: list[str]) -> int:
    """``incumbent run ARGS``: the Hydra app on the kit's own config folder."""
    app = hydra.main(version_base="1.3", config_path=str(resource("conf")), config_name="config")
    sys.argv = ["incumbent run", *argv]  # Hydra parses sys.argv; records keep this command
    app(task)()
    return 0
