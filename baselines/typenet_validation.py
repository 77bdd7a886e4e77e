"""Validation users, early stopping on validation EER and the learning curve for TypeNet
(papers.md ``typenet2021``).

The paper trains for a fixed 200 x 150 steps; with 37x fewer training participants and a
CPU budget we instead hold out a share of the *training* participants (never evaluation
ones), measure an open-set EER on them every ``every`` steps (gallery = each validation
user's first ``gallery`` sequences, genuine queries = its other sequences, impostor queries
= one sequence of every other validation user, score = minus the mean distance to the
gallery, pooled ROCCH EER), keep the weights of the best check and stop after ``patience``
checks without improvement. The history (step, train loss, validation EER) goes into the
record's ``run_info`` and :func:`plot_learning_curve` draws it.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import numpy as np

from incumbent.evaluation import metrics

log = logging.getLogger(__name__)  # one line per check: feedback on hour-long runs


def split_users(subjects, fraction: float, seed: int) -> np.ndarray:
    """Boolean mask over ``subjects``: True for the sequences of the validation users."""
    users = np.unique(subjects)
    k = int(round(fraction * len(users)))
    if not 2 <= k < len(users):
        raise ValueError(f"val_fraction {fraction} gives {k} of {len(users)} users; need >= 2")
    held = np.random.default_rng(seed).choice(users, k, replace=False)
    return np.isin(subjects, held)


def open_set_eer(embeddings: np.ndarray, subjects: np.ndarray, gallery: int = 5) -> float:
    """Pooled EER of the validation users (see the module docstring)."""
    users = list(dict.fromkeys(subjects))
    idx = {u: np.flatnonzero(subjects == u) for u in users}
    genuine, impostor = [], []
    for u in users:
        g = embeddings[idx[u][:gallery]]
        own = embeddings[idx[u][gallery:]]
        others = embeddings[[idx[v][-1] for v in users if v != u]]
        for q, out in ((own, genuine), (others, impostor)):
            d = np.linalg.norm(q[:, None, :] - g[None, :, :], axis=2).mean(axis=1)
            out.append(-d)
    return float(metrics.eer_rocch(np.concatenate(genuine), np.concatenate(impostor)))


def make_callback(X, n, subjects, every: int, patience: int, gallery: int):
    """A Lightning callback doing the validation checks (imported lazily: torch)."""
    import lightning as L
    import torch

    class ValidationEER(L.Callback):
        def __init__(self):
            self.history, self.losses, self.best, self.best_step = [], [], np.inf, 0
            self.state, self.waited = None, 0

        def _check(self, trainer, module):
            module.eval()
            with torch.no_grad():
                emb = np.concatenate([
                    module(torch.from_numpy(X[i : i + 1024]).to(module.device),
                           torch.from_numpy(n[i : i + 1024]).to(module.device)).cpu().numpy()
                    for i in range(0, len(X), 1024)
                ])  # fmt: skip
            module.train()
            eer = open_set_eer(emb, subjects, gallery)
            # training loss = mean over the steps since the previous check
            loss = float(np.mean(self.losses)) if self.losses else None
            self.losses = []
            step = int(trainer.global_step)
            self.history.append({"step": step, "train_loss": loss, "val_eer": eer})
            if eer < self.best:
                self.best, self.best_step, self.waited = eer, step, 0
                self.state = copy.deepcopy(module.state_dict())
            else:
                self.waited += 1
                trainer.should_stop = self.waited >= patience
            log.info("typenet step %d: train loss %s, validation EER %.2f %% (best %.2f %% at "
                     "step %d, %d/%d checks without a new best)", step,
                     "-" if loss is None else f"{loss:.4f}", 100 * eer, 100 * self.best,
                     self.best_step, self.waited, patience)  # fmt: skip

        def on_train_batch_end(self, trainer, module, outputs, *args):
            loss = outputs["loss"] if isinstance(outputs, dict) else outputs
            if loss is not None:
                self.losses.append(float(loss.detach()))
            if trainer.global_step % every == 0:
                self._check(trainer, module)

        def on_train_end(self, trainer, module):
            if not self.history or self.history[-1]["step"] != trainer.global_step:
                self._check(trainer, module)
            if self.state is not None:
                module.load_state_dict(self.state)

    return ValidationEER()


def plot_learning_curve(history: list[dict], path: str | Path, title: str = "") -> Path:
    """Validation EER and training loss against the step, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in history]
    eer = [100 * h["val_eer"] for h in history]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(steps, eer, "o-", ms=3, color="tab:blue", label="validation EER %")
    best = int(np.argmin(eer))
    ax.axvline(steps[best], ls=":", color="tab:blue", lw=1)
    ax.annotate(f"best {eer[best]:.2f} % at step {steps[best]}", (steps[best], eer[best]),
                xytext=(-10, 25), textcoords="offset points", ha="right", fontsize=8,
                arrowprops={"arrowstyle": "->", "lw": 0.8})  # fmt: skip
    ax.set_xlabel("training step")
    ax.set_ylabel("validation EER %", color="tab:blue")
    loss = [h["train_loss"] for h in history]
    if any(v is not None for v in loss):
        twin = ax.twinx()
        twin.plot(steps, [np.nan if v is None else v for v in loss], "-", lw=1.2,
                  color="tab:orange", label="train loss")  # fmt: skip
        twin.set_ylabel("train loss (mean since last check)", color="tab:orange")
    ax.grid(alpha=0.3)
    ax.set_title(title)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
