"""Score-file challengers: export -> scores computed outside the pipeline -> import gives the
pipeline's own per-subject metrics; malformed scores files are refused line by line."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from incumbent.baselines.antal2019 import ActionForest
from incumbent.baselines.distance import ScaledManhattan
from sklearn.base import BaseEstimator

from incumbent.api import compose
from incumbent.gate import trials
from incumbent.running.pipeline import run
from tests.test_balabit import write_layout

SYNTHETIC_CMU = ["dataset.loader._target_=conftest.synthetic_dataset", "~dataset.loader.data_dir"]


def outside_scores(folder, make) -> pd.DataFrame:
    """What a team's own scorer does with an export: only the files, no kit pipeline."""
    samples = pd.read_csv(folder / "samples.csv").set_index("sample_id")
    enrol = pd.read_csv(folder / "enrolment.csv", dtype={"subject": str})
    todo = pd.read_csv(folder / "trials.csv", dtype=str)
    out = []
    for subject, probes in todo.groupby("subject", sort=False):
        rows = enrol[enrol["subject"] == subject]
        X = samples.loc[rows["sample_id"]].to_numpy()
        est = make().fit(X, rows["y"].to_numpy()) if "y" in rows else make().fit(X)
        out.append(probes.assign(score=est.score_samples(samples.loc[probes["probe_id"]])))
    return pd.concat(out, ignore_index=True)


def round_trip(tmp_path, monkeypatch, overrides, baseline, make):
    monkeypatch.setenv("INCUMBENT_RESULTS", str(tmp_path / "results"))
    folder = tmp_path / "export"
    manifest = trials.export(overrides, folder)
    exported = pd.read_csv(folder / "trials.csv")
    assert list(exported.columns) == ["subject", "probe_id"]  # no labels leave the kit
    assert manifest["counts"]["trials"] == len(exported)
    outside_scores(folder, make).to_csv(folder / "scores.csv", index=False)
    imported = trials.import_scores(folder / "scores.csv", name="outside", version="1.2")
    cfg = compose([*overrides, *baseline, "progress=false"])
    pipeline = run(cfg)
    assert imported["per_subject"] == pipeline["per_subject"]
    assert imported["metrics"] == pipeline["metrics"]
    prov = imported["provenance"]
    assert (prov["kind"], prov["name"], prov["version"]) == ("score_file", "outside", "1.2")
    assert len(prov["sha256"]) == 64
    return folder, imported


def test_round_trip_killourhy2009(tmp_path, monkeypatch):
    overrides = [*SYNTHETIC_CMU, "dataset=cmu_dsl", "protocol=killourhy2009"]
    folder, rec = round_trip(tmp_path, monkeypatch, overrides, ["baseline=manhattan_scaled"],
                             ScaledManhattan)  # fmt: skip
    assert rec["dataset"]["subjects"] == 6 and rec["protocol"]["name"] == "killourhy2009"
    assert json.loads((folder / "manifest.json").read_text())["counts"]["subjects"] == 6


def test_round_trip_balabit_actions(tmp_path, monkeypatch):
    data = write_layout(tmp_path / "data")
    overrides = ["dataset=balabit", "protocol=balabit_antal2019", f"paths.data_dir={data}",
                 "+dataset.loader.verify=false", "protocol.unit=action"]  # fmt: skip
    forest = ["baseline=antal2019_rf", "baseline.estimator.n_estimators=20",
              "baseline.estimator.n_jobs=1"]  # fmt: skip
    folder, rec = round_trip(tmp_path, monkeypatch, overrides, forest,
                             lambda: ActionForest(n_estimators=20, n_jobs=1, random_state=0))  # fmt: skip
    assert rec["protocol"]["name"] == "balabit_antal2019_actions"
    assert set(pd.read_csv(folder / "enrolment.csv")["y"]) == {0, 1}  # two-class training


def test_session_protocol_says_to_export_per_probe(tmp_path):
    data = write_layout(tmp_path / "data")
    with pytest.raises(trials.TrialsError, match="unit=action"):
        trials.export(["dataset=balabit", "protocol=balabit_antal2019", f"paths.data_dir={data}",
                       "+dataset.loader.verify=false"], tmp_path / "x")  # fmt: skip


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    trials.export([*SYNTHETIC_CMU, "dataset=cmu_dsl", "protocol=killourhy2009"], folder)
    good = outside_scores(folder, ScaledManhattan)
    return folder, good


def refuse(folder, frame, tmp_path) -> str:
    path = tmp_path / "scores.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(trials.TrialsError) as e:
        trials.import_scores(path, name="bad", version="0", trials_dir=folder)
    return str(e.value)


