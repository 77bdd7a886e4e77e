"""Demographic fairness of a verifier at a fixed, a-priori (development-chosen) threshold.

Groups are defined by the **enrolled subject** (the account under attack): a group's
FNMR is over its subjects' genuine attempts, its FMR over the impostor attempts made
*against* its subjects' models. Per group:

* ``eer``: mean per-subject (a-posteriori) EER of the group's subjects, as the
  record's primary metric;
* ``fmr`` / ``fnmr``: pooled rates of the group's evaluation attempts at the one global
  threshold chosen on the development subjects (``score >= t`` accepted, ties accepted,
  as :mod:`incumbent.evaluation.thresholds`).

A group with fewer than ``min_subjects`` evaluation subjects is reported as
``too few subjects`` with no rates: a rate over three people is an anecdote.

The summary **disparity** is ``1 - FDR`` with the Fairness Discrepancy Rate of de
Freitas Pereira & Marcel ("Fairness in Biometrics: a figure of merit to assess
biometric verification systems", IEEE T-BIOM 4(1), 2022; also ``bob.measure.fairness``):
``FDR(t) = 1 - (alpha * max|FMR_a - FMR_b| + (1 - alpha) * max|FNMR_a - FNMR_b|)``
over pairs of groups, with ``alpha = 0.5``. So disparity = 0 means every reported group
has the same FMR and FNMR at the threshold; 1 is the worst. It is bounded and defined
when a group's error is zero, unlike a max/min ratio.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MIN_SUBJECTS = 10
ALPHA = 0.5
AGE_BINS = (25, 35)
"""Numeric attributes (age) are cut at these edges: ``<25``, ``25-34``, ``>=35``."""


def groups_of(demographics: pd.DataFrame, bins=AGE_BINS) -> dict[str, pd.Series]:
    """attribute -> (subject -> group label); numeric columns binned at ``bins``."""
    out = {}
    for col in demographics.columns:
        v = demographics[col]
        if pd.api.types.is_numeric_dtype(v):
            edges = [-np.inf, *bins, np.inf]
            names = [f"<{bins[0]}"]
            names += [f"{a}-{b - 1}" for a, b in zip(bins, bins[1:], strict=False)]
            names += [f">={bins[-1]}"]
            v = pd.cut(v, edges, right=False, labels=names).astype(str)
        out[str(col).lower()] = v.astype(str).rename(index=str)
    return out


def group_table(
    eval_scores: pd.DataFrame,
    per_subject_eer: pd.Series,
    groups: pd.Series,
    threshold: float,
    min_subjects: int = MIN_SUBJECTS,
) -> pd.DataFrame:
    """One row per group: subjects, EER, and FMR/FNMR at ``threshold`` (or too few)."""
    subj = eval_scores["subject"].astype(str)
    eer = per_subject_eer.rename(index=str)
    rows = []
    for name in sorted(groups.unique()):
        members = set(groups.index[groups == name])
        part = eval_scores[subj.isin(members).to_numpy()]
        n_eval = part["subject"].astype(str).nunique()
        in_eer = eer[eer.index.isin(members)]
        row = {"group": name, "subjects": int(len(in_eer)), "eval_subjects": int(n_eval),
               "eer": float(in_eer.mean()) if len(in_eer) else None}  # fmt: skip
        if n_eval < min_subjects:
            row.update(fmr=None, fnmr=None, status=f"too few subjects ({n_eval} < {min_subjects})")
        else:
            lab = part["label"].to_numpy()
            s = part["score"].to_numpy(np.float64)
            row.update(fmr=float(np.mean(s[lab == 0] >= threshold)),
                       fnmr=float(np.mean(s[lab == 1] < threshold)), status="ok")  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows)


def disparity(table: pd.DataFrame, alpha: float = ALPHA) -> float | None:
    """``1 - FDR`` over the groups reported as ``ok``; ``None`` with fewer than two."""
    ok = table[table["status"] == "ok"]
    if len(ok) < 2:
        return None
    fmr_gap = float(ok["fmr"].max() - ok["fmr"].min())
    fnmr_gap = float(ok["fnmr"].max() - ok["fnmr"].min())
    return alpha * fmr_gap + (1 - alpha) * fnmr_gap
