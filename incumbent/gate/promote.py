"""Promote run records to committed incumbents: ``incumbents/<dataset>/<protocol>-v<version>/<baseline>.json``.

Only the JSON record is committed (a few kB); its scores are regenerated on demand
(:func:`incumbent.reports.plots.scores_for`). Per (dataset, protocol, version, baseline) the
newest of the given records is kept; an existing committed record is replaced only by a
newer run unless ``force``.
"""

from __future__ import annotations

import json
from pathlib import Path

from incumbent.gate.leaderboard import COMMITTED, cell
from incumbent.running import records


def destination(record: dict, root: Path = COMMITTED) -> Path:
    d, p = record["dataset"]["name"], record["protocol"]
    return Path(root) / d / f"{p['name']}-v{p['version']}" / f"{record['baseline']}.json"


def _age(r: dict) -> tuple[str, str]:
    return (r.get("started") or "", r["run_id"])


def promote(
    recs: list[dict], root: Path = COMMITTED, force: bool = False, reported_only: bool = False
) -> list[str]:
    """Copy the newest record per baseline into ``root``; return one message per decision.

    ``reported_only`` skips records without a paper's reported value (in-house runs).
    """
    newest: dict[tuple, dict] = {}
    messages = []
    for r in recs:
        if reported_only and not r.get("reported"):
            messages.append(f"skipped {r['run_id']}: no reported value (--reported-only)")
            continue
        key = (*cell(r), r["baseline"])
        if key not in newest or _age(r) > _age(newest[key]):
            newest[key] = r
    for r in newest.values():
        dest = destination(r, root)
        note = ""
        git = r.get("git") or {}
        if not git.get("sha"):
            note = " (warning: no git SHA recorded)"
        elif git.get("dirty"):
            note = " (warning: recorded from a dirty tree)"
        if dest.exists() and not force:
            old = records.read(dest)
            if old["run_id"] == r["run_id"]:
                messages.append(f"unchanged {dest}: {r['run_id']}")
                continue
            if _age(old) > _age(r):
                messages.append(
                    f"kept {dest}: committed {old['run_id']} is newer than {r['run_id']} "
                    "(--force replaces it)"
                )
                continue
        clean = {k: v for k, v in r.items() if not k.startswith("_")}
        text = json.dumps(clean, indent=2, default=records._json_default) + "\n"
        records.atomic_write_bytes(dest, text.encode())
        messages.append(f"promoted {r['run_id']} -> {dest}{note}")
    return messages
