"""The CMC figure is drawn from the records' identification blocks."""

from __future__ import annotations

import pytest
from record_factory import eer_record

from incumbent.reports.cmc_plot import draw_cmc, has_cmc


def test_cmc_png_from_records(tmp_path):
    a = eer_record("det_a", [0.1, 0.2])
    b = eer_record("det_b", [0.1, 0.2])
    a["identification"] = {"models": 3, "probes": 30, "cmc": [0.5, 0.8, 1.0]}
    b["identification"] = {"models": 3, "probes": 30, "cmc": [0.3, 0.7, 1.0]}
    assert has_cmc(a) and not has_cmc(eer_record("c", [0.1, 0.2]))
    out = draw_cmc([a, b], tmp_path / "x.cmc.png")
    assert out.exists() and out.stat().st_size > 1000


def test_no_cmc_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="identification=true"):
        draw_cmc([eer_record("c", [0.1, 0.2])], tmp_path / "x.png")
