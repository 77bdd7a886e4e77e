"""``incumbent trials import``: a scores file checked against the exported trials, then
the protocol replayed with those scores to write a normal record (package docstring)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import OmegaConf, open_dict

from incumbent.gate.trials.recorder import (
    FORMAT,
    RECORDERS,
    Recorder,
    TrialsError,
    compose_cfg,
    record_trials,
)

MAX_ERRORS = 20


def read_scores(path: Path, trials: pd.DataFrame) -> dict[tuple[str, str], float]:
    """``(subject, probe_id) -> score``; :class:`TrialsError` listing every bad line."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise TrialsError(f"{path}: not a readable CSV ({e})") from e
    missing_cols = {"subject", "probe_id", "score"} - set(raw.columns)
    if missing_cols:
        raise TrialsError(f"{path}: line 1: missing column(s) {sorted(missing_cols)} "
                          "(need subject, probe_id, score)")  # fmt: skip
    wanted = {(s, p): k + 2 for k, (s, p) in enumerate(trials.itertuples(index=False))}
    subjects = set(trials["subject"])
    probes = set(trials["probe_id"])
    errors, seen, out = [], {}, {}
    for k, (s, p, v) in enumerate(zip(raw["subject"], raw["probe_id"], raw["score"],
                                      strict=True)):  # fmt: skip
        line = k + 2  # line 1 is the header
        where = f"line {line} (subject {s!r}, probe_id {p!r})"
        try:
            score = float(v)
        except ValueError:
            score = None
        if (s, p) not in wanted:
            what = ("unknown subject" if s not in subjects else "unknown probe_id"
                    if p not in probes else "not a trial of this subject")  # fmt: skip
            errors.append(f"{where}: {what}")
        elif (s, p) in seen:
            errors.append(f"{where}: scored twice (first on line {seen[(s, p)]})")
        elif score is None or not np.isfinite(score):
            errors.append(f"{where}: score {v!r} is not a finite number")
        else:
            out[(s, p)] = score
        seen.setdefault((s, p), line)
    absent = [key for key in wanted if key not in seen]
    for s, p in absent[:5]:
        errors.append(f"missing trial: subject {s!r}, probe_id {p!r} "
                      f"(trials.csv line {wanted[(s, p)]})")  # fmt: skip
    if len(absent) > 5:
        errors.append(f"... {len(absent) - 5} more trials of trials.csv are not scored")
    if errors:
        shown = errors[:MAX_ERRORS] + ([f"... and {len(errors) - MAX_ERRORS} more"]
                                       if len(errors) > MAX_ERRORS else [])  # fmt: skip
        raise TrialsError(f"{path}: refused, {len(errors)} problem(s):\n  " + "\n  ".join(shown))
    return out


def import_scores(scores: str | Path, name: str, version: str, trials_dir: str | Path | None = None,
                  force: bool = False) -> dict[str, Any]:  # fmt: skip
    """Check ``scores`` against the exported trials and write (return) its record."""
    from incumbent.running.pipeline import run

    scores = Path(scores)
    folder = Path(trials_dir) if trials_dir else scores.parent
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise TrialsError(f"{folder / 'manifest.json'}: no trial export there ({e}); "
                          "give --trials DIR (the folder `incumbent trials export` wrote)") from e  # fmt: skip
    if manifest.get("format") != FORMAT:
        raise TrialsError(f"{folder}: format {manifest.get('format')!r}, expected {FORMAT}")
    trials = pd.read_csv(folder / "trials.csv", dtype=str, keep_default_na=False)
    cfg = compose_cfg(manifest["overrides"])
    dataset, protocol, rec, _ = record_trials(cfg)
    if dataset.checksum != manifest["dataset"]["checksum"]:
        raise TrialsError(f"the data read now (sha256 {dataset.checksum}) is not the data the "
                          f"trials were exported from ({manifest['dataset']['checksum']})")  # fmt: skip
    lookup = read_scores(scores, trials)
    digest = hashlib.sha256(scores.read_bytes()).hexdigest()
    key = digest[:16]  # in the config: the same file gives the same config hash (resume)
    RECORDERS[key] = Recorder(rec.model_subjects, replay=lookup)
    with open_dict(cfg):
        cfg.baseline = OmegaConf.create({
            "name": name,
            "input": cfg.dataset.get("input", "fixed_text"),
            "estimator": {"_target_": "incumbent.gate.trials.replayer", "key": key,
                          "scores_sha256": digest},
            "provenance": {"kind": "score_file", "file": scores.name, "sha256": digest,
                           "name": name, "version": str(version),
                           "trials": {"overrides": manifest["overrides"],
                                      "manifest_sha256": hashlib.sha256(
                               (folder / "manifest.json").read_bytes()).hexdigest()}},
        })  # fmt: skip
        cfg.force, cfg.progress = force, False
    try:
        return run(cfg)
    finally:
        del RECORDERS[key]
