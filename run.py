"""Entry point: ``python run.py baseline=<name>`` or ``python run.py -m 'baseline=glob(*)'``.

A mistake is one line on stderr and a non-zero exit (2: fix the command line or config;
1: a crash); ``INCUMBENT_DEBUG=1`` adds the traceback. Only a multirun records a failed
job (``<results>/_failed/``), so that the sweep goes on and reports it at the end.
"""

import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig

import incumbent  # noqa: F401  (registers the config resolvers)
from incumbent.running import errors, quiet, sweep
from incumbent.running.pipeline import hydra_overrides, run, summary_table

CONF = str(Path(__file__).resolve().parent / "conf")


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
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


if __name__ == "__main__":
    errors.precheck(sys.argv[1:], CONF)  # a single run's mistakes: one line, before Hydra
    main()
