"""docs/operating-points.md's tables must match the committed operating-point records."""

from __future__ import annotations

from incumbent.reports import operating_report


def test_operating_points_page_is_fresh():
    diff = operating_report.refresh(check=True)
    assert diff is None, f"docs/operating-points.md is stale; run the report module:\n{diff}"


def test_page_has_every_block_and_records_exist():
    text = operating_report.PAGE.read_text()
    for kind in ("apriori", "identification", "fixed_text", "fairness"):
        assert f"<!-- BEGIN GENERATED operating {kind} " in text
    recs = operating_report.load([operating_report.RECORDS])
    km = [r for r in recs if r["dataset"]["name"] == "cmu_dsl"]
    assert len(km) == 14
    assert all(r["protocol"]["params"]["operating_split"] == "subjects" for r in recs)
    assert operating_report.FIGURE.exists()


def test_a_stale_block_is_detected(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "x\n<!-- BEGIN GENERATED operating apriori cmu_dsl killourhy2009 -->\nold\n"
        "<!-- END GENERATED -->\n"
    )
    diff = operating_report.refresh(page, operating_report.RECORDS, check=True)
    assert diff and "-old" in diff and page.read_text().count("old") == 1
    operating_report.refresh(page, operating_report.RECORDS)
    assert operating_report.refresh(page, operating_report.RECORDS, check=True) is None
