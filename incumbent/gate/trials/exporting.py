"""``incumbent trials export``: a protocol's trial list (samples, enrolment, training,
trials without labels, manifest) written to a folder (package docstring)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from incumbent.gate.trials.recorder import FORMAT, compose_cfg, record_trials


def _write_csv(path: Path, frame: pd.DataFrame) -> str:
    frame.to_csv(path, index=False)  # floats as repr: they read back bit for bit
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(overrides: list[str], out: str | Path) -> dict[str, Any]:
    """Write the trial list of the composed (dataset, protocol) to ``out``; return the manifest."""
    cfg = compose_cfg(overrides)
    dataset, protocol, rec, table = record_trials(cfg)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    ids = sorted(rec.samples)
    values = np.stack([rec.samples[i] for i in ids])
    samples = pd.DataFrame(values, columns=[f"v{k}" for k in range(values.shape[1])])
    samples.insert(0, "sample_id", ids)
    files["samples.csv"] = _write_csv(out / "samples.csv", samples)
    enrol = []
    for m, model in enumerate(rec.models):
        if not rec.model_subjects[m].startswith("unscored-"):
            for k, sid in enumerate(model["enrol"]):
                row = {"subject": rec.model_subjects[m], "sample_id": sid}
                if model["y"] is not None:
                    row["y"] = int(model["y"][k])
                enrol.append(row)
    files["enrolment.csv"] = _write_csv(out / "enrolment.csv", pd.DataFrame(enrol))
    if rec.training:
        train = pd.DataFrame(rec.training, columns=["sample_id", "subject"])
        files["training.csv"] = _write_csv(out / "training.csv", train)
    trials = table[["subject", "probe_id"]].drop_duplicates().sort_values(["subject", "probe_id"])
    files["trials.csv"] = _write_csv(out / "trials.csv", trials)
    manifest = {
        "format": FORMAT,
        "dataset": {"name": dataset.name, "checksum": dataset.checksum,
                    "subjects": len(dataset.subjects)},
        "protocol": protocol.describe(),
        "overrides": list(overrides),
        "sample_shape": list(rec.shape or ()),
        "counts": {"samples": len(ids), "enrolment": len(enrol), "training": len(rec.training),
                   "trials": len(trials), "subjects": int(trials["subject"].nunique())},
        "scores_file": "CSV with columns subject, probe_id, score (higher = more genuine), "
                       "one row per row of trials.csv",
        "files": files,
    }  # fmt: skip
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    return manifest
