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
