"""Challenger vs incumbent: a paired, per-subject, significance-tested comparison gate.

Δ is always **challenger - incumbent** in the metric's own units; whether a negative Δ is
an improvement depends on the metric's direction (see :mod:`incumbent.gate.leaderboard`).

The challenger *wins* against an incumbent when the Wilcoxon signed-rank p-value of the
per-subject differences of the primary metric, Holm-adjusted over all incumbents it is
compared with, is below ``alpha`` and the mean Δ points the better way. A guard metric
*regresses* when the challenger is worse than the incumbent by more than that metric's
tolerance (absolute, on the record-level value). The gate passes only when the
challenger wins against every incumbent and no guard regresses anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from incumbent.evaluation import stats
from incumbent.gate.eligibility import label
from incumbent.gate.leaderboard import guard_metrics, higher_is_better, metric_value, primary_metric

DEFAULT_TOLERANCE = 0.01  # absolute: one percentage point on a rate, 0.01 on an AUC
ALPHA = 0.05
N_RESAMPLES = 2000

# Exit codes of `incumbent compare` (CI gates on 0).
EXIT_WIN = 0  # significant win on the primary metric, no guard regresses
EXIT_NO_WIN = 1  # not significantly better (a tie, or a loss)
EXIT_USAGE = 2  # bad command line (argparse's own code)
EXIT_LATERAL = 3  # significant win on the primary metric, but a guard regresses
EXIT_INCOMPARABLE = 4  # records differ in dataset / protocol / subjects, or were not found


class Incomparable(ValueError):
    """The two records were not produced on the same data under the same protocol."""


def check_comparable(a: dict, b: dict) -> None:
    """Raise :class:`Incomparable` naming the first difference that forbids pairing."""
    da, db = a["dataset"], b["dataset"]
    pa, pb = a["protocol"], b["protocol"]
    ida, idb = a["run_id"], b["run_id"]
    checks = [
        ("dataset", da["name"], db["name"]),
        ("dataset checksum", da.get("checksum"), db.get("checksum")),
        ("protocol", pa["name"], pb["name"]),
        ("protocol version", pa["version"], pb["version"]),
        ("protocol parameters", pa.get("params"), pb.get("params")),
        ("primary metric", primary_metric(a), primary_metric(b)),
    ]
    for what, x, y in checks:
        if x != y:
            raise Incomparable(f"cannot compare {ida} with {idb}: {what} differs ({x!r} vs {y!r})")
    sa, sb = _subjects(a), _subjects(b)
    if set(sa) != set(sb):
        only_a, only_b = sorted(set(sa) - set(sb)), sorted(set(sb) - set(sa))
        raise Incomparable(
            f"cannot compare {ida} with {idb}: subject sets differ "
            f"(only in the first: {only_a[:5]}{'...' if len(only_a) > 5 else ''}; "
            f"only in the second: {only_b[:5]}{'...' if len(only_b) > 5 else ''})"
        )


def _subjects(r: dict) -> list[str]:
    return [str(row["subject"]) for row in r["per_subject"]]


def per_subject_values(r: dict, metric: str) -> dict[str, float]:
    try:
        return {str(row["subject"]): float(row[metric]) for row in r["per_subject"]}
    except KeyError as e:
        raise Incomparable(f"{r['run_id']}: per_subject rows lack {e}") from e


@dataclass
class Guard:
    metric: str
    challenger: float | None
    incumbent: float | None
    tolerance: float

    @property
    def delta(self) -> float | None:
        if self.challenger is None or self.incumbent is None:
            return None
        return self.challenger - self.incumbent

    @property
    def worse_by(self) -> float | None:
        """How much worse the challenger is (positive = worse), whatever the direction."""
        d = self.delta
        if d is None:
            return None
        return -d if higher_is_better(self.metric) else d

    @property
    def regresses(self) -> bool:
        w = self.worse_by
        return w is not None and w > self.tolerance + 1e-12


@dataclass
class Versus:
    """The challenger against one incumbent."""

    incumbent: dict
    metric: str
    result: stats.PairedResult
    challenger_value: float
    incumbent_value: float
    p_holm: float = 1.0
    guards: list[Guard] = field(default_factory=list)
    alpha: float = ALPHA

    @property
    def better(self) -> bool:
        d = self.result.mean_delta
        return d > 0 if higher_is_better(self.metric) else d < 0

    @property
    def significant(self) -> bool:
        return self.p_holm < self.alpha

    @property
    def outcome(self) -> str:
        if not self.significant or self.result.mean_delta == 0:
            return "no significant difference"
        return "WIN" if self.better else "LOSS"


@dataclass
class Comparison:
    challenger: dict
    versus: list[Versus]

    @property
    def regressions(self) -> list[tuple[str, Guard]]:
        return [(v.incumbent["run_id"], g) for v in self.versus for g in v.guards if g.regresses]

    @property
    def wins(self) -> bool:
        return all(v.outcome == "WIN" for v in self.versus)

    @property
    def exit_code(self) -> int:
        if not self.wins:
            return EXIT_NO_WIN
        return EXIT_LATERAL if self.regressions else EXIT_WIN

    @property
    def verdict(self) -> str:
        return {
            EXIT_WIN: "PASS: the challenger wins significantly and no guard metric regresses",
            EXIT_NO_WIN: "FAIL: the challenger does not win significantly on the primary metric",
            EXIT_LATERAL: "FAIL (lateral move): a significant win, but a guard metric regresses",
        }[self.exit_code]


def compare(
    challenger: dict,
    incumbents: list[dict],
    tolerances: dict[str, float] | None = None,
    default_tolerance: float = DEFAULT_TOLERANCE,
    alpha: float = ALPHA,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> Comparison:
    """Compare ``challenger`` with each of ``incumbents`` (Holm-adjusted across them)."""
    if not incumbents:
        raise ValueError("nothing to compare the challenger with")
    if n_resamples < 1000:
        raise ValueError(f"n_resamples={n_resamples}: use at least 1000 bootstrap resamples")
    tolerances = tolerances or {}
    metric = primary_metric(challenger)
    versus = []
    for inc in incumbents:
        check_comparable(challenger, inc)
        a, b = per_subject_values(challenger, metric), per_subject_values(inc, metric)
        subjects = sorted(a)
        result = stats.paired(
            [a[s] for s in subjects], [b[s] for s in subjects], n_resamples=n_resamples, seed=seed
        )
        guards = [
            Guard(g, metric_value(challenger, g), metric_value(inc, g),
                  tolerances.get(g, default_tolerance))
            for g in guard_metrics(challenger)
        ]  # fmt: skip
        versus.append(
            Versus(
                incumbent=inc, metric=metric, result=result, guards=guards, alpha=alpha,
                challenger_value=metric_value(challenger, metric),
                incumbent_value=metric_value(inc, metric),
            )
        )  # fmt: skip
    for v, p in zip(versus, stats.holm([v.result.p for v in versus]), strict=True):
        v.p_holm = p
    return Comparison(challenger=challenger, versus=versus)


def _f(x, spec="+.4f") -> str:
    return "—" if x is None else format(x, spec)


def primary_table(c: Comparison) -> pd.DataFrame:
    rows = []
    for v in c.versus:
        r = v.result
        rows.append(
            {
                "incumbent": label(v.incumbent),
                "challenger": _f(v.challenger_value, ".4f"),
                "incumbent value": _f(v.incumbent_value, ".4f"),
                "mean Δ": _f(r.mean_delta),
                "95% CI": f"[{r.ci[0]:+.4f}, {r.ci[1]:+.4f}]",
                "Wilcoxon p": f"{r.p:.2g}",
                "Holm p": f"{v.p_holm:.2g}",
                "outcome": v.outcome,
            }
        )
    return pd.DataFrame(rows)


def guard_table(c: Comparison) -> pd.DataFrame:
    rows = []
    for v in c.versus:
        for g in v.guards:
            rows.append(
                {
                    "vs": v.incumbent["baseline"],
                    "guard": g.metric + (" ↑" if higher_is_better(g.metric) else " ↓"),
                    "challenger": _f(g.challenger, ".4f"),
                    "incumbent": _f(g.incumbent, ".4f"),
                    "Δ": _f(g.delta),
                    "tolerance": f"{g.tolerance:.4f}",
                    "flag": "REGRESSES" if g.regresses else "ok",
                }
            )
    return pd.DataFrame(rows)


def render(c: Comparison, fmt: str = "simple") -> str:
    ch = c.challenger
    v0 = c.versus[0]
    metric = v0.metric
    direction = "higher" if higher_is_better(metric) else "lower"
    lines = [
        f"challenger {label(ch)}",
        f"  on {ch['dataset']['name']} / {ch['protocol']['name']} v{ch['protocol']['version']}, "
        f"{v0.result.n} subjects paired",
        f"primary metric: {metric} per subject ({direction} is better); Δ = challenger - incumbent;"
        f" subject bootstrap {v0.result.n_resamples} resamples (seed {v0.result.seed}); "
        f"Wilcoxon signed-rank, two-sided"
        + (f", Holm-adjusted over {len(c.versus)} incumbents" if len(c.versus) > 1 else "")
        + f"; alpha {v0.alpha}",
        "",
        primary_table(c).to_markdown(index=False, tablefmt=fmt, disable_numparse=True),
        "",
        "guard metrics (record level; REGRESSES = worse by more than the tolerance):",
        guard_table(c).to_markdown(index=False, tablefmt=fmt, disable_numparse=True),
        "",
        f"{c.verdict} (exit {c.exit_code})",
    ]
    return "\n".join(lines)
