"""Learning-rate sweep for TypeNet on validation users carved out of the TRAINING
participants of ``typenet_open_set`` (the evaluation participants are never touched).

For each learning rate (the paper's 0.05 included) TypeNet is trained with
``val_fraction`` of the training participants held out, early-stopped on their open-set
EER (baselines/typenet_validation.py); the best validation EER per rate, the full learning
curves and one PNG per rate are written to ``--out`` (JSON + PNG). Pick the rate with the
lowest validation EER and pass it as ``typenet.lr`` to ``experiment=typenet_aalto``.

The committed sweep (``experiments/measurements/typenet_lr_sweep/``, quoted in papers.md):

    python experiments/typenet_lr_sweep.py --out experiments/measurements/typenet_lr_sweep \\
        --lrs 0.05 0.01 0.003 0.001 --max-epochs 16 --steps 50 --batch-size 170 \\
        --val-every 100 --patience 20
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from incumbent.baselines import typenet_validation as tv
from incumbent.baselines.typenet import TypeNet

from incumbent import ROOT
from incumbent.running.provenance import kit_git_state


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "results" / "typenet_lr_sweep"))
    ap.add_argument("--lrs", type=float, nargs="+", default=[0.05, 0.01, 0.003, 0.001])
    ap.add_argument("--max-epochs", type=int, default=40)
    ap.add_argument("--steps", type=int, default=50, help="steps per epoch")
    ap.add_argument("--batch-size", type=int, default=170, help="triplets per batch")
    ap.add_argument("--val-fraction", type=float, default=0.1)
    ap.add_argument("--val-every", type=int, default=50)
    ap.add_argument("--patience", type=int, default=5)
    ap.add_argument(
        "--rd-group",
        type=int,
        default=32,
        help="sequences sharing one recurrent-dropout mask (1 = per sequence)",
    )
    ap.add_argument("--accelerator", default="auto")
    a = ap.parse_args(argv)
    data_dir = os.environ.get("INCUMBENT_DATA", "")
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose("config", overrides=["dataset=aalto_136m", "protocol=typenet_open_set",
                                           f"paths.data_dir={data_dir}"])  # fmt: skip
    dataset, protocol = instantiate(cfg.dataset.loader), instantiate(cfg.protocol)
    git = kit_git_state()  # when the code was loaded (a later commit must not be credited)
    settings = {"batch_size": a.batch_size, "recurrent_dropout_group": a.rd_group,
                "val_fraction": a.val_fraction, "val_every": a.val_every,
                "val_patience": a.patience, "epochs": a.max_epochs,
                "steps_per_epoch": a.steps, "accelerator": a.accelerator}  # fmt: skip
    results = sweep(dataset, protocol, a.lrs, settings, Path(a.out))
    for r in results:
        r["git"] = git
    (Path(a.out) / "lr_sweep.json").write_text(json.dumps(results, indent=2) + "\n")
    best = min(results, key=lambda r: r["best_val_eer"])
    print(f"chosen lr {best['lr']:g} (validation EER {best['best_val_eer']:.4f})")


def sweep(dataset, protocol, lrs, settings: dict, out: Path) -> list[dict]:
    """Train TypeNet once per learning rate on ``protocol``'s training participants (a
    share held out as validation users); one learning-curve PNG per rate under ``out``.
    ``settings``: TypeNet parameters (batch_size, epochs, val_fraction, ...)."""
    train_ids, _, _ = protocol.split_subjects(dataset)
    train = protocol._sequences(dataset, train_ids, None)
    labels = np.repeat(np.arange(len(train_ids)), protocol.sessions)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for lr in lrs:
        t0 = time.perf_counter()
        # settings' keys are TypeNet's own parameter names
        est = TypeNet(sequence_length=protocol.sequence_length, lr=lr, recurrent_dropout=0.2,
                      progress=False, **settings).fit(train, labels)  # fmt: skip
        info = {"lr": lr, **settings, **est.training_info_,
                "wall_s": round(time.perf_counter() - t0, 1)}  # fmt: skip
        tv.plot_learning_curve(info["learning_curve"], out / f"curve_lr{lr:g}.png", f"lr {lr:g}")
        results.append(info)
        print(f"lr {lr:g}: best validation EER {info['best_val_eer']:.4f} at step "
              f"{info['best_step']} ({info['steps']} steps, {info['wall_s']} s)", flush=True)  # fmt: skip
    return results


if __name__ == "__main__":
    main()
