"""A-priori operating thresholds: choose a threshold on development scores, then measure
FMR, FNMR and HTER with it on separate evaluation scores (as ``bob.measure``'s
``eer_threshold`` / ``far_threshold`` followed by ``farfrr`` on the evaluation set).

Conventions, the same as :mod:`incumbent.evaluation.metrics`:

* score: higher = more genuine. A sample is **accepted** at threshold ``t`` when
  ``score >= t`` (**ties are accepted**).
* FMR(t) = fraction of impostor scores accepted; FNMR(t) = fraction of genuine scores
  rejected; HTER(t) = (FMR(t) + FNMR(t)) / 2 (Bengio & Mariéthoz 2004; bob.measure).
* Candidate thresholds are the ROC cut-offs: every distinct development score, plus
  ``+inf`` (nothing accepted). A chosen threshold is always one of them, so it is a
  development score (or ``+inf``), never a value interpolated between two scores.

Targets (:data:`TARGETS`):

* ``eer``: the cut-off minimising ``|FMR - FNMR|`` on the development scores; among
  equally good cut-offs, the **highest** threshold (the stricter one: fewer false matches).
* ``fmr1`` / ``fmr0.1``: the **lowest** cut-off (most lenient, so the lowest FNMR) whose
  development FMR does not exceed 1 % / 0.1 %; the same rule as
  :func:`incumbent.evaluation.metrics.fnmr_at_fmr`, so on the development scores
  ``rates_at(g, i, threshold_for(g, i, "fmr1"))[1] == fnmr_at_fmr(g, i, 0.01)``.
"""

from __future__ import annotations

import numpy as np

from incumbent.evaluation.curves import as_arrays, roc

TARGETS = {"eer": None, "fmr1": 0.01, "fmr0.1": 0.001}
"""Target name -> FMR bound (``None``: the EER point). Names appear in metric keys."""


def threshold_for(genuine, impostor, target: str) -> float:
    """The threshold for ``target`` (a key of :data:`TARGETS`) on development scores."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {sorted(TARGETS)}")
    thr, fmr, fnmr = roc(genuine, impostor)  # thresholds descending, +inf first
    bound = TARGETS[target]
    if bound is None:
        gap = np.abs(fmr - fnmr)
        return float(thr[int(np.flatnonzero(gap == gap.min())[0])])  # first = highest
    ok = np.flatnonzero(fmr <= bound)  # never empty: FMR(+inf) = 0
    return float(thr[ok[-1]])  # last = lowest threshold still within the bound


def rates_at(genuine, impostor, threshold: float) -> tuple[float, float]:
    """(FMR, FNMR) of evaluation scores at a fixed ``threshold`` (``score >= t`` accepted)."""
    g, i = as_arrays(genuine, impostor)
    return float(np.mean(i >= threshold)), float(np.mean(g < threshold))


def hter_at(genuine, impostor, threshold: float) -> float:
    """Half total error rate (FMR + FNMR) / 2 at a fixed ``threshold``."""
    fmr, fnmr = rates_at(genuine, impostor, threshold)
    return (fmr + fnmr) / 2


def apriori(dev_genuine, dev_impostor, eval_genuine, eval_impostor) -> dict[str, dict]:
    """For every target: the development threshold and the evaluation FMR, FNMR, HTER."""
    out = {}
    for target in TARGETS:
        t = threshold_for(dev_genuine, dev_impostor, target)
        fmr, fnmr = rates_at(eval_genuine, eval_impostor, t)
        out[target] = {"threshold": t, "fmr": fmr, "fnmr": fnmr, "hter": (fmr + fnmr) / 2}
    return out
