"""Scale benchmark: stream a synthetic Aalto-layout archive through the loader and
TypeNet feature extraction; print throughput and peak memory for two sizes.

    python experiments/bench_aalto_scale.py                    # 2,000 and 20,000 participants
    python experiments/bench_aalto_scale.py --sizes 500 5000 --dir /tmp/aalto_bench

Archives are written by ``make_synthetic_aalto.py`` under ``--dir`` (default under /tmp,
reused if present). Each size is measured in a fresh process: ``rss0`` is the resident
memory after imports, ``peak`` the process's high-water mark (VmHWM) after streaming
every participant (``iter_participants`` -> ``sequences`` -> ``typenet_features``), so
``peak - rss0`` is what streaming the archive costs. Flat ``peak - rss0`` while the
archive grows 10x is the point: memory is bounded by one participant file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def vm(field: str) -> int:
    """A /proc/self/status memory field in bytes (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(field)


def measure(archive: Path) -> dict:
    import numpy as np
    from tqdm import tqdm

    from incumbent.data.loaders import aalto

    rss0 = vm("VmRSS")
    issues: list = []
    participants = keystrokes = sequences = 0
    total = np.zeros(5)  # consume the features so none of the work is skipped
    t0 = time.perf_counter()
    for _, df in tqdm(aalto.iter_participants(archive, issues), desc=archive.name,
                      mininterval=5, file=sys.stderr):  # fmt: skip
        participants += 1
        for seq in aalto.sequences(df):
            x = aalto.typenet_features(seq["press"], seq["release"], seq["keycode"])
            total += x.sum(axis=0)
            keystrokes += len(x)
            sequences += 1
    secs = time.perf_counter() - t0
    return {"archive": str(archive), "zip_bytes": archive.stat().st_size,
            "participants": participants, "sequences": sequences, "keystrokes": keystrokes,
            "seconds": secs, "keystrokes_per_s": keystrokes / secs, "issues": len(issues),
            "rss0": rss0, "peak": vm("VmHWM")}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[2_000, 20_000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/incumbent_aalto_bench"))
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process mode
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    sys.path.insert(0, str(ROOT / "experiments"))
    from make_synthetic_aalto import write_archive

    rows = []
    for n in args.sizes:
        archive = args.dir / f"aalto_synth_{n}.zip"
        if not archive.exists():
            info = write_archive(archive, n)
            print(f"wrote {archive}: {info['unpacked_bytes'] / 1e9:.2f} GB unpacked", flush=True)
        out = subprocess.run([sys.executable, __file__, "--measure", str(archive)],
                             check=True, capture_output=True, text=True)  # fmt: skip
        rows.append(json.loads(out.stdout))
    MiB = 1 << 20
    print(f"{'participants':>12} {'keystrokes':>12} {'zip MB':>7} {'s':>7} {'keys/s':>10} "
          f"{'rss0 MiB':>9} {'peak MiB':>9} {'peak-rss0':>10}")  # fmt: skip
    for r in rows:
        print(f"{r['participants']:>12,} {r['keystrokes']:>12,} {r['zip_bytes'] / 1e6:>7.0f} "
              f"{r['seconds']:>7.1f} {r['keystrokes_per_s']:>10,.0f} {r['rss0'] / MiB:>9.0f} "
              f"{r['peak'] / MiB:>9.0f} {(r['peak'] - r['rss0']) / MiB:>10.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
