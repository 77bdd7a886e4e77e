"""TypeNet (Acien, Morales, Monaco, Vera-Rodriguez, Fierrez; IEEE TBIOM 2021) — papers.md: typenet2021.

Reproduced (from the paper and the BiDAlab/TypeNet README): per keystroke 5 features
(hold, inter-key, press and release latencies in seconds, key code / 255; see
``incumbent.data.loaders.aalto.typenet_features``); sequences truncated / zero-padded at the
end to M keys; two LSTM layers of 128 units (tanh) with batch normalisation and dropout
0.5 between them and recurrent dropout 0.2 in each; the 128-d output of the second
LSTM at the last real keystroke is the embedding. Losses: triplet (margin 1.5, random
triplets), contrastive (margin 1.5, balanced random pairs) or softmax (a linear layer
over the training participants on top of the embedding). Verification score = minus the
mean Euclidean distance between the query embedding and the G gallery embeddings.

Deviations: far fewer training participants (1,829 vs 68,000, of which the recorded run
holds 10 % out as validation users for early stopping, ``val_fraction``); training ends
by early stopping on their EER instead of after the paper's fixed 30,000 steps (the
record's ``run_info`` has the steps run); Adam at lr 1e-3, chosen by a sweep on
the validation users (``experiments/typenet_lr_sweep.py``; the paper's 0.05 collapsed the
embeddings there); padded steps are masked (the state is carried through them, as a
Keras ``Masking`` layer would) rather than fed as zeros; recurrent dropout is a Bernoulli
mask on the hidden state fixed over the sequence (Gal & Ghahramani), one per sequence as
in Keras with ``recurrent_dropout_group=1`` (a step-by-step loop), or one per group of
that many sequences with torch's fused kernel (about 5x faster on CPU at batch 512; the
recorded run's choice); with ``recurrent_dropout=0`` the fused kernel runs unmasked.
``sequence_length`` is the training length; embedding takes sequences of any length.
"""

from __future__ import annotations

import time

import numpy as np
from incumbent.baselines.typenet_network import Batches, build_module, lazy_torch
from sklearn.base import BaseEstimator

from incumbent.data.loaders.aalto import typenet_features
from incumbent.running import distributed


