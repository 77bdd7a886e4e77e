"""``experiment=killourhy2009``: the sweep covers K&M's 14 detectors, and its report is
built from the records its own jobs name (never from other runs in the results folder).
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from record_factory import make_record

from incumbent.reports.report import SweepReport
from incumbent.running import records

CONF = Path(__file__).resolve().parent.parent / "conf"


def swept_baselines() -> list[str]:
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
        cfg = compose("config", overrides=["experiment=killourhy2009"], return_hydra_config=True)
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    return [b.strip() for b in cfg.hydra.sweeper.params.baseline.split(",")]


def test_sweep_is_the_14_detectors_of_table_2():
    names = swept_baselines()
    assert len(names) == len(set(names)) == 14
    for name in names:
        spec = yaml.safe_load((CONF / "baseline" / f"{name}.yaml").read_text())
        rep = spec["reported"]["cmu_dsl"]["killourhy2009"]
        assert {"eer_mean", "eer_sd", "zero_miss_far_mean"} <= set(rep) or name == "manhattan"


def test_report_uses_only_this_sweeps_records(tmp_path, capsys):
    results, sweep = tmp_path / "results", tmp_path / "sweep"
    rep = {"eer_mean": 0.1, "eer_sd": 0.05}
    ours = make_record("alpha", {"eer": [0.1, 0.1], "zero_miss_far": [0.5, 0.5]}, reported=rep,
                       dataset="cmu_dsl", protocol="killourhy2009")  # fmt: skip
    other = make_record("beta", {"eer": [0.3, 0.3], "zero_miss_far": [0.9, 0.9]}, reported=rep,
                        dataset="cmu_dsl", protocol="killourhy2009", run_id="20990101T0-beta-1")  # fmt: skip
    ours["config"]["baseline"]["tolerance"] = {"eer_mean": 0.002}
    path = records.write(ours, None, results)
    records.write(other, None, results)  # same results folder, not part of the sweep
    (sweep / "0").mkdir(parents=True)
    status = {"status": "ok", "job": 0, "overrides": ["baseline=alpha"], "record": str(path)}
    (sweep / "0" / "job_status.json").write_text(json.dumps(status))
    cfg = OmegaConf.create({"hydra": {"sweep": {"dir": str(sweep)}}})
    SweepReport("cmu_dsl", "killourhy2009", expect=1).on_multirun_end(cfg)
    text = (sweep / "reproduction.md").read_text()
    assert "alpha" in text and "beta" not in text and "ERROR" not in text
    (row,) = [line for line in text.splitlines() if line.startswith("| alpha ")]
    cells = [c.strip() for c in row.strip("|").split("|")]
    # alpha: reported 0.1 (0.05), reproduced 0.1 (0.0), Δ 0 within its tolerance
    assert cells == ["alpha", "0.1000 (0.0500)", "0.1000 (0.0000)", "+0.0000", "yes", "—", "0.500"]
    assert text in capsys.readouterr().out
    SweepReport("cmu_dsl", "killourhy2009", expect=2).on_multirun_end(cfg)
    assert "expected 2 records, found 1" in (sweep / "reproduction.md").read_text()
