"""Checks a run record passes before anything trusts it.

Every read of records (leaderboard, compare, cite, plot, promote, resume, papers) goes
through :func:`load`, which raises :class:`IntegrityError` naming the file and the first
failed check, in this order:

1. ``json``: the file parses as JSON and holds an object (not a list, not truncated);
2. ``schema``: it matches :data:`~incumbent.running.record_schema.RECORD_SCHEMA`;
3. ``finite``: every metric and per-subject value is a finite number (no NaN / inf);
4. ``range``: rates (EER, FMR, FNMR, FAR, AUC, accuracy, rank-k, ... and their sd) lie in [0, 1];
5. ``per-subject``: subjects are unique and every row holds the primary metric;
6. ``summary``: each per-subject column's ``<m>_mean`` / ``<m>_sd`` re-derive from the rows
   (mean and sd with ddof = 1, as :func:`incumbent.evaluation.metrics.aggregate`);
7. ``manifest``: under a folder holding ``MANIFEST.sha256`` (the committed ``incumbents/``),
   the file's sha256 is the one listed there, so a hand edit is caught without scores;
8. ``scores``: where the scores file the record names is present beside it, its sha256 is
   the recorded one and the per-subject metrics re-derive from the scores.

:func:`iter_valid` yields the records that pass and warns once (on stderr) for each that
does not; ``compare`` instead refuses a failing record with exit 4.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from incumbent.running.manifest import (  # noqa: F401  (re-exported: one module to import)
    MANIFEST,
    is_record_file,
    manifest_root,
    read_manifest,
    record_files,
    sha256_file,
    verify_manifest,
    write_manifest,
)
from incumbent.running.record_schema import RECORD_SCHEMA

RATE = re.compile(r"^(eer|auc|fnmr|fmr|far|frr|zero_miss|hter|tar|gar|acc|rank\d|dir|fpir|fnir)")
NOT_RATES = ("threshold", "_thr", "_time_s", "_loss", "_count", "_n_")
TOLERANCE = 1e-9  # summary vs rows: the same floats, summed in the same order

_validator = Draft202012Validator(RECORD_SCHEMA)
_warned: set[tuple[str, str]] = set()


class IntegrityError(ValueError):
    """A record failed a check: ``path`` names the file, ``check`` what failed."""

    def __init__(self, path: str | Path | None, check: str):
        self.path, self.check = str(path), check
        super().__init__(f"{path}: {check}")


def load(path: str | Path) -> dict[str, Any]:
    """Read and check the record at ``path``; raise :class:`IntegrityError` if it fails."""
    path = Path(path)
    try:
        rec = json.loads(path.read_bytes())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise IntegrityError(path, f"json: not readable as JSON ({e})") from None
    check(rec, path)
    rec["_path"] = str(path)
    return rec


def check(rec: Any, path: str | Path | None = None) -> None:
    """Raise :class:`IntegrityError` at the first check ``rec`` fails (see module doc)."""
    if not isinstance(rec, dict):
        raise IntegrityError(path, f"json: a record is an object, found {type(rec).__name__}")
    body = {k: v for k, v in rec.items() if not k.startswith("_")}
    # jsonschema walks the per-subject rows slowly (thousands of rows in a large record):
    # it validates the first row; _rows checks every row against the same rule
    rows = body.get("per_subject")
    sample = {**body, "per_subject": rows[:1]} if isinstance(rows, list) else body
    error = next(iter(sorted(_validator.iter_errors(sample), key=lambda e: e.path)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise IntegrityError(path, f"schema: {where}: {error.message}")
    bad_row = _rows(rows)
    if bad_row is not None:
        raise IntegrityError(path, f"schema: per_subject/{bad_row}: not a valid per-subject row")
    cols = _columns(body)
    for what in (_finite, _rates, _per_subject, _summary):
        problem = what(body, cols)
        if problem:
            raise IntegrityError(path, problem)
    if path is not None:
        problem = _manifest(Path(path)) or _scores(body, Path(path))
        if problem:
            raise IntegrityError(path, problem)


def _rows(rows: list) -> int | None:
    """Index of the first per-subject row the schema's row rule rejects, else ``None``."""
    for k, row in enumerate(rows):
        if not (
            isinstance(row, dict)
            and isinstance(row.get("subject"), str | int)
            and not isinstance(row.get("subject"), bool)
            and all(v is None or isinstance(v, int | float | str | bool) for v in row.values())
        ):
            return k
    return None


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _columns(rec: dict) -> dict[str, list]:
    """Per-subject numeric columns (text columns, e.g. a demographic group, are left out)."""
    cols: dict[str, list] = {}
    for row in rec["per_subject"]:
        for k, v in row.items():
            if k != "subject":
                cols.setdefault(k, []).append(v)
    return {k: vs for k, vs in cols.items() if any(_is_number(v) for v in vs)}


def _finite(rec: dict, cols: dict[str, list]) -> str | None:
    for k, v in rec["metrics"].items():
        if not math.isfinite(v):
            return f"finite: metrics.{k} is {v}"
    for k, values in cols.items():
        if not all(v is None or _is_number(v) for v in values):
            return f"per-subject: column {k} mixes numbers and other values"
        if any(v is not None and not math.isfinite(v) for v in values):
            return f"finite: per_subject column {k} holds NaN or inf"
    return None


