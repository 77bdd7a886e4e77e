"""Reproduction tests: every baseline config with ``reported`` values for a dataset and
protocol is run on the real data and must land within its stated ``tolerance``.

Found by glob over ``conf/baseline/*.yaml``: a new paper's YAML is picked up with no edit
here. A config may carry ``xfail: <reason>`` (an honest, measured gap, see papers.md);
it then runs as a strict expected failure. ``repro_in_ci: false`` marks a reproduction
too long for CI: it is marked ``slow`` and runs only with ``INCUMBENT_SLOW=1``
(``INCUMBENT_SLOW=1 pytest -m slow``), besides its experiment. A YAML reporting on several
data sets may override both per data set: ``per_dataset: {<dataset>: {repro_in_ci: ...,
xfail: ...}}``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hydra import compose, initialize_config_dir

from incumbent.running.pipeline import run

CONF = Path(__file__).resolve().parent.parent / "conf"


def cases():
    out = []
    for path in sorted((CONF / "baseline").glob("*.yaml")):
        cfg = yaml.safe_load(path.read_text())
        for dataset, by_protocol in (cfg.get("reported") or {}).items():
            if not (CONF / "dataset" / f"{dataset}.yaml").exists():
                continue
            # a YAML covering many data sets may set repro_in_ci / xfail per data set
            cell = {**cfg, **(cfg.get("per_dataset") or {}).get(dataset, {})}
            for protocol, reported in by_protocol.items():
                if not (CONF / "protocol" / f"{protocol}.yaml").exists():
                    continue
                marks = [pytest.mark.repro]
                if cell.get("repro_in_ci") is False:
                    marks += [pytest.mark.slow, pytest.mark.skipif(
                        not os.environ.get("INCUMBENT_SLOW"),
                        reason="too long for CI; set INCUMBENT_SLOW=1 to run it")]  # fmt: skip
                if x := cell.get("xfail"):
                    reason = x["reason"] if isinstance(x, dict) else x
                    marks.append(pytest.mark.xfail(reason=reason, strict=True,
                                                   raises=AssertionError))  # fmt: skip
                out.append(
                    pytest.param(
                        path.stem, dataset, protocol, reported, cell.get("tolerance") or {},
                        id=f"{path.stem}-{dataset}-{protocol}", marks=marks,
                    )
                )  # fmt: skip
    return out


@pytest.mark.parametrize("baseline,dataset,protocol,reported,tolerance", cases())
def test_reproduces_published_numbers(
    baseline, dataset, protocol, reported, tolerance, data_dir, results_dir
):
    assert tolerance, f"{baseline}: a reported value needs a stated tolerance"
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
        cfg = compose(
            "config",
            overrides=[
                f"baseline={baseline}", f"dataset={dataset}", f"protocol={protocol}",
                f"paths.data_dir={data_dir}", f"paths.results_dir={results_dir}",
                "progress=false",
            ],
        )  # fmt: skip
    record = run(cfg)
    checked = {k: v for k, v in tolerance.items() if k in reported}
    assert checked, f"{baseline}: tolerance names none of the reported metrics"
    misses = {
        k: (record["metrics"][k], reported[k], tol)
        for k, tol in checked.items()
        if abs(record["metrics"][k] - reported[k]) > tol + 1e-12
    }
    assert not misses, f"measured vs reported (tolerance): {misses}"
