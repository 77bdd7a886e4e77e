"""Entry point: ``python run.py baseline=<name>`` or ``python run.py -m 'baseline=glob(*)'``."""

import hydra
from omegaconf import DictConfig

import incumbent  # noqa: F401  (registers the config resolvers)
from incumbent.pipeline import run, summary_table


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
    record = run(cfg)
    print(summary_table(record))
    # returned for Hydra sweepers (Optuna minimises the primary metric)
    return record["metrics"][f"{record['protocol']['primary_metric']}_mean"]


if __name__ == "__main__":
    main()
