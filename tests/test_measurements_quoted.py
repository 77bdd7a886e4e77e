"""Numbers in docs/ come from the committed measurements and records they name."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cross_dataset_runtime_table_is_its_successful_measurement():
    """docs/datasets.md's runtime table is generated from the measurement (its freshness:
    tests/test_measurement_tables.py); the measured command ran every cell and succeeded."""
    m = json.loads((ROOT / "experiments/measurements/fixed_text_cross_dataset_runtime.json")
                   .read_text())  # fmt: skip
    assert m["values"]["exit_status"] == 0 and m["values"]["runs"] == 64
    assert "<!-- BEGIN GENERATED-MEASUREMENT fixed_text_cross_dataset_runtime -->" in (
        ROOT / "docs/datasets.md").read_text()  # fmt: skip


def test_balabit_sentence_matches_the_committed_record():
    r = json.loads((ROOT / "incumbents/balabit/balabit_antal2019-v1/antal2019_rf.json")
                   .read_text())  # fmt: skip
    m = r["metrics"]
    text = " ".join((ROOT / "docs/benchmarks.md").read_text().split())
    assert f"The committed record took {r['wall_time_s']:.0f} s" in text
    assert (f"= {m['auc']:.4f} (95% CI [{m['auc_ci_lo']:.4f}, {m['auc_ci_hi']:.4f}]"
            in text)  # fmt: skip
    assert f"Measured: AUC {m['auc']:.3f} against the published 0.92" in text
