"""Python API: evaluate any estimator under a protocol, and ask the gate for its verdict.

>>> import incumbent
>>> from sklearn.neighbors import LocalOutlierFactor
>>> record = incumbent.evaluate(LocalOutlierFactor(novelty=True), dataset="cmu_dsl",
...                             protocol="killourhy2009", name="lof")     # doctest: +SKIP
>>> verdict = incumbent.compare(record)     # against the cell's incumbent  # doctest: +SKIP
>>> verdict.outcome, verdict.delta, verdict.ci, verdict.p, verdict.exit_code  # doctest: +SKIP

Both go through the same code as ``incumbent run`` and ``incumbent compare``: the run is
:func:`incumbent.running.pipeline.run` (same record, same resume rule, same results
folder), the verdict is :func:`incumbent.gate.compare.compare`.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf, open_dict
from sklearn.base import BaseEstimator, clone

from incumbent import default_results_dir, resource

_REGISTRY: dict[str, Any] = {}  # estimators and factories handed to evaluate(), by key


def compose(overrides: list[str] = (), config_dir: str | Path | None = None) -> DictConfig:
    """The kit's config (``conf/config.yaml``) with Hydra ``overrides``, as ``run.py`` sees
    it; ``config_dir`` adds a folder of your own configs in front of the kit's."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    overrides = list(overrides)
    if config_dir is not None:
        overrides.append(f"hydra.searchpath=[file://{Path(config_dir).resolve()}]")
    GlobalHydra.instance().clear()
    with initialize_config_dir(str(resource("conf")), version_base="1.3"):
        return hydra_compose("config", overrides=overrides)


def registered(key: str, **_description):
    """Hydra target of an estimator given to :func:`evaluate` (the other keys only describe
    it, for the config hash)."""
    obj = _REGISTRY[key]
    return clone(obj) if hasattr(obj, "get_params") else FactoryEstimator(key)


class FactoryEstimator(BaseEstimator):
    """Wraps a zero-argument factory: each ``fit`` builds a fresh model from it."""

    def __init__(self, key: str = ""):
        self.key = key

    def _model(self):
        if not hasattr(self, "model_"):
            self.model_ = _REGISTRY[self.key]()
        return self.model_

    def fit(self, *args, **kwargs):
        self.model_ = _REGISTRY[self.key]()
        self.model_.fit(*args, **kwargs)
        return self

    def score_samples(self, X):
        return self.model_.score_samples(X)

    def fit_population(self, *args, **kwargs):  # population-trained protocols
        self._model().fit_population(*args, **kwargs)
        return self

    def embed(self, X):
        return self._model().embed(X)


def _describe(estimator) -> dict[str, Any]:
    """What the config (and so the config hash) holds for an estimator or a factory."""
    is_object = hasattr(estimator, "get_params") and not isinstance(estimator, type)
    kind = type(estimator) if is_object else estimator  # a factory: a function or a class
    qualname = getattr(kind, "__qualname__", type(kind).__qualname__)
    out = {"class": f"{kind.__module__}.{qualname}"}
    if is_object:
        params = estimator.get_params(deep=False)
        out["params"] = json.loads(json.dumps(params, sort_keys=True, default=repr))
    else:
        out["factory"] = True
    return out


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def evaluate(estimator, dataset: str = "cmu_dsl", protocol: str = "killourhy2009", *,
             name: str | None = None, seed: int = 0, force: bool = False,
             results_dir: str | Path | None = None, data_dir: str | Path | None = None,
             overrides: list[str] = (), **params) -> dict[str, Any]:  # fmt: skip
    """Run ``estimator`` under ``protocol`` on ``dataset``; write and return the record.

    ``estimator``: a scikit-learn-style estimator (``fit``, ``score_samples`` higher = more
    genuine; cloned for each subject) or a zero-argument factory returning one. ``params``
    set protocol parameters (``n_train=100``); ``overrides`` are any other Hydra overrides.
    ``name`` names the baseline in the record (default: the class name in snake case).
    The record is the one ``incumbent run`` writes, under ``results_dir`` (default
    ``$INCUMBENT_RESULTS`` or ``./results``); an unchanged rerun returns the stored record
    (``force=True`` recomputes), and editing the estimator's module reruns it.
    """
    from incumbent.running.pipeline import run

    desc = _describe(estimator)
    key = hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()[:16]
    _REGISTRY[key] = estimator
    cfg = compose([f"dataset={dataset}", f"protocol={protocol}", *overrides])
    module = desc["class"].rsplit(".", 1)[0]
    while module and module not in sys.modules:  # a nested class' module
        module = module.rpartition(".")[0]
    label = name or _snake(desc["class"].rsplit(".", 1)[-1])
    with open_dict(cfg):
        cfg.baseline = OmegaConf.create({
            "name": label,
            "input": cfg.dataset.get("input", "fixed_text"),
            "estimator": {"_target_": "incumbent.api.registered", "key": key, **desc},
            "modules": [module] if module else [],
        })  # fmt: skip
        for k, v in params.items():
            cfg.protocol[k] = v
        cfg.seed, cfg.force, cfg.progress = seed, force, False
        if results_dir is not None:
            cfg.paths.results_dir = str(results_dir)
        if data_dir is not None:
            cfg.paths.data_dir = str(data_dir)
    return run(cfg)


