"""User-facing errors: one line saying what is wrong, where, and what fits.

``run.py`` composes a single run's config before Hydra starts (:func:`precheck`), so a
mistake on the command line (an unknown config, a baseline or protocol that does not fit
the dataset, ``seed=abc``, a ``+key`` nothing reads) is reported before any data is
loaded or any folder written. Inside a run, :func:`one_line` turns any exception into a
line; the traceback is printed only with ``INCUMBENT_DEBUG=1`` (or Hydra's own
``HYDRA_FULL_ERROR=1``).
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import traceback
from typing import Any

from omegaconf import DictConfig, OmegaConf

EXIT_USER = 2  # a mistake in the command line or config
EXIT_CRASH = 1  # anything else (a bug, a crash in a dependency)
# top-level config keys the code reads itself (the rest are read through interpolations)
READ_BY_CODE = {"paths", "dataset", "protocol", "baseline", "seed", "progress",
                "save_scores", "force", "hydra", "experiment"}  # fmt: skip
DEBUG_HINT = "INCUMBENT_DEBUG=1 shows the traceback"


class UserError(ValueError):
    """A mistake the user can fix from the message alone (no traceback needed)."""


class IncompatibleInput(UserError):
    """The baseline or protocol cannot read what this dataset provides."""


def debug() -> bool:
    flags = (os.environ.get("INCUMBENT_DEBUG", ""), os.environ.get("HYDRA_FULL_ERROR", ""))
    return any(f.lower() in ("1", "true", "yes") for f in flags)


def _names(names: list[str], limit: int = 6) -> str:
    if not names:
        return "(none)"
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... ({len(names)}; `incumbent list` shows all)"


def _choice(cfg: DictConfig, group: str) -> str:
    """The config file picked for ``group`` (``protocol=fixed_text`` -> ``fixed_text``)."""
    got = OmegaConf.select(cfg, f"hydra.runtime.choices.{group}", default=None)
    if got is None:
        try:
            from hydra.core.hydra_config import HydraConfig

            got = HydraConfig.get().runtime.choices.get(group)
        except (ValueError, ImportError):
            got = None
    if got is None and group == "protocol":
        got = str(OmegaConf.select(cfg, "protocol._target_", default="?")).rsplit(".", 1)[-1]
    return str(got or OmegaConf.select(cfg, f"{group}.name", default="?"))


def check_pairing(cfg: DictConfig) -> None:
    """Baseline and protocol must read the kind of input the dataset provides."""
    # the catalog (every config, every protocol class) is read only to word an error
    from incumbent.reports.catalog import catalog, protocol_fit

    dataset = str(cfg.dataset.get("name", _choice(cfg, "dataset")))
    have = cfg.dataset.get("input", "fixed_text")
    want = cfg.baseline.get("input", "fixed_text")
    baseline = cfg.baseline.get("name", _choice(cfg, "baseline"))
    if want != have:
        cat = catalog()
        raise IncompatibleInput(
            f"baseline {baseline} takes {want} input, dataset {dataset} provides {have}: "
            f"datasets that fit {baseline}: {_names(cat.datasets_for(want))}; "
            f"baselines that fit {dataset}: {_names(cat.baselines_for(have))}"
        )
    base = OmegaConf.select(cfg, "protocol.base._target_", default=None)
    fit = protocol_fit(cfg.protocol._target_, base)
    if not fit.fits(dataset, have):
        cat = catalog()
        protocol = _choice(cfg, "protocol")
        written_for = ", ".join(fit.for_datasets or [f"{k} datasets" for k in fit.reads])
        fitting = cat.protocols_for(dataset) if dataset in cat.datasets else []
        default = cat.datasets.get(dataset, {}).get("protocol")
        fitting = [f"{p} (its default)" if p == default else p for p in fitting]
        raise IncompatibleInput(
            f"protocol {protocol} does not fit dataset {dataset} (it is written for "
            f"{written_for}): protocols that fit {dataset}: {_names(fitting)}"
        )


def check_values(cfg: DictConfig) -> None:
    """Top-level values whose type is fixed (before any data is loaded)."""
    seed = cfg.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UserError(
            f"seed={seed!r} (conf/config.yaml, key seed): expected an integer, e.g. seed=1"
        )
    for key in ("progress", "save_scores", "force"):
        value = cfg.get(key)
        if value is not None and not isinstance(value, bool):
            raise UserError(
                f"{key}={value!r} (conf/config.yaml, key {key}): expected true or false"
            )


def _interpolated_roots(cfg: DictConfig) -> set[str]:
    text = str(OmegaConf.to_container(cfg, resolve=False))
    return set(re.findall(r"\$\{(?:oc\.select:)?([A-Za-z_]\w*)", text))


def _leaves(node: Any, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() if k != "hydra"
                for leaf in _leaves(v, f"{prefix}{k}.")]  # fmt: skip
    return [prefix[:-1]]


def check_added_keys(cfg: DictConfig, overrides: list[str]) -> None:
    """A ``+key=value`` whose top-level key nothing reads is a typo, not a setting."""
    read = READ_BY_CODE | _interpolated_roots(cfg)
    for override in overrides:
        if not override.startswith("+"):
            continue
        key, _, value = override.lstrip("+").partition("=")
        root = key.split(".")[0]
        if root in read:
            continue
        leaves = [p for p in _leaves(OmegaConf.to_container(cfg, resolve=False))
                  if p.split(".")[0] != root]  # fmt: skip
        same_name = [p for p in leaves if p.split(".")[-1] == key.split(".")[-1]]
        close = same_name or difflib.get_close_matches(key, leaves, n=1)
        hint = f"did you mean {close[0]}={value}?" if close else "see `python run.py --cfg job`"
        raise UserError(f"{override}: no part of the kit reads a top-level key {root!r}; {hint}")


def validate(cfg: DictConfig, overrides: list[str]) -> None:
    """Every check that needs no data: values, added keys, then the pairing."""
    check_values(cfg)
    check_added_keys(cfg, overrides)
    check_pairing(cfg)


def one_line(error: BaseException) -> str:
    """``error`` as one line: the message, newlines folded, Hydra/OmegaConf noise dropped."""
    from hydra.errors import InstantiationException
    from omegaconf.errors import OmegaConfBaseException

    if isinstance(error, InstantiationException) and error.__cause__ is not None:
        return one_line(error.__cause__)  # the loader's or estimator's own message
    msg = str(error).split("\nConfig search path:")[0]
    missing = re.search(r"Could not find '([\w/]+)/(\w+)'", msg)
    if missing:  # Hydra: an unknown config name, then its options one per line
        group, name = missing.groups()
        options = re.findall(r"^\t(\S+)$", msg, flags=re.M)
        return f"{group}={name}: there is no conf/{group}/{name}.yaml; {group} configs: " + (
            ", ".join(options) or "(none)"
        )
    lines = [ln.strip() for ln in msg.splitlines() if ln.strip()]
    if isinstance(error, OmegaConfBaseException):
        lines = [ln for ln in lines if not ln.startswith(("object_type=", "reference_type="))]
    text = " ".join(lines[:1]) + ("" if len(lines) < 2 else
                                   " (" + ", ".join(lines[1:]) + ")")  # fmt: skip
    text = text.replace(") (", ", ")
    return text if is_user_error(error) else f"{type(error).__name__}: {text}"


def is_user_error(error: BaseException) -> bool:
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from incumbent.data.cards import DataError

    return isinstance(error, UserError | DataError | HydraException | OmegaConfBaseException)


def report(error: BaseException, file=None) -> int:
    """Print ``error`` as one line (traceback too under debug); return the exit status."""
    file = file or sys.stderr
    user = is_user_error(error)
    if debug():
        traceback.print_exception(error, file=file)
    line = f"error: {one_line(error)}"
    if not user and not debug():
        line += f"  [{DEBUG_HINT}]"
    print(line, file=file)
    return EXIT_USER if user else EXIT_CRASH


def _wants_precheck(argv: list[str]) -> bool:
    # flags (-m, --cfg, --help, ...) go straight to Hydra; multiruns report per job
    return not any(a.startswith("-") for a in argv)


def precheck(argv: list[str], config_dir: str, config_name: str = "config") -> None:
    """Compose a single run's config and check it; on a mistake print one line and exit."""
    if not _wants_precheck(argv):
        return
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    try:
        with initialize_config_dir(config_dir, version_base="1.3"):
            cfg = compose(config_name, overrides=argv, return_hydra_config=True)
        if str(OmegaConf.select(cfg, "hydra.mode", default="")).endswith("MULTIRUN"):
            return  # an experiment that sweeps: each job is checked (n/a or failed)
        validate(cfg, argv)
        # Hydra writes its run folder under the results folder before the job starts: an
        # unwritable one must be this one line, not Hydra's traceback
        from incumbent.running.preflight import check_writable

        check_writable(cfg.paths.results_dir)
    except Exception as e:  # noqa: BLE001  (any mistake becomes one line and an exit code)
        raise SystemExit(report(e)) from None
    finally:
        GlobalHydra.instance().clear()
