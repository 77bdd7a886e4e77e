"""Provenance of the code behind a run, the kit's own and a challenger's from outside it.

A baseline's config names classes by import path (``_target_``). Those under the kit
(``incumbent.*``), the standard library and the kit's own dependencies (scikit-learn,
torch, ...: ``record["versions"]``) are covered already. Any other module is **outside
code** (a team's own package, a module beside a config folder, a test script), and the
record stores, per top-level package: its import name, the installed distribution's name
and version when there is one, the sha256 of each of its source files, and the git SHA and
dirty state of the repository it lives in when there is one.

The run's ``code_version`` (the resume rule, :mod:`incumbent.running.resume`) is the kit's
code version plus a digest of the outside code's file hashes and versions, so editing a
challenger's source reruns it even when the kit did not change. An outside module whose
source cannot be read (defined in an interactive session) makes the code version unknown:
such a run is never skipped.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import incumbent
from incumbent.running import records, resume

KIT_IMPORTS = frozenset({
    "incumbent", "baselines", "numpy", "scipy", "pandas", "pyarrow", "sklearn", "torch",
    "lightning", "pytorch_lightning", "hydra", "omegaconf", "datasets", "matplotlib",
})  # fmt: skip
"""Top-level import names whose versions the record already holds (not outside code)."""


def kit_git_state() -> dict[str, Any]:
    """The checkout's git state; an installed kit has none (never a surrounding repo's)."""
    if incumbent.CHECKOUT is None:
        return {"sha": None, "dirty": None}
    return records.git_state(incumbent.CHECKOUT)


@functools.cache
def _installed_kit_digest() -> str:
    h = hashlib.sha256()
    base = Path(incumbent.__file__).parent
    for path in sorted(base.rglob("*")):
        if path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
            h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def kit_code_version() -> str | None:
    """A checkout: :func:`resume.code_version` (git). An installed kit: its version plus a
    digest of its code and configs (``$INCUMBENT_CODE_VERSION`` overrides both)."""
    if incumbent.CHECKOUT is not None or os.environ.get("INCUMBENT_CODE_VERSION"):
        return resume.code_version(incumbent.CHECKOUT or incumbent.ROOT)
    return f"incumbent-{incumbent.__version__}+files.{_installed_kit_digest()}"


def target_paths(config: Any, where: str = "") -> list[tuple[str, Any]]:
    """``(config path, value)`` of every ``_target_`` key in a nested config, in document
    order (the value as stored: a record's config is data and may hold anything)."""
    out = []
    if isinstance(config, dict):
        for k, v in config.items():
            path = f"{where}.{k}" if where else str(k)
            if k == "_target_":
                out.append((path, v))
            else:
                out += target_paths(v, path)
    elif isinstance(config, list | tuple):
        for k, v in enumerate(config):
            out += target_paths(v, f"{where}[{k}]")
    return out


def targets(node: Any) -> list[str]:
    """Every ``_target_`` string in a (nested) config, in document order."""
    return [v for _, v in target_paths(node) if isinstance(v, str)]


def module_of(target: str) -> str | None:
    """The importable module of a dotted ``_target_`` (``pkg.mod.Class`` -> ``pkg.mod``)."""
    parts = target.split(".")
    for n in range(len(parts), 0, -1):
        name = ".".join(parts[:n])
        try:
            importlib.import_module(name)
            return name
        except ImportError:
            continue
    return None


def is_outside(module: str) -> bool:
    top = module.split(".")[0]
    return top not in KIT_IMPORTS and top not in sys.stdlib_module_names


def source_files(module: str) -> dict[str, Path] | None:
    """The source files of ``module``'s top-level package (or of the module itself when it
    is not in a package), by path relative to its folder; ``None`` if they cannot be read."""
    top = module.split(".")[0]
    mod = sys.modules.get(top) or importlib.import_module(top)
    roots = [Path(p) for p in getattr(mod, "__path__", [])]
    if roots:
        return {f"{top}/{p.relative_to(r).as_posix()}": p for r in roots
                for p in sorted(r.rglob("*.py")) if "__pycache__" not in p.parts}  # fmt: skip
    file = getattr(sys.modules.get(module), "__file__", None)
    return {Path(file).name: Path(file)} if file and Path(file).is_file() else None


def repo_state(folder: Path) -> dict[str, Any] | None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip

    try:
        return {
            "root": git("rev-parse", "--show-toplevel"),
            "sha": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        }
    except (subprocess.CalledProcessError, FileNotFoundError, NotADirectoryError):
        return None


def distribution(top: str) -> tuple[str | None, str | None]:
    dists = metadata.packages_distributions().get(top) or []
    for name in dists:
        try:
            return name, metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None, None


def describe_module(module: str) -> dict[str, Any]:
    top = module.split(".")[0]
    files = source_files(module)
    dist, version = distribution(top)
    folder = next(iter(files.values())).parent if files else None
    return {
        "module": module,
        "distribution": dist,
        "version": version,
        "files": None if files is None else {
            rel: hashlib.sha256(p.read_bytes()).hexdigest() for rel, p in files.items()},
        "git": repo_state(folder) if folder else None,
    }  # fmt: skip


def config_sources() -> list[dict[str, str]]:
    """Config folders of this Hydra run beyond the kit's own (``--config-dir``, searchpath)."""
    try:
        from hydra.core.hydra_config import HydraConfig

        sources = HydraConfig.get().runtime.config_sources
    except (ValueError, ImportError):
        return []
    kit = {"hydra", "main", "schema"}
    return [{"path": s.path, "schema": s.schema, "provider": s.provider}
            for s in sources if s.provider not in kit]  # fmt: skip


@dataclass
class Provenance:
    outside: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. a score file's sha256

    def code_version(self) -> str | None:
        kit = kit_code_version()
        if kit is None or not self.outside:
            return kit
        if any(m["files"] is None for m in self.outside):
            return None  # unreadable outside source: never skip on it
        keep = [{k: m[k] for k in ("module", "distribution", "version", "files")}
                for m in self.outside]  # fmt: skip
        blob = json.dumps(keep, sort_keys=True).encode()
        return f"{kit}+outside.{hashlib.sha256(blob).hexdigest()[:12]}"

    def versions(self) -> dict[str, str]:
        return {m["distribution"]: m["version"] for m in self.outside if m["distribution"]}

    def block(self) -> dict[str, Any] | None:
        out = dict(self.extra)
        if self.outside:
            out["outside_code"] = self.outside
        if self.sources:
            out["config_sources"] = self.sources
        if out:
            out["kit_version"] = incumbent.__version__
        return out or None


def collect(baseline_cfg: dict[str, Any], modules: tuple[str, ...] = ()) -> Provenance:
    """Provenance of a baseline config (its ``_target_``s) plus any ``modules`` named."""
    # kit targets are not imported here: a resumed sweep job must not pay for torch
    names = [m for t in targets(baseline_cfg) if is_outside(t) and (m := module_of(t))]
    names += [*baseline_cfg.get("modules", []), *modules]  # e.g. an API estimator's class
    tops: dict[str, str] = {}
    for name in names:
        if is_outside(name):
            tops.setdefault(name.split(".")[0], name)
    extra = baseline_cfg.get("provenance") or {}
    return Provenance(outside=[describe_module(m) for m in tops.values()],
                      sources=config_sources(), extra=dict(extra))  # fmt: skip
