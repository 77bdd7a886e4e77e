"""What goes with what, read from the config folder: ``incumbent list``.

The config folder is the registry. A dataset config names its input kind (``input:``)
and its default protocol (``override /protocol@_global_.protocol:`` in its defaults); a
baseline config names the input kind it reads (``input:``, default ``fixed_text``); a
protocol class names the kinds it reads (``reads``) and, when it is written for one
dataset's layout, that dataset (``for_datasets``); an experiment names its dataset(s),
protocol and baseline(s). :func:`catalog_markdown` is the README's generated table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from omegaconf import OmegaConf

from incumbent import ROOT

CONF = ROOT / "conf"
DEFAULT_INPUT = "fixed_text"
README = ROOT / "README.md"
BEGIN, END = "<!-- BEGIN GENERATED-CATALOG -->", "<!-- END GENERATED-CATALOG -->"


def _load(group: str, conf: Path = CONF) -> dict[str, dict]:
    return {
        p.stem: OmegaConf.to_container(OmegaConf.load(p), resolve=False)
        for p in sorted((conf / group).glob("*.yaml"))
    }


def _override(defaults: list, group: str) -> str | None:
    """The option that a defaults list picks with ``override /<group>...: <option>``."""
    for entry in defaults or []:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if key.startswith(f"override /{group}") and key[len(f"override /{group}"):] in (
                    "", f"@_global_.{group}"):  # fmt: skip
                    return value
    return None


@dataclass
class ProtocolFit:
    reads: tuple[str, ...]
    for_datasets: tuple[str, ...] | None

    def fits(self, dataset: str, kind: str) -> bool:
        return kind in self.reads and (self.for_datasets is None or dataset in self.for_datasets)


def protocol_fit(target: str, base_target: str | None = None) -> ProtocolFit:
    """``reads`` / ``for_datasets`` of a protocol class (a wrapper reads what its base reads)."""
    from hydra.utils import get_class

    cls = get_class(base_target or target)
    return ProtocolFit(
        tuple(cls.reads), None if cls.for_datasets is None else tuple(cls.for_datasets)
    )


@dataclass
class Catalog:
    datasets: dict[str, dict] = field(default_factory=dict)  # name -> {input, protocol}
    baselines: dict[str, str] = field(default_factory=dict)  # name -> input kind
    protocols: dict[str, ProtocolFit] = field(default_factory=dict)
    experiments: dict[str, dict] = field(default_factory=dict)  # name -> {datasets, protocol}

    def baselines_for(self, kind: str) -> list[str]:
        return sorted(b for b, k in self.baselines.items() if k == kind)

    def datasets_for(self, kind: str) -> list[str]:
        return sorted(d for d, v in self.datasets.items() if v["input"] == kind)

    def protocols_for(self, dataset: str) -> list[str]:
        kind = self.datasets[dataset]["input"]
        return sorted(p for p, f in self.protocols.items() if f.fits(dataset, kind))

    def datasets_of(self, protocol: str) -> list[str]:
        f = self.protocols[protocol]
        return sorted(d for d, v in self.datasets.items() if f.fits(d, v["input"]))

    def experiments_for(self, dataset: str) -> list[str]:
        return sorted(e for e, v in self.experiments.items() if dataset in v["datasets"])


@cache
def catalog(conf: Path = CONF) -> Catalog:
    cat = Catalog()
    for name, d in _load("dataset", conf).items():
        cat.datasets[name] = {
            "input": d.get("input", DEFAULT_INPUT),
            "protocol": _override(d.get("defaults"), "protocol"),
        }
    for name, b in _load("baseline", conf).items():
        cat.baselines[name] = b.get("input", DEFAULT_INPUT)
    for name, p in _load("protocol", conf).items():
        base = p.get("base")
        cat.protocols[name] = protocol_fit(p["_target_"], base.get("_target_") if base else None)
    for name, e in _load("experiment", conf).items():
        dataset = _override(e.get("defaults"), "dataset")
        swept = OmegaConf.select(OmegaConf.create(e), "hydra.sweeper.params.dataset")
        datasets = [s.strip() for s in str(swept).split(",")] if swept else [dataset]
        protocol = _override(e.get("defaults"), "protocol")
        cat.experiments[name] = {"datasets": datasets, "protocol": protocol}
    return cat


def rows(cat: Catalog | None = None) -> list[list[str]]:
    """dataset | input | default protocol | other protocols that fit | baselines | experiments."""
    cat = cat or catalog()
    out = []
    for name, d in sorted(cat.datasets.items()):
        kind = d["input"]
        others = [p for p in cat.protocols_for(name) if p != d["protocol"]]
        fitting = cat.baselines_for(kind)
        baselines = (f"every {kind} baseline ({len(fitting)})" if len(fitting) > 4
                     else ", ".join(fitting))  # fmt: skip
        out.append([name, kind, d["protocol"] or "(none)", ", ".join(others) or "-",
                    baselines or "-", ", ".join(cat.experiments_for(name)) or "-"])  # fmt: skip
    return out


HEADERS = ["dataset", "input", "default protocol", "other protocols", "baselines", "experiments"]


def long_lists(cat: Catalog | None = None) -> list[str]:
    """The baseline lists that the table abbreviates, one line per input kind."""
    cat = cat or catalog()
    kinds = sorted({d["input"] for d in cat.datasets.values()})
    return [f"{k} baselines: {', '.join(cat.baselines_for(k))}" for k in kinds
            if len(cat.baselines_for(k)) > 4]  # fmt: skip


def grouped(table: list[list[str]]) -> list[list[str]]:
    """Datasets whose other columns are all equal share one row (the README stays short)."""
    out: dict[tuple[str, ...], list[str]] = {}
    for name, *rest in table:
        out.setdefault(tuple(rest), []).append(name)
    return [[", ".join(names), *rest] for rest, names in out.items()]


def render(fmt: str = "simple", cat: Catalog | None = None) -> str:
    from tabulate import tabulate

    table = rows(cat) if fmt != "github" else grouped(rows(cat))
    table = tabulate(table, headers=HEADERS, tablefmt=fmt)
    notes = long_lists(cat)
    if fmt == "github":
        notes = [f"- `{n.split(':')[0]}`: {n.split(': ', 1)[1]}" for n in notes]
    return table + "\n\n" + "\n".join(notes) + "\n"


def catalog_markdown(cat: Catalog | None = None) -> str:
    return render("github", cat)


def refresh_readme(path: Path = README, check: bool = False) -> bool:
    """Rewrite the README's generated catalog block; True when it was (or is) stale."""
    text = path.read_text()
    head, sep, rest = text.partition(BEGIN + "\n")
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError(f"{path}: no {BEGIN} ... {END} block")
    new = head + BEGIN + "\n" + catalog_markdown() + END + tail
    if new == text:
        return False
    if not check:
        path.write_text(new)
    return True
