"""Scale benchmark of the Aalto loader, its Arrow cache and the open-set protocol on
synthetic archives in the official layout (``make_synthetic_aalto.py``).

    nice -n 10 python experiments/bench_aalto_scale.py --sizes 1000 20000 100000 \\
        --dir /tmp/aalto_bench --json experiments/measurements/aalto_scale.json

For every size, each phase runs in a fresh process (so its peak memory is its own):

``read``      plain read: every member's bytes decompressed from the zip, nothing else
              (the floor any parser pays);
``parse``     ``aalto.load`` with an empty cache: read + parse + sequences + Arrow cache
              written in record batches; ``where`` splits its time into zip read, CSV
              parse + sequences, and the rest (batching and writing Arrow);
``reload``    ``aalto.load`` again: the cache is memory-mapped, the index frame built;
``protocol``  reload + the TypeNet open-set protocol (fixed ``--train``/``--eval``
              participants) with a trivial verifier (:class:`MeanFeatures`): the cost of
              splitting, selecting, reading and scoring sequences out of an archive of any
              size, without a network's training (which does not depend on the archive).

``seconds`` is wall time, ``cpu_seconds`` the process's CPU time (robust to other load
on the machine; the parse-vs-read ratio is given for both). ``peak`` is the process's high-water resident memory (VmHWM), ``rss0`` its resident
memory after imports. Archives and caches live under ``--dir`` (default /tmp); never
in the repository. ``--keep`` keeps them, else each size's files are deleted after it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class MeanFeatures:
    """A trivial free-text verifier (mean TypeNet features per sequence): the protocol's
    own cost (selecting, reading and scoring sequences) without a network's training."""

    def get_params(self):
        return {}

    def fit(self, sequences, subjects):
        return self

    def transform(self, sequences):
        import numpy as np

        from incumbent.data.loaders.aalto import typenet_features

        return np.array([typenet_features(s["press"], s["release"], s["keycode"]).mean(0)
                         for s in sequences])  # fmt: skip

    def score_gallery(self, gallery, queries):
        import numpy as np

        return -np.linalg.norm(queries[:, None] - gallery[None], axis=2).mean(axis=1)