def is_rate(metric: str) -> bool:
    """Rates (and their sd) lie in [0, 1]; counts, times and losses do not."""
    return bool(RATE.match(metric)) and not any(w in metric for w in NOT_RATES)


def _rates(rec: dict, cols: dict[str, list]) -> str | None:
    for k, v in rec["metrics"].items():
        if is_rate(k) and not 0.0 <= v <= 1.0:
            return f"range: metrics.{k} = {v} is a rate outside [0, 1]"
    for k, values in cols.items():
        if is_rate(k) and any(v is not None and not 0.0 <= v <= 1.0 for v in values):
            return f"range: per_subject column {k} holds a rate outside [0, 1]"
    return None


def _per_subject(rec: dict, cols: dict[str, list]) -> str | None:
    subjects = [str(r["subject"]) for r in rec["per_subject"]]
    if len(set(subjects)) != len(subjects):
        return "per-subject: a subject appears twice"
    primary = rec["protocol"]["primary_metric"]
    if not all(_is_number(row.get(primary)) for row in rec["per_subject"]):
        return f"per-subject: a row lacks a numeric primary metric {primary}"
    return None


def _summary(rec: dict, cols: dict[str, list]) -> str | None:
    m = rec["metrics"]
    for col, values in cols.items():
        if len(values) != len(rec["per_subject"]) or any(v is None for v in values):
            continue  # a metric some subjects lack has no summary to re-derive
        n = len(values)
        mean = math.fsum(values) / n
        sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
        for key, want in ((f"{col}_mean", mean), (f"{col}_sd", sd)):
            if key in m and not math.isclose(m[key], want, rel_tol=TOLERANCE, abs_tol=TOLERANCE):
                return f"summary: metrics.{key} = {m[key]} but the per-subject rows give {want}"
    return None


def _manifest(path: Path) -> str | None:
    root = manifest_root(path)
    if root is None:
        return None
    rel = path.resolve().relative_to(root).as_posix()
    want = read_manifest(root).get(rel)
    if want is None:
        return f"manifest: {rel} is not listed in {root / MANIFEST}"
    if sha256_file(path) != want:
        return f"manifest: sha256 differs from {root / MANIFEST} (edited after it was promoted)"
    return None


# -- scores beside the record --------------------------------------------------------------


def _scores(rec: dict, path: Path) -> str | None:
    info = rec.get("scores")
    if not info:
        return None
    file = path.with_name(info["file"])
    if not file.is_file():
        return None  # committed records carry no scores; resume reruns a local one
    stat = file.stat()
    return _scores_problem(str(file), stat.st_size, stat.st_mtime_ns, info["sha256"],
                           json.dumps(rec["per_subject"], sort_keys=True))  # fmt: skip


@functools.cache  # a leaderboard reads the same records many times in one process
def _scores_problem(file: str, size: int, mtime_ns: int, sha: str, rows: str) -> str | None:
    import pandas as pd

    from incumbent.evaluation import metrics

    if sha256_file(Path(file)) != sha:
        return f"scores: {Path(file).name} does not have the sha256 the record states"
    table = metrics.per_subject(pd.read_parquet(file))
    derived = {str(r["subject"]): r for r in table.to_dict(orient="records")}
    for row in json.loads(rows):
        got = derived.get(str(row["subject"]))
        if got is None:
            return f"scores: subject {row['subject']} is not in {Path(file).name}"
        for k, v in row.items():
            if (
                k in metrics.METRICS
                and v is not None
                and not math.isclose(v, got[k], rel_tol=TOLERANCE, abs_tol=TOLERANCE)
            ):
                return (f"scores: per-subject {k} of {row['subject']} is {v} but its scores "
                        f"give {got[k]}")  # fmt: skip
    return None


# -- reading many ---------------------------------------------------------------------------


def warn_skipped(err: IntegrityError) -> None:
    """One warning per (file, check) per process, on stderr."""
    key = (err.path, err.check)
    if key not in _warned:
        _warned.add(key)
        print(f"warning: skipped record {err.path}: {err.check}", file=sys.stderr)


def iter_valid(root: str | Path):
    """Every record under ``root`` (a folder or one file) that passes; warn about the rest."""
    root = Path(root)
    paths = [root] if root.is_file() else record_files(root)
    for path in paths:
        try:
            yield load(path)
        except IntegrityError as e:
            warn_skipped(e)


def main(argv: list[str] | None = None) -> int:
    """``python -m incumbent.running.integrity [--rebuild-manifest] FOLDER``: check every
    record under FOLDER (and its manifest); exit 4 if any fails."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m incumbent.running.integrity")
    ap.add_argument("folder", type=Path)
    ap.add_argument("--rebuild-manifest", action="store_true",
                    help="trust the folder as it is now: list every record file's sha256")  # fmt: skip
    a = ap.parse_args(argv)
    if a.rebuild_manifest:
        print(f"written: {write_manifest(a.folder, rebuild=True)[0]}")
    files = record_files(a.folder)
    good = sum(1 for _ in iter_valid(a.folder))
    problems = verify_manifest(a.folder) if (a.folder / MANIFEST).is_file() else []
    for p in problems:
        print(f"manifest: {p}", file=sys.stderr)
    print(f"{good} of {len(files)} records pass")
    return 0 if good == len(files) and not problems else 4


if __name__ == "__main__":
    sys.exit(main())
