"""Generated blocks in papers.md, README.md and docs/*.md must match the committed records."""

from __future__ import annotations

import json

import pytest

from incumbent.reports import generated, papers


@pytest.mark.parametrize("path", generated.markdown_files(), ids=lambda p: p.name)
def test_generated_blocks_are_fresh(path):
    diff = papers.refresh(path, check=True)
    assert diff is None, f"{path.name} is stale; run `incumbent papers --file {path}`:\n{diff}"


def test_the_cross_dataset_and_continuous_blocks_exist():
    text = "".join(p.read_text() for p in generated.markdown_files())
    assert "<!-- BEGIN GENERATED cross_dataset fixed_text -->" in text
    for dataset, protocol in (("balabit", "continuous_balabit_antal2019_actions"),
                              ("sapimouse", "continuous_sapimouse2021")):  # fmt: skip
        assert f"<!-- BEGIN GENERATED continuous {dataset} {protocol} -->" in text


def _record(tmp_path, dataset, baseline, eers, run_id):
    from tests.record_factory import eer_record

    rec = eer_record(baseline, eers, run_id=f"20260101T00000{run_id[-1]}-{baseline}-00000{run_id[-1]}",
                     dataset=dataset, protocol="fixed_text")  # fmt: skip
    folder = tmp_path / "incumbents" / dataset / "fixed_text-v1"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{baseline}.json").write_text(json.dumps(rec))


def test_a_changed_record_makes_the_block_stale(tmp_path):
    _record(tmp_path, "d1", "b1", [0.1, 0.2], "r1")
    _record(tmp_path, "d2", "b1", [0.3, 0.3], "r2")
    md = tmp_path / "README.md"
    md.write_text("x\n<!-- BEGIN GENERATED cross_dataset fixed_text -->\n<!-- END GENERATED -->\n")
    committed = tmp_path / "incumbents"
    assert papers.refresh(md, committed) is not None  # first write
    text = md.read_text()
    assert "0.1500" in text and "0.3000" in text and "the 2 committed records" in text
    assert papers.refresh(md, committed, check=True) is None
    _record(tmp_path, "d2", "b1", [0.3, 0.5], "r3")
    assert papers.refresh(md, committed, check=True) is not None
