"""Which records may become an incumbent, and when a paper's value applies.

A record that passed the integrity checks can still be a poor incumbent:

* **dirty tree**: made from uncommitted or untracked code (``git.dirty`` or a
  ``+dirty`` code version): its commit alone does not reproduce it;
* **tuned sweep**: made by a sweeper that chose parameters on the evaluation data
  (Optuna or any sweeper other than Hydra's plain grid), an optimistic number.

Such a record is never promoted and never picked as the default incumbent by
``compare`` / ``leaderboard``; named explicitly it still compares, and is marked.

A paper's ``reported`` value belongs to the paper's protocol setting: the protocol's
``__init__`` defaults (what ``conf/protocol/<name>.yaml`` sets too). A run under other
parameters neither shows nor stores it, and ``promote --reported-only`` skips it.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from incumbent import ROOT

GRID_SWEEPERS = ("BasicSweeper",)  # sweepers that do not choose values from results


def is_dirty(record: dict) -> bool:
    """The kit's tree, or the repository of any outside code the run used, was dirty."""
    git = record.get("git") or {}
    outside = ((record.get("provenance") or {}).get("outside_code")) or []
    return (
        bool(git.get("dirty"))
        or "+dirty" in str(record.get("code_version") or "")
        or any(((m or {}).get("git") or {}).get("dirty") for m in outside)
    )


def sweeper(record: dict) -> str | None:
    """The tuning sweeper that made the record, if any (new records state it; older ones
    show it in their command line)."""
    info = record.get("sweep") or {}
    if info.get("tuned"):
        return str(info.get("sweeper") or "a sweeper")
    words = str(record.get("command") or "").split() + list(record.get("overrides") or [])
    for w in words:
        if w.startswith(("hydra/sweeper=", "+hydra/sweeper=")):
            return w.split("=", 1)[1]
    return None


def reasons(record: dict) -> list[str]:
    """Why ``record`` may not be promoted or picked by default (empty: it may)."""
    out = []
    if is_dirty(record):
        out.append("dirty tree")
    tuned = sweeper(record)
    if tuned:
        out.append(f"tuned sweep ({tuned})")
    return out


def eligible(record: dict) -> bool:
    return not reasons(record)


def label(record: dict) -> str:
    """``baseline (run id)``, marked when the record is not eligible as an incumbent."""
    why = reasons(record)
    return f"{record['baseline']} ({record['run_id']})" + (f" [{', '.join(why)}]" if why else "")


def _plain(x: Any) -> Any:
    return json.loads(json.dumps(x, default=str))


@functools.cache
def paper_params() -> dict[str, dict]:
    """Protocol name -> the parameters of its paper setting (its ``__init__`` defaults),
    for each protocol the kit's own ``conf/protocol`` names that builds without arguments."""
    import importlib

    from omegaconf import OmegaConf

    out = {}
    for yaml in sorted((ROOT / "conf" / "protocol").glob("*.yaml")):
        target = OmegaConf.load(yaml).get("_target_")
        if not isinstance(target, str):
            continue
        module, _, cls = target.rpartition(".")
        try:
            proto = getattr(importlib.import_module(module), cls)()
        except (ImportError, AttributeError, TypeError, ValueError):
            continue  # a protocol with required arguments has no single paper setting
        out.setdefault(proto.name, _plain(proto.params()))
    return out


def reported_applies(record: dict) -> bool:
    """Whether a record's stored ``reported`` value may be shown or used: its parameters are
    its protocol's paper setting (a protocol without a known one is taken as stored)."""
    p = record["protocol"]
    return p["name"] not in paper_params() or is_paper_setting(p["name"], p.get("params"))


def is_paper_setting(protocol_name: str, params: dict | None) -> bool:
    """Whether ``params`` are the paper's setting of protocol ``protocol_name``."""
    want = paper_params().get(protocol_name)
    return want is not None and _plain(params or {}) == want
