"""papers.md's generated blocks must match the committed records in incumbents/."""

from __future__ import annotations

import numpy as np
import pytest
from record_factory import eer_record, save

from incumbent.reports import papers

TEMPLATE = """# Papers

## toy2020

Prose that is kept.

<!-- BEGIN GENERATED reproduction toy toyproto -->
{body}<!-- END GENERATED -->

More prose.
"""


def test_papers_md_is_fresh():
    diff = papers.refresh(check=True)
    assert diff is None, f"papers.md is stale; run `incumbent papers`:\n{diff}"


def test_papers_md_has_the_cmu_block():
    assert (
        "<!-- BEGIN GENERATED reproduction cmu_dsl killourhy2009 -->" in papers.PAPERS.read_text()
    )


def test_a_stale_block_is_detected_and_regenerated(tmp_path):
    committed = tmp_path / "incumbents"
    eer = np.full(5, 0.1)
    rec = eer_record("det_a", eer, reported={"eer_mean": 0.1, "eer_sd": 0.0})
    rec["config"] = {"baseline": {"tolerance": {"eer_mean": 0.001}}}
    save(rec, committed)
    md = tmp_path / "papers.md"
    md.write_text(TEMPLATE.format(body="| stale | table |\n"))

    diff = papers.refresh(md, committed, check=True)
    assert diff and "-| stale | table |" in diff
    assert "stale" in md.read_text()  # --check does not write
    assert papers.refresh(md, committed) is not None
    text = md.read_text()
    assert "det_a" in text and "Prose that is kept." in text and "More prose." in text
    assert papers.refresh(md, committed, check=True) is None

    rec2 = eer_record("det_b", eer + 0.05, run_id="20260101T000000-det_b-1")
    save(rec2, committed)  # a new committed record makes papers.md stale again
    assert "det_b" in papers.refresh(md, committed, check=True)


def test_cli_check_exit_status(tmp_path, capsys):
    from incumbent.cli import main

    md = tmp_path / "papers.md"
    md.write_text(TEMPLATE.format(body="old\n"))
    # no records to generate from: refused, papers.md is never rewritten from nothing
    (tmp_path / "none").mkdir()
    args = ["papers", "--file", str(md), "--committed", str(tmp_path / "none")]
    assert main([*args, "--check"]) == 4
    assert main(args) == 4
    assert md.read_text() == TEMPLATE.format(body="old\n")
    with pytest.raises(SystemExit) as e:  # a folder that does not exist: a bad argument
        main(["papers", "--file", str(md), "--committed", str(tmp_path / "nowhere")])
    assert e.value.code == 2


def test_free_text_grid_block_is_fresh():
    """The G x M block is generated from the committed grid records under incumbents/."""
    from incumbent.reports import free_text_report
    from incumbent.running.records import iter_records

    text = papers.PAPERS.read_text(encoding="utf-8")
    assert "<!-- BEGIN GENERATED-FREE-TEXT aalto_136m typenet_open_set -->" in text
    recs = list(iter_records(papers.ROOT / "incumbents"))
    assert free_text_report.regenerate(text, recs) == text, (
        "papers.md G x M block is stale: run `python -m incumbent.reports.free_text_report --write`"
    )


def _committed_typenet_grid():
    """The committed TypeNet G x M cells (they are committed: their absence is a failure)."""
    from incumbent.reports import free_text_report
    from incumbent.running.records import iter_records

    df = free_text_report.cells(list(iter_records(papers.ROOT / "incumbents")), "aalto_136m",
                                "typenet_open_set")  # fmt: skip
    typenet = df[df["baseline"] == "typenet"] if not df.empty else df
    assert not typenet.empty, "no committed TypeNet grid under incumbents/aalto_136m/"
    return typenet


def test_typenet_learning_curve_figure_exists_for_the_committed_grid():
    """The committed TypeNet grid's learning curve (from its record) is drawn in docs/img."""
    from incumbent.reports import free_text_report

    assert _committed_typenet_grid()["curve"].notna().all()
    assert free_text_report.CURVE_PNG.exists(), (
        "run `python -m incumbent.reports.free_text_report --write`"
    )
    assert "docs/img/typenet-learning-curve.png" in papers.PAPERS.read_text(encoding="utf-8")


def test_typenet_prose_quotes_the_committed_headline_cell():
    """The G = 5, M = 50 EER written in the typenet2021 prose is the committed record's."""
    grid = _committed_typenet_grid()
    cell = grid[(grid["G"] == 5) & (grid["M"] == 50)]
    assert len(cell) == 1
    eer = 100 * float(cell["eer"].iloc[0])
    text = papers.PAPERS.read_text(encoding="utf-8")
    section = text[text.index("## typenet2021") : text.index("<!-- BEGIN GENERATED-FREE-TEXT")]
    assert f"**{eer:.2f} %**" in section
    assert f"**Gap** ({eer - 2.2:.1f} points at G = 5, M = 50)" in section