def features(sequences, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, length, 5) float32 features and (N,) true lengths (capped at ``length``)."""
    X = np.stack(
        [typenet_features(s["press"], s["release"], s["keycode"], length) for s in sequences]
    )
    n = np.array([min(len(s["press"]), length) for s in sequences], dtype=np.int64)
    return X, np.maximum(n, 1)


class TypeNet(BaseEstimator):
    """TypeNet as a free-text verifier (contract: ``incumbent.protocols.typenet_open_set``)."""

    def __init__(
        self,
        sequence_length: int = 50,
        loss: str = "triplet",
        margin: float = 1.5,
        hidden: int = 128,
        dropout: float = 0.5,
        recurrent_dropout: float = 0.2,
        recurrent_dropout_group: int = 1,
        batch_size: int = 512,
        lr: float = 1e-3,
        epochs: int = 200,
        steps_per_epoch: int = 150,
        accelerator: str = "auto",
        devices: int = 1,
        strategy: str = "auto",
        num_threads: int = 2,
        progress: bool = True,
        random_state: int = 0,
        val_fraction: float = 0.0,
        val_every: int = 50,
        val_patience: int = 5,
        val_gallery: int = 5,
    ):
        self.sequence_length = sequence_length
        self.loss = loss
        self.margin = margin
        self.hidden = hidden
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        # sequences sharing one recurrent-dropout mask: 1 = Keras (per sequence, slow loop);
        # > 1 runs torch's fused kernel per group (typenet_network.build_module)
        self.recurrent_dropout_group = recurrent_dropout_group
        self.batch_size = batch_size
        self.lr = lr
        self.epochs = epochs
        self.steps_per_epoch = steps_per_epoch
        self.accelerator = accelerator
        self.devices = devices
        self.strategy = strategy
        self.num_threads = num_threads
        self.progress = progress
        self.random_state = random_state
        # > 0: hold out that share of the training users, early-stop on their EER
        # (baselines/typenet_validation.py); 0 trains the fixed epochs x steps
        self.val_fraction = val_fraction
        self.val_every = val_every
        self.val_patience = val_patience
        self.val_gallery = val_gallery

    def fit(self, sequences, subjects):
        L, torch, _ = lazy_torch()
        if self.loss not in ("triplet", "contrastive", "softmax"):
            raise ValueError(f"loss must be triplet, contrastive or softmax, got {self.loss!r}")
        torch.set_num_threads(self.num_threads)
        L.seed_everything(self.random_state, verbose=False)
        X, n = features(sequences, self.sequence_length)
        subjects = np.asarray(subjects)
        callbacks, val = [], None
        if self.val_fraction > 0:
            from incumbent.baselines import typenet_validation as tv

            held = tv.split_users(subjects, self.val_fraction, self.random_state)
            n_val_users = int(len(np.unique(subjects[held])))
            val = tv.make_callback(X[held], n[held], subjects[held], self.val_every,
                                   self.val_patience, self.val_gallery)  # fmt: skip
            callbacks = [val]
            X, n, subjects = X[~held], n[~held], subjects[~held]
        self.module_ = build_module(
            self.sequence_length, self.hidden, self.dropout, self.recurrent_dropout, self.loss,
            self.margin, self.lr, len(np.unique(subjects)), self.recurrent_dropout_group,
        )  # fmt: skip
        batches = Batches(X, n, subjects, self.loss, self.batch_size, self.steps_per_epoch,
                           self.random_state)  # fmt: skip
        # DDP: batch_size stays the global batch, each process takes its slice (distributed.py)
        groups = {"triplet": 3, "contrastive": 2}.get(self.loss, 1)
        trainer = L.Trainer(
            max_epochs=self.epochs, logger=False, callbacks=[*distributed.callbacks(), *callbacks],
            enable_checkpointing=False, enable_progress_bar=self.progress,
            enable_model_summary=False, num_sanity_val_steps=0, deterministic=False,
            **distributed.trainer_options(self.accelerator, self.devices, self.strategy),
        )  # fmt: skip
        t0 = time.perf_counter()
        trainer.fit(self.module_, train_dataloaders=distributed.ShardedBatches(batches, groups))
        self.loss_curve_ = distributed.loss_curve(trainer)
        self.rows_per_process_ = int(trainer.callback_metrics.get("rows_per_process", 0))
        wall, steps = time.perf_counter() - t0, len(self.loss_curve_)
        self.training_info_ = {
            "device": _device_name(trainer),
            "processes": distributed.world_size(self.devices),
            "train_subjects": int(len(np.unique(subjects))),
            "train_sequences": int(len(sequences)),
            "epochs": int(self.epochs),
            "steps": steps,  # global_step stays 0 in the parent under ddp_fork
            "train_wall_time_s": round(wall, 1),
            # early stopping may end mid-way: the epoch time is per steps_per_epoch steps
            "epoch_time_s": round(wall * self.steps_per_epoch / max(steps, 1), 2),
            "final_train_loss": float(trainer.callback_metrics.get("train_loss", float("nan"))),
        }
        if val is not None:
            self.training_info_.update({
                "val_users": n_val_users, "val_every_steps": int(self.val_every),
                "val_patience": int(self.val_patience), "best_step": int(val.best_step),
                "best_val_eer": float(val.best), "learning_curve": val.history,
            })  # fmt: skip
        self.module_.cpu().eval()
        return self

    def transform(self, sequences, batch_size: int = 1024) -> np.ndarray:
        _, torch, _ = lazy_torch()
        # sequences may be longer than the training length M (the protocol's own M)
        longest = max(len(s["press"]) for s in sequences)
        X, n = features(sequences, max(self.sequence_length, longest))
        out = []
        with torch.no_grad():
            for i in range(0, len(X), batch_size):
                out.append(self.module_(torch.from_numpy(X[i : i + batch_size]),
                                        torch.from_numpy(n[i : i + batch_size])).numpy())  # fmt: skip
        return np.concatenate(out)

    def score_gallery(self, gallery: np.ndarray, queries: np.ndarray) -> np.ndarray:
        d = np.linalg.norm(queries[:, None, :] - gallery[None, :, :], axis=2)
        return -d.mean(axis=1)


def _device_name(trainer) -> str:
    import torch

    kind = type(trainer.accelerator).__name__.replace("Accelerator", "").lower()
    if kind == "cuda" and torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return f"{kind} ({torch.get_num_threads()} threads)"
