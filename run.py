"""Entry point: ``python run.py baseline=<name>`` or ``python run.py -m 'baseline=glob(*)'``."""

import hydra
from omegaconf import DictConfig

import incumbent  # noqa: F401  (registers the config resolvers)
from incumbent.running import sweep
from incumbent.running.pipeline import IncompatibleInput, run, summary_table


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
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
        failure = sweep.write_failure(cfg, e)  # never raises: `e` stays the error reported
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


if __name__ == "__main__":
    main()
