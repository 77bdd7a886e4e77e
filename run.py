"""Entry point: ``python run.py baseline=<name>`` or ``python run.py -m 'baseline=glob(*)'``.

The job itself is :func:`incumbent.running.app.task` (also behind ``incumbent run``). A
single run's mistakes are found before Hydra starts (:func:`incumbent.running.errors.precheck`):
one line on stderr, exit status 2, ``INCUMBENT_DEBUG=1`` adds the traceback.
"""

import sys

import hydra
from omegaconf import DictConfig

import incumbent  # noqa: F401  (registers the config resolvers)
from incumbent import resource
from incumbent.running import errors
from incumbent.running.app import task


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> float:
    return task(cfg)


if __name__ == "__main__":
    errors.precheck(sys.argv[1:], str(resource("conf")))
    main()
