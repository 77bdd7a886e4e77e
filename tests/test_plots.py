"""DET / ROC PNGs: valid files, and the marked EER point is the pooled-score EER."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from record_factory import record_from_scores, synthetic_scores

from incumbent.cli import main
from incumbent.evaluation import metrics
from incumbent.reports import plots

PNG = b"\x89PNG\r\n\x1a\n"


def pooled_eer(scores):
    lab, s = scores["label"].to_numpy(), scores["score"].to_numpy()
    return metrics.eer_km(s[lab == 1], s[lab == 0])


def assert_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG and len(data) > 5000


def test_det_and_roc_for_one_record(tmp_path):
    scores = synthetic_scores(seed=1)
    rec = record_from_scores("sys", scores, tmp_path)
    out = plots.plot_records([rec])
    assert out.det.parent == out.roc.parent == tmp_path / "toy" / "toyproto-v1" / "sys"
    assert_png(out.det)
    assert_png(out.roc)
    fmr, fnmr = out.eer_points["sys"]
    assert fmr == pytest.approx(pooled_eer(scores), abs=1e-9)
    assert fnmr == pytest.approx(fmr, abs=1e-12)
    # the pooled EER is a different number from the record's mean per-subject EER
    assert abs(fmr - rec["metrics"]["eer_mean"]) > 1e-3


def test_overlay_challenger_vs_incumbent_via_cli(tmp_path, capsys):
    a, b = synthetic_scores(shift=2.5, seed=2), synthetic_scores(shift=1.5, seed=3)
    ch = record_from_scores("challenger", a, tmp_path, run_id="20260102T000000-challenger-1")
    inc = record_from_scores("incumbent", b, tmp_path, run_id="20260101T000000-incumbent-1")
    assert main(["plot", ch["run_id"], "--vs", inc["run_id"], "--records", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    det = tmp_path / "toy/toyproto-v1/challenger/20260102T000000-challenger-1.vs-incumbent.det.png"
    assert_png(det)
    assert_png(det.with_name(det.name.replace(".det.", ".roc.")))
    for name, s in (("challenger", a), ("incumbent", b)):
        assert f"{name}: pooled EER point at FMR {pooled_eer(s):.4f}" in out


def test_missing_scores_are_reported_without_regeneration(tmp_path, monkeypatch):
    monkeypatch.setenv("INCUMBENT_RESULTS", str(tmp_path / "empty"))
    rec = record_from_scores("sys", synthetic_scores(), tmp_path / "committed")
    (tmp_path / "committed/toy/toyproto-v1/sys" / rec["scores"]["file"]).unlink()
    with pytest.raises(FileNotFoundError, match="no scores file"):
        plots.scores_for(rec, regenerate=False)


@pytest.mark.repro
def test_committed_record_scores_are_regenerated(data_dir, results_dir, tmp_path):
    """A record without its scores is rerun from its config and must match itself."""
    from hydra import compose, initialize_config_dir

    from incumbent import ROOT
    from incumbent.running import pipeline

    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose("config", overrides=[f"paths.data_dir={data_dir}",
                                           f"paths.results_dir={tmp_path / 'run'}",
                                           "progress=false", "baseline=manhattan"])  # fmt: skip
    rec = pipeline.run(cfg)
    committed = tmp_path / "incumbents" / "r.json"
    committed.parent.mkdir()
    shutil.copy(rec["_path"], committed)
    rec["_path"] = str(committed)
    scores = plots.scores_for(
        rec, progress=False, data_dir=data_dir
    )  # not beside it, not in results_dir: rerun
    table = metrics.per_subject(scores)
    assert np.allclose(table["eer"], [r["eer"] for r in rec["per_subject"]])
    assert (results_dir / "cmu_dsl/killourhy2009-v1/manhattan" / rec["scores"]["file"]).exists()
