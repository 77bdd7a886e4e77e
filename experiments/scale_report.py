"""Render docs/scale.md's Aalto table from the committed benchmark results.

    python experiments/scale_report.py            # rewrite the block in docs/scale.md
    python experiments/scale_report.py --check    # exit 1 if the block is stale

The block between ``<!-- BEGIN GENERATED aalto-scale -->`` and ``<!-- END GENERATED -->``
comes from ``experiments/measurements/aalto_scale.json`` (``bench_aalto_scale.py --json``);
tests/test_scale_doc.py fails when they disagree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "measurements" / "aalto_scale.json"
DOC = ROOT / "docs" / "scale.md"
BLOCK = re.compile(r"(<!-- BEGIN GENERATED aalto-scale -->\n)(.*?)(<!-- END GENERATED -->)", re.S)
MiB = 1 << 20


def render(results: dict) -> str:
    rows = results["sizes"]
    lines = [
        "| participants | sentences | zip | phase | wall s | CPU s | peak RSS | notes |",
        "|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in rows:
        read = r["read"]
        for name in ("read", "parse", "reload", "protocol"):
            p = r[name]
            note = ""
            if name == "read":
                note = f"{read['bytes'] / 1e9:.2f} GB unpacked"
            if name == "parse":
                w = p["where_s"]
                note = (f"{p['seconds'] / read['seconds']:.1f}x read wall, "
                        f"{p['cpu_seconds'] / read['cpu_seconds']:.1f}x CPU; cache "
                        f"{p['cache_bytes'] / MiB:,.0f} MiB; wall s: sha256 {w['sha256']}, "
                        f"zip read {w['zip_read']}, CSV + sequences {w['csv_parse_and_sequences']}"
                        f", Arrow write + index {w['arrow_write_and_index']}")  # fmt: skip
            if name == "protocol":
                note = f"{p['scores']:,} scores"
            sentences = f"{p['sentences']:,}" if "sentences" in p else ""
            lines.append(f"| {r['participants']:,} | {sentences} | "
                         f"{r['zip_bytes'] / 1e6:,.0f} MB | {name} | {p['seconds']:,.1f} | "
                         f"{p['cpu_seconds']:,.1f} | {p['peak'] / MiB:,.0f} MiB | {note} |")  # fmt: skip
    first, last = rows[0], rows[-1]
    ratios = ", ".join(f"{name} {last[name]['peak'] / first[name]['peak']:.2f}x"
                       for name in ("parse", "reload", "protocol"))  # fmt: skip
    lines += [
        "",
        f"Peak RSS from {first['participants']:,} to {last['participants']:,} participants: "
        f"{ratios}. Protocol: {results['train']:,} training and {results['eval']:,} "
        f"evaluation participants. Measured by `{results['command']}` at code "
        f"`{results['code_version']}` ({results['finished']}, {results['cpus']} CPUs, load "
        f"average {results['load_average_at_end'][0]:.0f} at the end).",
    ]
    return "\n".join(lines) + "\n"


def refresh(check: bool = False) -> bool:
    """Rewrite (or check) the block; True if it was already fresh."""
    text = DOC.read_text()
    body = render(json.loads(RESULTS.read_text()))
    new = BLOCK.sub(lambda m: m.group(1) + body + m.group(3), text)
    if not BLOCK.search(text):
        raise SystemExit(f"{DOC}: no generated aalto-scale block")
    if not check and new != text:
        DOC.write_text(new)
    return new == text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true")
    check = ap.parse_args().check
    fresh = refresh(check)
    sys.exit(1 if check and not fresh else 0)
