"""Benchmark tables in docs/ are generated from the committed measurement files."""

from __future__ import annotations

import json

import pytest

from incumbent import ROOT
from incumbent.reports import measurement_tables as mt


def test_start_takes_the_checkout_state_before_timing():
    started = mt.start()
    assert set(started) == {"git", "load_average_1min"} and "sha" in started["git"]


def test_docs_measurement_tables_are_fresh():
    pages = [p for p in (ROOT / "docs").glob("*.md") if "GENERATED-MEASUREMENT" in p.read_text()]
    assert pages, "no generated measurement table in docs/"
    for page in pages:
        text = page.read_text()
        assert mt.regenerate(text) == text, (
            f"{page.name} is stale: python -m incumbent.reports.measurement_tables"
        )


def test_a_table_follows_its_measurement_file(tmp_path):
    # the state at the start is what the file keeps (a later commit is not credited)
    started = {"git": {"sha": "0123456789abc", "dirty": True}, "load_average_1min": 0.5}
    mt.write(tmp_path / "demo.json", started, command="python bench.py", columns=["what", "wall"],
             rows=[["all", "1.0 s"]], values={"wall_s": 1.0})  # fmt: skip
    page = ("intro\n<!-- BEGIN GENERATED-MEASUREMENT demo -->\nhand-typed\n"
            "<!-- END GENERATED-MEASUREMENT -->\nafter\n")  # fmt: skip
    fresh = mt.regenerate(page, tmp_path)
    assert "hand-typed" not in fresh and "| all | 1.0 s |" in fresh
    assert "`python bench.py`" in fresh and "1-min load average 0.5 at the start" in fresh
    assert "at commit 0123456 with uncommitted changes" in fresh
    assert fresh.startswith("intro\n") and fresh.endswith("after\n")
    m = json.loads((tmp_path / "demo.json").read_text())
    m["rows"] = [["all", "2.0 s"]]  # a new measurement makes the page stale
    (tmp_path / "demo.json").write_text(json.dumps(m))
    assert mt.regenerate(fresh, tmp_path) != fresh
    with pytest.raises(FileNotFoundError, match="no measurement 'gone'"):
        mt.regenerate(page.replace("demo", "gone"), tmp_path)


def test_metrics_prose_matches_the_committed_measurement():
    """benchmarks.md says the EERs' time at 10^7 is numpy's sort, over 0.6 s there."""
    m = json.loads((mt.MEASUREMENTS / "metrics_at_scale.json").read_text())
    at = {r["function"]: r for r in m["values"]["results"] if r["n"] == 10**7}
    assert all(r["check_ok"] for r in at.values() if r["check_ok"] is not None)
    assert at["sort"]["wall_s"] > 0.6 and at["eer_km"]["wall_s"] > 0.6
    assert at["eer_km"]["wall_s"] <= 1.2 * at["sort"]["wall_s"]  # the sort is the time
    assert at["roc@1000"]["wall_s"] < 0.6 and at["roc@1000"]["peak_mib"] < 150
    text = " ".join((ROOT / "docs" / "benchmarks.md").read_text().split())
    assert "sort alone is over 0.6 s at 10^7 scores" in text