def phase(name: str, archive: Path, args) -> dict:
    """Run one phase in this (fresh) process."""
    from incumbent.data.loaders import aalto

    if name == "protocol":  # imported up front so rss0 is comparable across sizes
        from incumbent.protocols.typenet_open_set import TypeNetOpenSet
    rss0, out = vm("VmRSS"), {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    if name == "read":
        out["bytes"] = sum(len(read()) for _, _, read in aalto.archive.members(archive))
    elif name == "parse":
        spent = {"sha256": 0.0, "zip_read": 0.0, "csv_parse_and_sequences": 0.0}

        def timed(key, fn):
            def wrapper(*a, **k):
                t = time.perf_counter()
                try:
                    return fn(*a, **k)
                finally:
                    spent[key] += time.perf_counter() - t

            return wrapper

        members = aalto.archive.members

        def timed_members(source):
            for pid, label, read in members(source):
                yield pid, label, timed("zip_read", read)

        # patched where load() and cache.parse_to_table look them up
        aalto.cache.members = timed_members
        aalto.cache.chunk_table = timed("csv_parse_and_sequences", aalto.cache.chunk_table)
        aalto.source_digest = timed("sha256", aalto.source_digest)
        ds = aalto.load(path=archive, progress=False)
        total = time.perf_counter() - t0
        spent["arrow_write_and_index"] = total - sum(spent.values())
        out["where_s"] = {k: round(v, 2) for k, v in spent.items()}
        out["sentences"] = int(ds.frame["sentences"].sum())
        out["cache_bytes"] = folder_bytes(Path(os.environ["XDG_CACHE_HOME"]))
    elif name == "reload":
        ds = aalto.load(path=archive, progress=False)
        assert ds.extra["cache_hit"]
        out["sentences"] = int(ds.frame["sentences"].sum())
    elif name == "protocol":
        ds = aalto.load(path=archive, progress=False)
        t1 = time.perf_counter()
        proto = TypeNetOpenSet(n_train=args.train, n_eval=args.eval)
        scores = proto.run(ds, MeanFeatures, progress=False)
        out["protocol_s"] = round(time.perf_counter() - t1, 2)
        out["scores"] = len(scores)
    out.update(seconds=round(time.perf_counter() - t0, 2),
               cpu_seconds=round(time.process_time() - cpu0, 2), rss0=rss0, peak=vm("VmHWM"))  # fmt: skip
    return out


def run_phase(name: str, archive: Path, cache: Path, args) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, __file__, "--phase", name, "--archive", str(archive),
           "--train", str(args.train), "--eval", str(args.eval)]  # fmt: skip
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", type=int, default=[1_000, 20_000, 100_000])
    ap.add_argument("--dir", type=Path, default=Path("/tmp/incumbent_aalto_bench"))
    ap.add_argument("--train", type=int, default=500)
    ap.add_argument("--eval", type=int, default=200)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--keep", action="store_true", help="keep archives and caches")
    ap.add_argument("--phase", help=argparse.SUPPRESS)  # child process mode
    ap.add_argument("--archive", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.archive, args)))
        return
    sys.path.insert(0, str(ROOT / "experiments"))
    from make_synthetic_aalto import write_archive

    rows = []
    for n in args.sizes:
        archive, cache = args.dir / f"aalto_synth_{n}.zip", args.dir / f"cache_{n}"
        if not archive.exists():
            info = write_archive(archive, n, progress=False)
            print(f"wrote {archive}: {info['unpacked_bytes'] / 1e9:.2f} GB unpacked", flush=True)
        shutil.rmtree(cache, ignore_errors=True)
        row = {"participants": n, "zip_bytes": archive.stat().st_size}
        for name in ("read", "parse", "reload", "protocol"):
            row[name] = run_phase(name, archive, cache, args)
            print(n, name, json.dumps(row[name]), flush=True)
        rows.append(row)
        if not args.keep:
            archive.unlink()
            shutil.rmtree(cache, ignore_errors=True)
    report(rows)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({**provenance(), "train": args.train, "eval": args.eval,
                                         "sizes": rows}, indent=1) + "\n")  # fmt: skip


def provenance() -> dict:
    """Where and with what code these numbers were measured."""
    import platform
    from datetime import UTC, datetime

    from incumbent.running.resume import code_version

    return {"command": "python experiments/bench_aalto_scale.py " + " ".join(sys.argv[1:]),
            "code_version": code_version(ROOT), "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "python": platform.python_version(), "cpus": os.cpu_count(),
            "load_average_at_end": list(os.getloadavg())}  # fmt: skip


def report(rows: list[dict]) -> None:
    MiB = 1 << 20
    print(f"\n{'participants':>12} {'phase':>9} {'s':>8} {'cpu s':>8} {'peak MiB':>9} "
          f"{'rss0 MiB':>9}  notes")  # fmt: skip
    for r in rows:
        for name in ("read", "parse", "reload", "protocol"):
            p = r[name]
            note = ""
            if name == "parse":
                note = (f"{p['seconds'] / r['read']['seconds']:.2f}x read (cpu "
                        f"{p['cpu_seconds'] / r['read']['cpu_seconds']:.2f}x); cache "
                        f"{p['cache_bytes'] / MiB:.0f} MiB; {p['where_s']}")  # fmt: skip
            print(f"{r['participants']:>12,} {name:>9} {p['seconds']:>8.1f} {p['cpu_seconds']:>8.1f} "
                  f"{p['peak'] / MiB:>9.0f} {p['rss0'] / MiB:>9.0f}  {note}")  # fmt: skip
    first, last = rows[0], rows[-1]
    for name in ("parse", "reload", "protocol"):
        print(f"peak {name}: {last[name]['peak'] / first[name]['peak']:.2f}x from "
              f"{first['participants']:,} to {last['participants']:,} participants")  # fmt: skip


if __name__ == "__main__":
    main()
