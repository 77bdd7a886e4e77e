"""incumbent: reproduced baselines and a common, versioned evaluation protocol."""

from pathlib import Path

from omegaconf import OmegaConf

ROOT = Path(__file__).resolve().parent.parent

__version__ = "0.1.0"


def _register_resolvers() -> None:
    from incumbent.data.cards import cache_dir

    OmegaConf.register_new_resolver("repo_root", lambda: str(ROOT), replace=True)
    OmegaConf.register_new_resolver("cache_dir", lambda: str(cache_dir()), replace=True)


_register_resolvers()
