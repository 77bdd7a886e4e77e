"""Runtimes quoted in docs/ equal the committed measurement files they name."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cross_dataset_runtime_sentence_matches_its_measurement():
    m = json.loads((ROOT / "experiments/measurements/fixed_text_cross_dataset_runtime.json")
                   .read_text())  # fmt: skip
    text = " ".join((ROOT / "docs/datasets.md").read_text().split())
    assert m["exit_status"] == 0
    quoted = (f"{m['runs']} runs in {m['wall_s']} s wall, peak memory {m['peak_rss_mib_child']} "
              f"MiB, {m['cpus']} CPUs, load average {m['load_average_at_end'][0]:.1f} at the end")  # fmt: skip
    assert quoted in text, f"docs/datasets.md runtime differs from the measurement: {quoted}"


def test_balabit_sentence_matches_the_committed_record():
    r = json.loads((ROOT / "incumbents/balabit/balabit_antal2019-v1/antal2019_rf.json")
                   .read_text())  # fmt: skip
    m = r["metrics"]
    text = " ".join((ROOT / "docs/benchmarks.md").read_text().split())
    assert f"The committed record took {r['wall_time_s']:.0f} s" in text
    assert (f"= {m['auc']:.4f} (95% CI [{m['auc_ci_lo']:.4f}, {m['auc_ci_hi']:.4f}]"
            in text)  # fmt: skip
    assert f"Measured: AUC {m['auc']:.3f} against the published 0.92" in text
