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
from incumbent.running import errors, quiet, sweep
from incumbent.running.pipeline import hydra_overrides, run, summary_table


def task(cfg: DictConfig) -> float:
    """One Hydra job: run the cell, print its summary.

    A single run's error is one line and a non-zero exit (2: fix the command line or
    config, 1: a crash; ``INCUMBENT_DEBUG=1`` adds the traceback) and writes nothing.
    Only a multirun records a failed job (``<results>/_failed/``), so that the sweep goes
    on and reports it at the end; a pair that does not fit is ``n/a`` there.
    """
    quiet.configure(debug=errors.debug())
    multirun = sweep.is_multirun()
    try:
        errors.validate(cfg, hydra_overrides())
        record = run(cfg)
    except errors.IncompatibleInput as e:
        if not multirun:
            raise SystemExit(errors.report(e)) from None
        # `-m 'baseline=glob(*)'` meets baselines of other data kinds: not a failure
        sweep.write_status("n/a", reason=str(e))
        print(f"n/a: {e}")
        return float("nan")
    except Exception as e:
        if not multirun:
            raise SystemExit(errors.report(e)) from None
        # a multirun goes on with the other jobs; SweepSummary reports this one at the end
        failure = sweep.write_failure(cfg, e)
        sweep.write_status("failed", failure=str(failure), error=f"{type(e).__name__}: {e}")
        print(f"FAILED: {errors.one_line(e)}\n  details: {failure}")
        return float("nan")
    skipped = record.get("_skipped", False)
    sweep.write_status("skipped" if skipped else "ok", record=record["_path"])
    if skipped:
        print("skipped: a record for this config, code version and data exists (force=true reruns)")
    print(summary_table(record))
    # returned for Hydra sweepers (Optuna minimises the primary metric)
    m, name = record["metrics"], record["protocol"]["primary_metric"]
    return m.get(name, m.get(f"{name}_mean"))


def main(argv: list[str]) -> int:
    """``incumbent run ARGS``: the Hydra app on the kit's own config folder."""
    errors.precheck(argv, str(resource("conf")))  # a single run's mistakes: one line
    app = hydra.main(version_base="1.3", config_path=str(resource("conf")), config_name="config")
    sys.argv = ["incumbent run", *argv]  # Hydra parses sys.argv; records keep this command
    app(task)()
    return 0
