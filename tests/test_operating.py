"""The operating-point option: a seeded subject split, thresholds from development scores
only, records keyed by the option, identification and fairness on real data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_pipeline_and_records import compose_cfg

from incumbent.evaluation import metrics, operating
from incumbent.running import records
from incumbent.running.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
OPTS = {"operating_split": "subjects", "dev_fraction": 0.5, "operating_seed": 0,
        "identification": False}  # fmt: skip


def synthetic_scores(n_subjects=12, n_gen=20, n_imp=4, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    subs = [f"s{k:02d}" for k in range(n_subjects)]
    parts = []
    for s in subs:
        others = [o for o in subs if o != s]
        parts.append(pd.DataFrame({
            "subject": s, "label": np.r_[np.ones(n_gen, int), np.zeros(n_imp * len(others), int)],
            "score": np.r_[rng.normal(1, 1, n_gen), rng.normal(-1, 1, n_imp * len(others))],
            "probe_subject": np.r_[[s] * n_gen, np.repeat(others, n_imp)],
        }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _evaluate(scores):
    return operating.evaluate(scores, OPTS, metrics.per_subject(scores))


def test_split_is_seeded_disjoint_and_complete():
    subs = [f"s{k}" for k in range(10)]
    dev, evl = operating.split_subjects(subs, 0.5, 0)
    assert (dev, evl) == operating.split_subjects(subs, 0.5, 0)
    assert set(dev).isdisjoint(evl) and set(dev) | set(evl) == set(subs) and len(dev) == 5
    assert operating.split_subjects(subs, 0.5, 1) != (dev, evl)
    with pytest.raises(ValueError, match="need 2 or more"):
        operating.split_subjects(subs[:3], 0.5, 0)


def _shuffle(scores, mask, rng):
    out = scores.copy()
    vals = out.loc[mask, "score"].to_numpy()
    out.loc[mask, "score"] = rng.permutation(vals) * rng.uniform(0.1, 10)
    return out


def test_evaluation_scores_do_not_move_any_threshold():
    scores = synthetic_scores()
    _, block, _ = _evaluate(scores)
    evl = set(block["evaluation"])
    model, probe = scores["subject"], scores["probe_subject"]
    # global: every row whose model and probe subject are evaluation subjects
    global_eval = model.isin(evl) & probe.isin(evl)
    # per subject: its later genuine half and the evaluation subjects' attempts on it
    # (its earlier genuine half is its development data)
    later = scores["label"].eq(1) & scores.groupby("subject").cumcount().ge(10)
    subject_eval = model.isin(evl) & (later | (scores["label"].eq(0) & probe.isin(evl)))
    rng = np.random.default_rng(1)
    for _ in range(3):
        _, b1, _ = _evaluate(_shuffle(scores, global_eval, rng))
        assert b1["thresholds_global"] == block["thresholds_global"]
        _, b2, _ = _evaluate(_shuffle(scores, subject_eval, rng))
        assert b2["thresholds_subject"] == block["thresholds_subject"]
        assert b2["thresholds_global"] == block["thresholds_global"]


def test_development_scores_do_move_the_threshold():
    scores = synthetic_scores()
    _, block, _ = _evaluate(scores)
    dev = set(block["development"])
    moved = scores.copy()
    mask = moved["subject"].isin(dev) & moved["probe_subject"].isin(dev)
    moved.loc[mask, "score"] += 5.0
    _, block2, _ = _evaluate(moved)
    assert block2["thresholds_global"]["eer"] != block["thresholds_global"]["eer"]


def test_metrics_and_intervals_for_three_targets_global_and_per_subject():
    m, block, ci = _evaluate(synthetic_scores())
    for target in ("eer", "fmr1", "fmr0.1"):
        for scope in ("global", "subject"):
            for rate in ("fmr", "fnmr", "hter"):
                key = f"{rate}_eval_{target}_{scope}"
                assert 0 <= m[key] <= 1 and ci[key][0] <= m[key] + 1e-12 <= ci[key][1] + 2e-12
    assert m["hter_eval_eer_global"] == pytest.approx(
        (m["fmr_eval_eer_global"] + m["fnmr_eval_eer_global"]) / 2
    )


def test_default_options_leave_the_config_untouched():
    cfg = {"protocol": {"_target_": "x", "n_train": 5, **operating.DEFAULTS}, "seed": 0}
    assert operating.strip_disabled(cfg)["protocol"] == {"_target_": "x", "n_train": 5}
    on = {"protocol": {**cfg["protocol"], "operating_split": "subjects"}}
    assert operating.strip_disabled(on)["protocol"]["operating_split"] == "subjects"
    with pytest.raises(ValueError, match="operating_split"):
        operating.pop_options({"operating_split": "sessions"})
    with pytest.raises(ValueError, match="dev_fraction"):
        operating.pop_options({"operating_split": "subjects", "dev_fraction": 1.0})


def test_option_is_keyed_in_params_and_hash(results_dir):
    plain = run(compose_cfg(results_dir, "baseline=manhattan"))
    split = run(compose_cfg(results_dir, "baseline=manhattan", "protocol.operating_split=subjects",
                            "protocol.identification=true"))  # fmt: skip
    assert "operating_split" not in plain["protocol"]["params"]
    assert "operating_split" not in plain["config"]["protocol"]
    assert "split" not in plain and "hter_eval_eer_global" not in plain["metrics"]
    assert split["protocol"]["params"]["operating_split"] == "subjects"
    assert split["protocol"]["params"]["identification"] is True
    assert split["config_hash"] != plain["config_hash"] and not split.get("_skipped")
    assert {"hter_eval_eer_global", "fnmr_eval_fmr1_global", "rank1"} <= set(
        split["protocol"]["guard_metrics"]
    )
    assert split["metrics"]["rank1"] > 0.9  # well-separated synthetic subjects
    assert len(split["identification"]["cmc"]) == 6
    assert split["metrics"]["eer_mean"] == plain["metrics"]["eer_mean"]  # same scores


def test_identification_refused_where_the_protocol_trains_its_own_way():
    class OwnRun:
        name = "own"

        def run(self, *a, **k):  # pragma: no cover - never called
            raise AssertionError

    with pytest.raises(ValueError, match="shared per-subject loop"):
        operating.prepare(OwnRun(), {**OPTS, "identification": True})


def test_run_py_on_cmu_writes_apriori_and_identification(data_dir, tmp_path):
    out = tmp_path / "results"
    cmd = [sys.executable, "run.py", "baseline=manhattan", "progress=false",
           "protocol.operating_split=subjects", "protocol.identification=true",
           f"paths.results_dir={out}", f"paths.data_dir={data_dir}"]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True)
    rec = records.read(next(out.rglob("*-manhattan-*.json")))
    m = rec["metrics"]
    for target in ("eer", "fmr1", "fmr0.1"):
        for scope in ("global", "subject"):
            assert {f"fmr_eval_{target}_{scope}", f"fnmr_eval_{target}_{scope}",
                    f"hter_eval_{target}_{scope}"} <= set(m)  # fmt: skip
    split = rec["split"]
    assert len(split["development"]) + len(split["evaluation"]) == 51
    assert set(split["thresholds_subject"]["eer"]) == set(split["evaluation"])
    assert rec["identification"]["models"] == 51 and rec["identification"]["probes"] == 51 * 200
    assert 0 < m["rank1"] <= m["rank5"] <= 1
    assert m["eer_mean"] == pytest.approx(0.1529, abs=5e-5)  # the K&M cell is untouched
    json.dumps(rec)  # finite, serialisable


def test_every_protocol_takes_the_options_beside_its_own_arguments():
    from hydra.utils import instantiate

    from incumbent.protocols.base import OPERATING_OPTIONS
    from incumbent.protocols.killourhy2009 import Killourhy2009

    assert tuple(operating.DEFAULTS) == OPERATING_OPTIONS
    p = instantiate({"_target_": "incumbent.protocols.killourhy2009.Killourhy2009",
                     "n_train": 150, "operating_split": "subjects", "dev_fraction": 0.3})  # fmt: skip
    assert p.n_train == 150 and p.params() == {"n_train": 150, "n_impostor_reps": 5}
    assert p.operating_options == {"operating_split": "subjects", "dev_fraction": 0.3}
    assert Killourhy2009().operating_options == {}


def test_a_protocols_own_argument_is_never_taken_as_an_option():
    from incumbent.protocols.base import Protocol

    class Own(Protocol):
        def __init__(self, dev_fraction: float = 0.1):
            self.dev_fraction = dev_fraction

    p = Own(dev_fraction=0.7, operating_split="subjects")
    assert p.dev_fraction == 0.7 and p.operating_options == {"operating_split": "subjects"}
