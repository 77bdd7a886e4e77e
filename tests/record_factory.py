"""Synthetic run records in the pipeline's schema, for the CLI / compare / plot tests.

(Imported by test modules: pytest puts tests/ on sys.path because conftest.py lives there.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from incumbent.evaluation import metrics
from incumbent.running import records, resume

GUARDS = ["fnmr_at_fmr_1pct", "zero_miss_far", "auc"]


def make_record(
    baseline: str,
    per_subject: dict[str, list[float]],
    *,
    run_id: str | None = None,
    dataset: str = "toy",
    checksum: str = "c0ffee" * 8,
    protocol: str = "toyproto",
    version: int = 1,
    primary: str = "eer",
    guards: list[str] | None = None,
    subjects: list[str] | None = None,
    reported: dict | None = None,
    git: dict | None = None,
    overrides: list[str] | None = None,
    params: dict | None = None,
) -> dict:
    """A record whose per-subject metric columns are ``per_subject`` (name -> values)."""
    n = len(next(iter(per_subject.values())))
    subjects = subjects or [f"s{k:03d}" for k in range(n)]
    table = pd.DataFrame({"subject": subjects, **per_subject})
    return {
        "schema": 1,
        "run_id": run_id or f"20260101T000000-{baseline}-000000",
        "baseline": baseline,
        "paper": None,
        "dataset": {"name": dataset, "checksum": checksum, "subjects": n},
        "protocol": {
            "name": protocol,
            "version": version,
            "params": {"n_train": 5} if params is None else params,
            "primary_metric": primary,
            "guard_metrics": GUARDS if guards is None else guards,
        },  # fmt: skip
        "seed": 0,
        "metrics": metrics.aggregate(table),
        "reported": reported,
        "per_subject": table.to_dict(orient="records"),
        "git": git or {"sha": "0123456789abcdef0123456789abcdef01234567", "dirty": False},
        "config": {"baseline": {"name": baseline}},
        "config_hash": f"hash-{baseline}-{run_id}",
        "overrides": overrides if overrides is not None else [f"baseline={baseline}", "seed=0"],
        "command": f"run.py baseline={baseline}",
        "versions": {},
        "started": "2026-01-01T00:00:00+00:00",
        "wall_time_s": 0.1,
    }


def eer_record(baseline: str, eer, guards: dict[str, float] | None = None, **kw) -> dict:
    """Per-subject EERs given; guard metrics constant per subject (``guards`` overrides)."""
    eer = np.asarray(eer, dtype=float)
    cols = {"eer": eer.tolist()}
    base = {"fnmr_at_fmr_1pct": 0.40, "zero_miss_far": 0.50, "auc": 0.95, **(guards or {})}
    for g, v in base.items():
        cols[g] = [float(v)] * eer.size
    return make_record(baseline, cols, **kw)


def save(record: dict, root: Path) -> Path:
    """Write ``record`` (no scores) where the pipeline would; return the path."""
    folder = records.record_dir(root, record)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{record['run_id']}.json"
    path.write_text(json.dumps({k: v for k, v in record.items() if not k.startswith("_")}))
    record["_path"] = str(path)
    return path


def synthetic_scores(n_subjects: int = 6, n_gen: int = 40, n_imp: int = 60, shift: float = 2.0,
                     seed: int = 0) -> pd.DataFrame:  # fmt: skip
    """A scores table: genuine ~ N(shift, 1), impostor ~ N(0, 1), subject-specific offsets."""
    rng = np.random.default_rng(seed)
    parts = []
    for k in range(n_subjects):
        off = rng.normal(0, 0.5)
        g = rng.normal(shift, 1, n_gen) + off
        i = rng.normal(0, 1, n_imp) + off
        parts.append(
            pd.DataFrame(
                {
                    "subject": f"s{k:03d}",
                    "label": np.r_[np.ones(n_gen, np.int8), np.zeros(n_imp, np.int8)],
                    "score": np.r_[g, i],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def record_from_scores(baseline: str, scores: pd.DataFrame, results_dir: Path, **kw) -> dict:
    """A record computed from ``scores`` by the real metrics, written with its parquet."""
    table = metrics.per_subject(scores)
    cols = {c: table[c].tolist() for c in table.columns if c != "subject"}
    rec = make_record(baseline, cols, subjects=table["subject"].tolist(), **kw)
    path = records.write(rec, scores, results_dir)
    rec["_path"] = str(path)
    return rec


def valid_record_files(results) -> list[dict]:
    """Every non-hidden record JSON parses and its scores match the stated sha256."""
    out = []
    for path in sorted(results.rglob("*.json")):
        if "_failed" in path.parts or path.name.startswith("."):
            continue
        rec = json.loads(path.read_text())  # raises on a half-written file
        rec["_path"] = str(path)
        assert resume.scores_intact(rec), f"{path}: scores missing or corrupt"
        out.append(rec)
    return out


def assert_lateral_move(verdict, metric: str) -> None:
    """The gate's lateral move: a WIN on the primary metric, ``metric`` alone regressing,
    exit 3, and the rendered verdict saying so."""
    from incumbent.gate import compare as cmp

    assert verdict.versus[0].outcome == "WIN"
    assert {g.metric for _, g in verdict.regressions} == {metric}
    assert verdict.exit_code == cmp.EXIT_LATERAL
    assert "REGRESSES" in cmp.render(verdict)
