"""What a protocol is, and the per-subject enrol/score loop most protocols share.

A protocol turns a :class:`~incumbent.data.cards.Dataset` and a baseline into a **scores
table**: one row per (enrolled subject, probe sample) with columns ``subject``,
``label`` (1 genuine, 0 impostor), ``score`` (higher = more genuine) and any
protocol-specific columns (e.g. ``probe_subject``). Metrics are computed from that
table only, so every protocol, fixed-text or event-stream, feeds the same metrics,
records and reports.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from incumbent.running.baseline import genuineness


@dataclass
class SubjectSplit:
    """One enrolled subject: what the baseline is fitted on and what it scores."""

    subject: str
    train: Any
    genuine: Any
    impostor: Any
    impostor_subjects: np.ndarray


OPERATING_OPTIONS = ("operating_split", "dev_fraction", "operating_seed", "identification")
"""Keys every protocol's config may hold beside its own arguments: options of the
post-processing step in :mod:`incumbent.evaluation.operating`, not of the protocol."""


def _taking_operating_options(init):
    """Wrap a protocol ``__init__`` so that :data:`OPERATING_OPTIONS` given with its own
    arguments (``instantiate(cfg.protocol)``) land in ``self.operating_options``; a
    protocol's own argument of the same name stays its own."""
    own = set(inspect.signature(init).parameters)
    taken = tuple(k for k in OPERATING_OPTIONS if k not in own)

    @functools.wraps(init)  # keeps the signature: params() still reads the own arguments
    def wrapper(self, *args, **kwargs):
        options = {k: kwargs.pop(k) for k in taken if k in kwargs}
        if options or not hasattr(self, "operating_options"):
            self.operating_options = options
        init(self, *args, **kwargs)

    return wrapper


class Protocol:
    """Base class: subclasses set ``name`` and ``version`` and implement ``splits``.

    Protocols whose baselines need a population-level training stage (deep models,
    open-set protocols) override :meth:`run` instead.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            cls.__init__ = _taking_operating_options(cls.__dict__["__init__"])

    name: str = ""
    version: int = 0
    primary_metric: str = "eer"
    guard_metrics: tuple[str, ...] = ("fnmr_at_fmr_1pct", "zero_miss_far", "auc")
    keep_models: bool = False
    """Set by the pipeline for identification: :meth:`run` then keeps ``kept_``, a list of
    (subject, fitted baseline, genuine probes) (incumbent/evaluation/operating.py)."""
    # which datasets it can run on: their `input:` kind, and the datasets whose layout it
    # is written for (None: any dataset of those kinds). Read before any data is loaded.
    reads: tuple[str, ...] = ("fixed_text",)
    for_datasets: tuple[str, ...] | None = None

    def splits(self, dataset) -> Iterator[SubjectSplit]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "params": self.params()}

    def params(self) -> dict[str, Any]:
        """The ``__init__`` arguments, read back from the attributes of the same name (as
        sklearn's ``get_params``); override only to summarise a bulky value."""
        names = inspect.signature(type(self).__init__).parameters
        return {k: getattr(self, k) for k in names if k != "self"}

    def run(self, dataset, make_baseline: Callable[[], Any], progress: bool = True):
        """Fit a fresh baseline per subject and score its genuine and impostor probes."""
        parts = []
        self.kept_ = []
        splits = list(self.splits(dataset))
        # optional fast path: a baseline with fit_many(list of X) -> list of fitted clones
        # trains all per-subject models in one batched pass (e.g. baselines/neural.py)
        batch_fit = getattr(make_baseline(), "fit_many", None)
        fitted = batch_fit([sp.train for sp in splits]) if batch_fit else None
        for k, sp in enumerate(
            tqdm(splits, desc=f"{self.name}: subjects", disable=not progress, leave=False)
        ):
            est = fitted[k] if fitted is not None else make_baseline().fit(sp.train)
            g = genuineness(est, sp.genuine)
            i = genuineness(est, sp.impostor)
            if self.keep_models:
                self.kept_.append((sp.subject, est, sp.genuine))
            parts.append(
                pd.DataFrame(
                    {
                        "subject": sp.subject,
                        "label": np.r_[np.ones(len(g), np.int8), np.zeros(len(i), np.int8)],
                        "score": np.r_[g, i],
                        "probe_subject": np.r_[np.full(len(g), sp.subject), sp.impostor_subjects],
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)
