"""Fail early: what a run checks before it reads data or computes anything.

* the protocol's parameters (each protocol checks its own in ``__init__``, through
  :func:`positive_int` and friends below) and the seed;
* that ``paths.results_dir`` can be written (a record that cannot be saved is found
  now, not after an hour of fitting);
* which sweeper launched the run, so a tuned sweep's record says so (``sweep`` block).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np


class ParameterError(ValueError):
    """A protocol or run parameter is out of its range (raised before any data is read)."""


def _is_int(v: Any) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def positive_int(owner: str, **values: Any) -> None:
    for name, v in values.items():
        if not _is_int(v) or v < 1:
            raise ParameterError(f"{owner}: {name} must be a positive integer, got {v!r}")


def non_negative_int(owner: str, **values: Any) -> None:
    for name, v in values.items():
        if not _is_int(v) or v < 0:
            raise ParameterError(f"{owner}: {name} must be an integer >= 0, got {v!r}")


def fraction(owner: str, **values: Any) -> None:
    """Values strictly between 0 and 1 (a share of the data, a rate target)."""
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 1:
            raise ParameterError(f"{owner}: {name} must be a number in (0, 1), got {v!r}")


def one_of(owner: str, name: str, value: Any, allowed) -> None:
    if value not in allowed:
        raise ParameterError(f"{owner}: {name} must be one of {list(allowed)}, got {value!r}")


def check_seed(seed: Any) -> None:
    non_negative_int("run", seed=seed)


def check_writable(folder: str | Path) -> None:
    """Create ``folder`` if needed and prove a file can be written there."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".write-test.")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise PermissionError(
            f"paths.results_dir={folder} cannot be written ({e.strerror or e}); "
            "set paths.results_dir (or $INCUMBENT_RESULTS) to a writable folder"
        ) from None


def sweep_info() -> dict[str, Any] | None:
    """``{"sweeper": <class>, "tuned": bool}`` in a Hydra multirun, else ``None``.

    Any sweeper but Hydra's plain grid chooses its next values from the runs' results,
    which here are test-set metrics: its records are tuned, never an incumbent.
    """
    try:
        from hydra.core.hydra_config import HydraConfig

        hc = HydraConfig.get()
    except (ValueError, ImportError):
        return None
    if str(hc.mode) != "RunMode.MULTIRUN":
        return None
    target = str(hc.sweeper.get("_target_") or "")
    from incumbent.gate.eligibility import GRID_SWEEPERS

    return {"sweeper": target, "tuned": target.rsplit(".", 1)[-1] not in GRID_SWEEPERS}
