"""No code from a record is ever executed: which ``_target_``s a stored config may name.

Regenerating a record's scores (``incumbent plot``) rebuilds its run from the config the
record stores. That config is data someone could edit, and Hydra's ``_target_`` turns
data into a call, so every ``_target_`` in it must be one the kit itself configures:

* a ``_target_`` named by the kit's own ``conf/`` (loaders, protocols, baselines, the
  scikit-learn pipelines they use), or
* an estimator **class** (a ``sklearn.base.BaseEstimator`` subclass) from the kit's
  ``baselines`` or from scikit-learn, as a baseline YAML may name one.

Anything else (a function that writes files, ``os.system``, a module outside the kit) is
refused with :class:`UnsafeConfig` before anything is instantiated.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

from incumbent import ROOT
from incumbent.running.provenance import target_paths

ESTIMATOR_PACKAGES = ("sklearn.", "baselines.", "incumbent.baselines.")


MOVED = {  # module paths that moved since older records were written -> where they are now
    "incumbent.loaders.": "incumbent.data.loaders.",
    "incumbent.mouse.": "incumbent.data.mouse.",
    "baselines.": "incumbent.baselines.",
}


def current_targets(config: Any) -> Any:
    """``config`` with every ``_target_`` under a moved module path renamed to where that
    code lives now (the code is the same; only the import path changed)."""
    if isinstance(config, dict):
        out = {}
        for k, v in config.items():
            if k == "_target_" and isinstance(v, str):
                old = next((o for o in MOVED if v.startswith(o)), None)
                v = MOVED[old] + v[len(old) :] if old else v
            out[k] = current_targets(v)
        return out
    if isinstance(config, list):
        return [current_targets(v) for v in config]
    return config


class UnsafeConfig(ValueError):
    """A stored config names a target outside the allow-list."""


@functools.cache
def kit_targets() -> frozenset[str]:
    """Every ``_target_`` the kit's own ``conf/`` names."""
    found = set()
    for yaml in (ROOT / "conf").rglob("*.yaml"):
        found |= set(re.findall(r"_target_:\s*([\w.]+)", yaml.read_text()))
    return frozenset(found)


def _is_estimator_class(target: str) -> bool:
    if not target.startswith(ESTIMATOR_PACKAGES) or not re.fullmatch(r"[\w.]+", target):
        return False
    module, _, name = target.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return False
    from sklearn.base import BaseEstimator

    return isinstance(obj, type) and issubclass(obj, BaseEstimator)


def allowed(target: Any) -> bool:
    return isinstance(target, str) and (target in kit_targets() or _is_estimator_class(target))


def check(config: dict, run_id: str = "record") -> None:
    """Raise :class:`UnsafeConfig` naming the first target outside the allow-list."""
    for path, target in target_paths(config):
        if not allowed(target):
            raise UnsafeConfig(
                f"{run_id}: refusing to rebuild it: its config sets {path} = {target!r}, which "
                "is neither a target of the kit's conf/ nor a scikit-learn or baseline "
                "estimator class; no code named by a record is run"
            )
