"""POHMM vs plain HMM: fit and score time side by side on one fold of a Monaco data set.

    python experiments/bench_pohmm.py                       # keypad, fold 0
    python experiments/bench_pohmm.py --dataset monaco_fable --fold 0

One fold of protocol ``monaco2018``: one model per user fitted in one batched EM
(``fit_many``), then every query of the fold scored by every model (per-event forward
lattice, ``score_events_many``). Times are wall clock and CPU (CPU time is the fairer
figure on a shared machine); EM iterations are summed over the models, since the two
models converge after different numbers of iterations and the cost per iteration is
what the event conditioning adds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from incumbent.baselines.pohmm import HMM, POHMM, score_events_many  # noqa: E402

from incumbent.data.loaders import monaco  # noqa: E402
from incumbent.protocols.monaco2018 import Monaco2018  # noqa: E402


def timed(fn, *args):
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - w, time.process_time() - c


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="monaco_keypad", choices=sorted(monaco.LOADERS))
    ap.add_argument("--fold", type=int, default=0)
    args = ap.parse_args(argv)
    ds = monaco.load(args.dataset, os.environ.get("INCUMBENT_DATA"))
    train, query = Monaco2018.folds(ds)[args.fold]
    X, subj = ds.extra["events"], ds.frame["subject"].to_numpy()
    sets = [X[train & (subj == u)] for u in ds.subjects]
    print(f"{args.dataset} fold {args.fold}: {len(sets)} models x {sets[0].shape[0]} "
          f"training samples x {X.shape[1]} events; {int(query.sum())} queries; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    rows = {}
    for name, est in (("POHMM", POHMM()), ("HMM", HMM())):
        models, fw, fc = timed(est.fit_many, sets)
        _, sw, sc = timed(score_events_many, models, X[query])
        iters = sum(m.n_iter_ + 1 for m in models)
        rows[name] = (fw, fc, sw, sc, iters)
        print(
            f"  {name:<5} fit {fw:7.2f} s wall {fc:7.2f} s cpu ({iters} EM iterations, "
            f"{1e3 * fc / iters:.2f} ms cpu each)   score {sw:6.2f} s wall {sc:6.2f} s cpu"
        )
    p, h = rows["POHMM"], rows["HMM"]
    print(
        f"  ratio POHMM / HMM: fit cpu {p[1] / h[1]:.2f}, per EM iteration "
        f"{(p[1] / p[4]) / (h[1] / h[4]):.2f}, score cpu {p[3] / h[3]:.2f}"
    )
    assert np.isfinite([m.loglik_ for m in models]).all()


if __name__ == "__main__":
    main()