@dataclass
class Verdict:
    """The gate's answer for one challenger (as ``incumbent compare`` prints it)."""

    outcome: str  # PASS, FAIL or LATERAL (a win with a guard regressing)
    metric: str
    delta: float  # mean per-subject Δ vs the first incumbent (challenger - incumbent)
    ci: tuple[float, float]
    p: float  # Wilcoxon p vs the first incumbent (Holm-adjusted over several)
    guards: pd.DataFrame  # one row per guard metric and incumbent
    exit_code: int  # as `incumbent compare`: 0 PASS, 1 no significant win, 3 lateral
    comparison: Any  # the full incumbent.gate.compare.Comparison
    text: str

    def __str__(self) -> str:
        return self.text


def _load(ref, sources: list[Path], every) -> dict[str, Any]:
    """``ref`` as a record; ``every()`` gives the records of ``sources`` (loaded once)."""
    from incumbent.running import records

    if isinstance(ref, dict):
        return ref
    return records.lookup(str(ref), every, f"in {[str(s) for s in sources]}")


def compare(record, against=None, *, records_dirs: list[str | Path] | None = None,
            tolerances: dict[str, float] | None = None, alpha: float | None = None,
            n_resamples: int | None = None, seed: int = 0) -> Verdict:  # fmt: skip
    """The gate's verdict on ``record`` (a record dict, a record path or a run id).

    ``against``: a record / path / run id or a list of them; ``None`` = the incumbent of the
    record's cell among the committed incumbents and the local results (as the CLI).
    """
    from incumbent.gate import compare as cmp
    from incumbent.gate import leaderboard as lb

    sources = [Path(s) for s in records_dirs] if records_dirs else [lb.COMMITTED,
                                                                     default_results_dir()]  # fmt: skip
    every = functools.cache(lambda: lb.load(sources))  # read and check the records once
    challenger = _load(record, sources, every)
    if against is None:
        inc = lb.incumbent_for(challenger, every())
        if inc is None:
            raise LookupError(
                f"no incumbent recorded for {lb.cell_label(lb.board_key(challenger))}"
            )
        incumbents = [inc]
    else:
        refs = against if isinstance(against, list | tuple) else [against]
        incumbents = [_load(r, sources, every) for r in refs]
    c = cmp.compare(challenger, incumbents, tolerances=tolerances,
                    alpha=cmp.ALPHA if alpha is None else alpha,
                    n_resamples=n_resamples or cmp.N_RESAMPLES, seed=seed)  # fmt: skip
    outcome = {cmp.EXIT_WIN: "PASS", cmp.EXIT_NO_WIN: "FAIL", cmp.EXIT_LATERAL: "LATERAL"}
    v = c.versus[0]
    return Verdict(outcome=outcome[c.exit_code], metric=v.metric, delta=v.result.mean_delta,
                   ci=tuple(v.result.ci), p=v.p_holm, guards=cmp.guard_table(c),
                   exit_code=c.exit_code, comparison=c, text=cmp.render(c))  # fmt: skip
