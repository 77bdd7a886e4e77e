"""Promote run records to committed incumbents: ``incumbents/<dataset>/<protocol>-v<version>/<baseline>.json``.

Only the JSON record is committed (a few kB); its scores are regenerated on demand
(:func:`incumbent.reports.plots.scores_for`). Per (dataset, protocol, version, protocol
parameters, baseline) the newest of the given records is kept. Rules:

* a record from a dirty tree or a tuned sweep is refused (:mod:`incumbent.gate.eligibility`);
  one failing its integrity checks never gets here (reading it fails);
* a committed record of **other protocol parameters** is never replaced, even with ``force``
  (a run outside the paper's setting is committed under a name of its own, :func:`destination`);
* an existing committed record is replaced only by a newer run unless ``force``;
* ``reported_only`` keeps only records whose paper value applies (the paper's setting).

Every call rewrites ``<root>/MANIFEST.sha256`` (:func:`incumbent.running.integrity.write_manifest`),
which every later read of the committed records checks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from incumbent.gate import eligibility
from incumbent.gate.leaderboard import COMMITTED, board_key
from incumbent.running import integrity, records


def destination(record: dict, root: Path = COMMITTED) -> Path:
    """``<baseline>.json``; under parameters other than the paper's setting (where the
    protocol has one), ``<baseline>.params-<hash>.json``, a board of its own."""
    d, p = record["dataset"]["name"], record["protocol"]
    name = record["baseline"]
    known = p["name"] in eligibility.paper_params()
    if known and not eligibility.is_paper_setting(p["name"], p.get("params")):
        blob = json.dumps(p.get("params") or {}, sort_keys=True, default=str).encode()
        name += f".params-{hashlib.sha256(blob).hexdigest()[:8]}"
    return Path(root) / d / f"{p['name']}-v{p['version']}" / f"{name}.json"


def _age(r: dict) -> tuple[str, str]:
    return (r.get("started") or "", r["run_id"])


def _refusal(r: dict, reported_only: bool) -> str | None:
    why = eligibility.reasons(r)
    if why:
        return f"refused {r['run_id']}: {', '.join(why)} (never promoted)"
    if reported_only:
        p = r["protocol"]
        if not r.get("reported"):
            return f"skipped {r['run_id']}: no reported value (--reported-only)"
        if not eligibility.reported_applies(r):
            return (f"skipped {r['run_id']}: protocol parameters {p.get('params')} are not the "
                    "paper's, so its reported value does not apply (--reported-only)")  # fmt: skip
    return None


def _keep_old(old: dict, r: dict, dest: Path, force: bool) -> str | None:
    """Why the committed ``old`` stays (``None``: ``r`` replaces it)."""
    if board_key(old) != board_key(r):
        return (f"kept {dest}: committed {old['run_id']} has other protocol parameters "
                f"({board_key(old)[3] or 'none'} vs {board_key(r)[3] or 'none'}); a record of "
                "other parameters never replaces it")  # fmt: skip
    if force:
        return None
    if old["run_id"] == r["run_id"]:
        return f"unchanged {dest}: {r['run_id']}"
    if _age(old) > _age(r):
        return (f"kept {dest}: committed {old['run_id']} is newer than {r['run_id']} "
                "(--force replaces it)")  # fmt: skip
    return None


def promote(
    recs: list[dict], root: Path = COMMITTED, force: bool = False, reported_only: bool = False
) -> list[str]:
    """Copy the newest eligible record per baseline into ``root``; one message per decision."""
    newest: dict[tuple, dict] = {}
    messages, written = [], []
    for r in recs:
        refusal = _refusal(r, reported_only)
        if refusal:
            messages.append(refusal)
            continue
        key = (*board_key(r), r["baseline"])
        if key not in newest or _age(r) > _age(newest[key]):
            newest[key] = r
    for r in newest.values():
        dest = destination(r, root)
        note = "" if (r.get("git") or {}).get("sha") else " (warning: no git SHA recorded)"
        if dest.exists():
            try:
                old = records.read(dest)
            except integrity.IntegrityError as e:
                note += f" (replaces a committed record that fails its checks: {e.check})"
            else:
                keep = _keep_old(old, r, dest, force)
                if keep:
                    messages.append(keep)
                    continue
        clean = {k: v for k, v in r.items() if not k.startswith("_")}
        text = json.dumps(clean, indent=2, default=records._json_default) + "\n"
        records.atomic_write_bytes(dest, text.encode())
        written.append(dest)
        messages.append(f"promoted {r['run_id']} -> {dest}{note}")
    if Path(root).is_dir():
        manifest, left_out = integrity.write_manifest(Path(root), written)
        messages.append(f"manifest: {manifest}")
        messages += [f"not in the manifest: {rel} (changed since it was listed; promote it "
                     "again or restore it)" for rel in left_out]  # fmt: skip
    return messages
