"""Quiet by default: one line per stage, details only under ``INCUMBENT_DEBUG=1``.

Lightning attaches its own console handler to its loggers, and Hydra attaches one to the
root logger, so each Lightning INFO line (devices found, a tip to install a cloud
service) printed twice; their informational loggers are kept to warnings here. Loader details (e.g.
each re-decoded Aalto row) are logged at DEBUG and summarised in one INFO line.
"""

from __future__ import annotations

import logging
import sys
import warnings

# Lightning's informational lines (devices, tips) come from these loggers; Lightning resets
# its package logger's level when imported, but not theirs, so this holds in any order.
RANK_ZERO = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")


# Warnings that say nothing about the run: Lightning's hint to use `srun` on any machine
# that has SLURM installed (sweeps on SLURM use Hydra's launcher instead), and a
# deprecation inside Lightning itself.
NOISE = (r"The `srun` command is available on your system", r"`isinstance\(treespec, LeafSpec\)`")


def configure(debug: bool = False) -> None:
    if not debug:
        for pattern in NOISE:
            warnings.filterwarnings("ignore", message=pattern)
    for name in RANK_ZERO:
        logging.getLogger(name).setLevel(logging.INFO if debug else logging.WARNING)
    logging.getLogger("incumbent").setLevel(logging.DEBUG if debug else logging.INFO)


def progress_bars(wanted: bool) -> bool:
    """Progress bars only on a terminal: in a log file each redraw is a stray fragment."""
    return bool(wanted) and sys.stderr.isatty()
