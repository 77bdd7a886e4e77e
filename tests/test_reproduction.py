"""Reproduction tests: every baseline config with ``reported`` values for a dataset and
protocol is run on the real data and must land within its stated ``tolerance``, which
names every reported value.

Found by glob over ``conf/baseline/*.yaml``: a new paper's YAML is picked up with no edit
here. A config may carry an honest, measured gap (see papers.md) as a mapping::

    xfail:
      reason: "measured ... vs ...: suspected cause (papers.md <paper>)"
      measured: {eer_mean: 0.1013}     # what the code gives now (pinned)
      tolerance: {eer_mean: 0.002}     # drift allowed around `measured`

It then runs as a strict expected failure with ``raises=AssertionError``: only missing
the paper is expected. A crash (e.g. a ``DataError`` from an empty data folder), a
drift from ``measured`` beyond ``xfail.tolerance``, or reaching the paper all fail.
``repro_in_ci: false`` marks a reproduction too long for CI: it is marked ``slow`` and
runs only with ``INCUMBENT_SLOW=1`` (``INCUMBENT_SLOW=1 pytest -m slow``), besides its
experiment. A YAML reporting on several data sets may override them per data set:
``per_dataset: {<dataset>: {repro_in_ci: ..., xfail: ..., tolerance: ...}}``. The fast tests
below check the YAMLs and the committed records without data.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir

from incumbent.gate.leaderboard import COMMITTED
from incumbent.running import records
from incumbent.running.pipeline import run

CONF = Path(__file__).resolve().parent.parent / "conf"


def baseline_configs() -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted(CONF.glob("baseline/*.yaml"))}


def published() -> list[tuple[str, str, str, dict, dict]]:
    """(baseline, dataset, protocol, reported, config) for every runnable reported block."""
    out = []
    for name, cfg in baseline_configs().items():
        for dataset, by_protocol in (cfg.get("reported") or {}).items():
            if not (CONF / "dataset" / f"{dataset}.yaml").exists():
                continue
            # a YAML covering many data sets may set repro_in_ci / xfail / tolerance per data set
            cell = {**cfg, **(cfg.get("per_dataset") or {}).get(dataset, {})}
            for protocol, reported in by_protocol.items():
                if (CONF / "protocol" / f"{protocol}.yaml").exists():
                    out.append((name, dataset, protocol, reported, cell))
    return out


def cases():
    out = []
    for name, dataset, protocol, reported, cfg in published():
        marks = [pytest.mark.repro]
        if cfg.get("repro_in_ci") is False:
            marks += [pytest.mark.slow, pytest.mark.skipif(
                not os.environ.get("INCUMBENT_SLOW"),
                reason="too long for CI; set INCUMBENT_SLOW=1 to run it")]  # fmt: skip
        if cfg.get("xfail"):
            reason = cfg["xfail"]["reason"] if isinstance(cfg["xfail"], dict) else cfg["xfail"]
            marks.append(pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError))
        out.append(
            pytest.param(
                name, dataset, protocol, reported, cfg.get("tolerance") or {},
                cfg.get("xfail"), id=f"{name}-{dataset}-{protocol}", marks=marks,
            )
        )  # fmt: skip
    return out


def misses(measured: dict, target: dict, tolerance: dict) -> dict:
    """Metrics farther from ``target`` than ``tolerance``: name -> (measured, target, tol)."""
    return {
        k: (measured.get(k), target[k], tol)
        for k, tol in tolerance.items()
        if k in target and not abs(measured.get(k, float("inf")) - target[k]) <= tol + 1e-12
    }


@pytest.mark.parametrize("baseline,dataset,protocol,reported,tolerance,xfail", cases())
def test_reproduces_published_numbers(
    baseline, dataset, protocol, reported, tolerance, xfail, data_dir, results_dir
):
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
        cfg = compose(
            "config",
            overrides=[
                f"baseline={baseline}", f"dataset={dataset}", f"protocol={protocol}",
                f"paths.data_dir={data_dir}", f"paths.results_dir={results_dir}",
                "progress=false",
            ],
        )  # fmt: skip
    metrics = run(cfg)["metrics"]
    if xfail:  # the gap is expected; a drift of the measured value is not
        drift = misses(metrics, xfail["measured"], xfail["tolerance"])
        if drift:
            pytest.fail(f"{baseline}: measured value drifted from the pinned xfail: {drift}")
    off = misses(metrics, reported, tolerance)
    assert not off, f"measured vs reported (tolerance): {off}"


# -- the YAMLs and the committed records (fast, no data) -------------------------------


@pytest.mark.parametrize(
    "name,dataset,protocol,reported,cfg", published(), ids=[p[0] for p in published()]
)
def test_every_reported_value_has_a_tolerance(name, dataset, protocol, reported, cfg):
    tolerance = cfg.get("tolerance") or {}
    missing = set(reported) - set(tolerance)
    assert not missing, f"{name}: no tolerance for {missing}"
    assert all(0 < tol <= 0.05 for tol in tolerance.values()), tolerance


XFAILS = [(p[0], p[1], p[4]["xfail"]) for p in published() if p[4].get("xfail")]


@pytest.mark.parametrize("name,dataset,xfail", XFAILS, ids=[f"{n}-{d}" for n, d, _ in XFAILS])
def test_xfail_is_a_pinned_mapping(name, dataset, xfail):
    assert isinstance(xfail, dict) and set(xfail) == {"reason", "measured", "tolerance"}, name
    assert isinstance(xfail["reason"], str) and "papers.md" in xfail["reason"]
    assert xfail["measured"] and set(xfail["measured"]) == set(xfail["tolerance"])
    assert all(0 < tol <= 0.01 for tol in xfail["tolerance"].values())


def committed(name: str, dataset: str, protocol: str) -> dict:
    hits = [r for r in records.iter_records(COMMITTED)
            if r["baseline"] == name and r["dataset"]["name"] == dataset
            and r["protocol"]["name"] == protocol]  # fmt: skip
    assert hits, f"no committed record of {name} on {dataset} / {protocol}"
    return max(hits, key=lambda r: r["run_id"])


@pytest.mark.parametrize(
    "name,dataset,protocol,reported,cfg", published(), ids=[p[0] for p in published()]
)
def test_committed_record_agrees_with_the_yaml(name, dataset, protocol, reported, cfg):
    """The committed incumbent is within tolerance of the paper, or (xfail) of the pin and
    outside the paper's tolerance: the YAML states what the committed run shows."""
    metrics = committed(name, dataset, protocol)["metrics"]
    off = misses(metrics, reported, cfg["tolerance"])
    xfail = cfg.get("xfail")
    if xfail:
        assert off, f"{name}: the committed record reaches the paper; drop the xfail"
        assert not misses(metrics, xfail["measured"], xfail["tolerance"])
    else:
        assert not off, f"{name}: committed record vs reported (tolerance): {off}"
