"""incumbent: reproduced baselines and a common, versioned evaluation protocol.

Two ways to run the same code. In a source checkout the kit's folders sit beside this
package (``baselines/``, ``conf/``, ``datasets/``, ``incumbents/``); an installed wheel
carries them inside it (``incumbent/baselines``, ``incumbent/conf``, ...), mapped at build
time (see ``setup.py``). :func:`resource` finds them either way, through
:mod:`importlib.resources`; :data:`ROOT` is the checkout root, or the installed package
folder (so ``ROOT / "conf"`` is right in both; never ``ROOT / "results"``, see
:func:`default_results_dir`).

Python API: :func:`evaluate` and :func:`compare` (:mod:`incumbent.api`).
"""

import os
from importlib import resources
from pathlib import Path

from omegaconf import OmegaConf

__version__ = "0.1.0"

_PACKAGE = Path(__file__).resolve().parent


def _checkout() -> Path | None:
    """The source checkout this package is imported from, ``None`` for an installed wheel."""
    root = _PACKAGE.parent
    if (_PACKAGE / "conf").is_dir() or not (root / "conf").is_dir():
        return None  # the wheel's layout: its folders are inside the package
    return root if (root / "pyproject.toml").is_file() else None


CHECKOUT = _checkout()
ROOT = CHECKOUT or _PACKAGE

if CHECKOUT is not None and not (_PACKAGE / "baselines").is_dir():
    # the checkout keeps baselines/ at the top level; ``incumbent.baselines.<module>`` (the
    # import name a wheel installs) resolves to it, so configs name one target either way
    __path__.append(str(CHECKOUT))  # noqa: F821  (the package's own __path__)


def resource(name: str) -> Path:
    """A kit folder (``conf``, ``datasets``, ``incumbents``, ``baselines``) as a real path."""
    packaged = resources.files("incumbent") / name
    if packaged.is_dir():
        return Path(str(packaged))
    if CHECKOUT is not None:
        return CHECKOUT / name
    raise FileNotFoundError(f"the installed incumbent package has no {name}/ folder")


def default_results_dir() -> Path:
    """``$INCUMBENT_RESULTS``, else ``results/`` of the checkout, else of the current folder
    (an installed kit never writes into site-packages)."""
    env = os.environ.get("INCUMBENT_RESULTS")
    if env:
        return Path(env)
    return (CHECKOUT or Path.cwd()) / "results"


def evaluate(*args, **kwargs):
    """See :func:`incumbent.api.evaluate`."""
    from incumbent import api

    return api.evaluate(*args, **kwargs)


def compare(*args, **kwargs):
    """See :func:`incumbent.api.compare`."""
    from incumbent import api

    return api.compare(*args, **kwargs)


def _register_resolvers() -> None:
    from incumbent.data.cards import cache_dir

    OmegaConf.register_new_resolver("repo_root", lambda: str(ROOT), replace=True)
    OmegaConf.register_new_resolver("cache_dir", lambda: str(cache_dir()), replace=True)
    OmegaConf.register_new_resolver("results_dir", lambda: str(default_results_dir()), replace=True)


_register_resolvers()
