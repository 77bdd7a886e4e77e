"""docs/scale.md's Aalto table is generated from the committed benchmark results, which
show the loader's memory flat and the parse close to a plain read."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location(
    "scale_report", ROOT / "experiments" / "scale_report.py"
)
scale_report = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale_report)


def test_docs_table_is_fresh():
    assert scale_report.refresh(check=True), (
        "docs/scale.md is stale; run `python experiments/scale_report.py`"
    )


def test_committed_benchmark_meets_the_scale_targets():
    res = json.loads(scale_report.RESULTS.read_text())
    sizes = [r["participants"] for r in res["sizes"]]
    assert sizes[0] <= 1_000 and sizes[-1] >= 100_000 and 20_000 in sizes
    first, last = res["sizes"][0], res["sizes"][-1]
    for phase in ("parse", "reload", "protocol"):  # memory flat from 1,000 to 100,000
        assert last[phase]["peak"] <= 1.2 * first[phase]["peak"], phase
    for r in res["sizes"]:
        assert r["parse"]["sentences"] == 15 * r["participants"]