def test_missing_trial_is_refused_naming_the_trials_row(exported, tmp_path):
    folder, good = exported
    msg = refuse(folder, good.drop(index=7), tmp_path)
    row = good.loc[7]
    assert f"missing trial: subject '{row.subject}', probe_id '{row.probe_id}'" in msg
    assert "trials.csv line" in msg


def test_duplicate_is_refused_naming_both_lines(exported, tmp_path):
    folder, good = exported
    msg = refuse(folder, pd.concat([good, good.iloc[[3]]], ignore_index=True), tmp_path)
    assert f"line {len(good) + 2} " in msg and "scored twice (first on line 5)" in msg


@pytest.mark.parametrize("value", [np.nan, np.inf, "high"])
def test_non_finite_score_is_refused_naming_the_line(exported, tmp_path, value):
    folder, good = exported
    bad = good.astype({"score": object})
    bad.loc[10, "score"] = value
    msg = refuse(folder, bad, tmp_path)
    assert "line 12 (subject" in msg and "is not a finite number" in msg


def test_unknown_ids_are_refused_naming_the_line(exported, tmp_path):
    folder, good = exported
    bad = good.copy()
    bad.loc[0, "probe_id"] = "x000000000000000"
    bad.loc[1, "subject"] = "nobody"
    msg = refuse(folder, bad, tmp_path)
    assert "line 2 (subject" in msg and "unknown probe_id" in msg
    assert "line 3 (subject 'nobody'" in msg and "unknown subject" in msg
    assert "missing trial" in msg  # the rows they replaced are now unscored


def test_missing_column_is_refused(exported, tmp_path):
    folder, good = exported
    assert "missing column(s) ['score']" in refuse(folder, good.drop(columns="score"), tmp_path)


class BlockCentroid(BaseEstimator):
    """A population-trained stand-in: embeds a block by its per-channel means and spreads
    (scaled by the training population's spread), scores by distance to the user's centroid."""

    def fit_population(self, X, subjects):
        self.scale_ = np.asarray(X).std(axis=(0, 2)) + 1e-9
        return self

    def embed(self, X):
        X = np.asarray(X)
        return np.hstack([X.mean(axis=2) / self.scale_, X.std(axis=2) / self.scale_])

    def fit(self, E, y=None):
        self.centre_ = np.asarray(E).mean(axis=0)
        return self

    def score_samples(self, E):
        return -np.abs(np.asarray(E) - self.centre_).sum(axis=1)


def test_round_trip_population_protocol_sapimouse(tmp_path, monkeypatch):
    """Population stage: training.csv gives the training blocks with their users."""
    from tests.test_sapimouse import fake_sapimouse

    root = fake_sapimouse(tmp_path / "sapimouse", users=range(1, 8), n3=900, n1=700)
    overrides = ["dataset=sapimouse", "protocol=sapimouse2021", f"+dataset.loader.root={root}",
                 "+dataset.loader.verify=false", "protocol.train_users=[1,2,3,4]",
                 "protocol.eval_users=[5,6,7]"]  # fmt: skip
    monkeypatch.setenv("INCUMBENT_RESULTS", str(tmp_path / "results"))
    folder = tmp_path / "export"
    manifest = trials.export(overrides, folder)
    assert manifest["sample_shape"] == [2, 128]
    training = pd.read_csv(folder / "training.csv", dtype=str)
    assert set(training["subject"]) == {"1", "2", "3", "4"}
    samples = pd.read_csv(folder / "samples.csv").set_index("sample_id")
    # C order, as the protocol's own arrays: numpy's float sums follow the memory layout
    blocks = lambda ids: np.ascontiguousarray(samples.loc[ids].to_numpy()).reshape(-1, 2, 128)  # noqa: E731
    est = BlockCentroid().fit_population(blocks(training["sample_id"]), training["subject"])
    enrol = pd.read_csv(folder / "enrolment.csv", dtype=str)
    todo = pd.read_csv(folder / "trials.csv", dtype=str)
    parts = []
    for subject, probes in todo.groupby("subject"):
        est.fit(est.embed(blocks(enrol.loc[enrol["subject"] == subject, "sample_id"])))
        parts.append(probes.assign(score=est.score_samples(est.embed(blocks(probes["probe_id"])))))
    pd.concat(parts).to_csv(folder / "scores.csv", index=False)
    imported = trials.import_scores(folder / "scores.csv", name="outside", version="1")
    import incumbent

    pipeline = incumbent.evaluate(BlockCentroid(), dataset="sapimouse", protocol="sapimouse2021",
                                  overrides=overrides[2:])  # fmt: skip
    assert imported["per_subject"] == pipeline["per_subject"]
    assert imported["metrics"] == pipeline["metrics"]
