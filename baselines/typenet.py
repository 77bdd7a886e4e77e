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

Deviations: far fewer training participants (1,829 vs 68,000) and far fewer steps (CPU
budget; see the record's ``run_info``); Adam at lr 1e-3 (our choice for stability at
this scale); padded steps are masked (the state is carried through them, as a Keras
``Masking`` layer would) rather than fed as zeros; recurrent dropout is one
Bernoulli mask per sequence on the hidden state (Gal & Ghahramani), as in Keras; with
``recurrent_dropout=0`` torch's fused LSTM is used instead (about 2x faster on CPU).
``sequence_length`` is the training length; embedding takes sequences of any length.
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.base import BaseEstimator

from incumbent.data.loaders.aalto import typenet_features
from incumbent.running import distributed


def _torch():
    import lightning as L
    import torch
    from torch import nn

    return L, torch, nn


def features(sequences, length: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, length, 5) float32 features and (N,) true lengths (capped at ``length``)."""
    X = np.stack(
        [typenet_features(s["press"], s["release"], s["keycode"], length) for s in sequences]
    )
    n = np.array([min(len(s["press"]), length) for s in sequences], dtype=np.int64)
    return X, np.maximum(n, 1)


def build_module(sequence_length, hidden, dropout, recurrent_dropout, loss, margin, lr,
                 n_classes):  # fmt: skip
    """The Lightning module (built lazily so that importing this file needs no torch)."""
    L, torch, nn = _torch()

    class MaskedLSTM(nn.Module):
        """One LSTM layer, masked past each sequence's end, with recurrent dropout."""

        def __init__(self, n_in: int, n_hidden: int, rec_dropout: float):
            super().__init__()
            self.ih = nn.Linear(n_in, 4 * n_hidden)
            self.hh = nn.Linear(n_hidden, 4 * n_hidden, bias=False)
            self.n_hidden, self.rec_dropout = n_hidden, rec_dropout

        def forward(self, x, mask):
            B, T, _ = x.shape
            h = x.new_zeros(B, self.n_hidden)
            c = x.new_zeros(B, self.n_hidden)
            gates_x = self.ih(x)
            drop = None
            if self.training and self.rec_dropout > 0:
                keep = 1.0 - self.rec_dropout
                drop = torch.bernoulli(x.new_full((B, self.n_hidden), keep)) / keep
            outs = []
            for t in range(T):
                hh = self.hh(h * drop if drop is not None else h)
                i, f, g, o = (gates_x[:, t] + hh).chunk(4, dim=1)
                c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h_new = torch.sigmoid(o) * torch.tanh(c_new)
                m = mask[:, t : t + 1]
                c = torch.where(m, c_new, c)
                h = torch.where(m, h_new, h)
                outs.append(h)
            return torch.stack(outs, dim=1), h

    class FusedLSTM(nn.Module):
        """Without recurrent dropout: torch's fused LSTM. It is causal, so the output at
        each sequence's last real step ignores the padding after it."""

        def __init__(self, n_in: int, n_hidden: int):
            super().__init__()
            self.lstm = nn.LSTM(n_in, n_hidden, batch_first=True)

        def forward(self, x, mask):
            seq, _ = self.lstm(x)
            last = mask.sum(dim=1) - 1
            return seq, seq[torch.arange(x.shape[0], device=x.device), last]

    def layer(n_in):
        if recurrent_dropout > 0:
            return MaskedLSTM(n_in, hidden, recurrent_dropout)
        return FusedLSTM(n_in, hidden)

    class TypeNetModule(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.lstm1 = layer(5)
            self.bn = nn.BatchNorm1d(hidden)
            self.drop = nn.Dropout(dropout)
            self.lstm2 = layer(hidden)
            self.head = nn.Linear(hidden, n_classes) if loss == "softmax" else None

        def forward(self, x, lengths):
            T = x.shape[1]
            mask = torch.arange(T, device=x.device)[None, :] < lengths[:, None]
            seq, _ = self.lstm1(x, mask)
            flat = seq[mask]  # batch norm over real keystrokes only
            seq = seq.masked_scatter(mask[..., None], self.bn(flat))
            _, h = self.lstm2(self.drop(seq), mask)
            return h

        def training_step(self, batch, _):
            if loss == "softmax":
                x, n, y = batch
                out = self.head(self(x, n))
                value = nn.functional.cross_entropy(out, y)
            elif loss == "triplet":
                x, n = batch  # (3B, T, 5): anchors, positives, negatives
                e = self(x, n)
                a, p, q = e.chunk(3)
                value = nn.functional.triplet_margin_loss(a, p, q, margin=margin)
            else:  # contrastive (Hadsell et al. 2006)
                x, n, y = batch
                e = self(x, n)
                u, v = e.chunk(2)
                d = nn.functional.pairwise_distance(u, v)
                y = y.float()
                value = 0.5 * (y * d**2 + (1 - y) * torch.clamp(margin - d, min=0) ** 2).mean()
            self.log("train_loss", value, prog_bar=True, on_step=False, on_epoch=True)
            return value

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=lr)

    return TypeNetModule()


class _Batches:
    """Seeded random triplets / balanced pairs / class batches, ``steps`` per epoch."""

    def __init__(self, X, n, subjects, loss, batch_size, steps, seed):
        self.X, self.n, self.loss = X, n, loss
        self.batch_size, self.steps, self.seed, self.epoch = batch_size, steps, seed, 0
        _, self.y = np.unique(subjects, return_inverse=True)
        self.by = [np.flatnonzero(self.y == k) for k in range(self.y.max() + 1)]

    def __len__(self):
        return self.steps

    def __iter__(self):
        import torch

        rng = np.random.default_rng((self.seed, self.epoch))
        self.epoch += 1
        K, B = len(self.by), self.batch_size
        for _ in range(self.steps):
            if self.loss == "softmax":
                idx = rng.integers(0, len(self.y), B)
                extra = [torch.from_numpy(self.y[idx])]
            else:
                subj = rng.integers(0, K, B)
                other = (subj + rng.integers(1, K, B)) % K
                first = np.array([rng.choice(self.by[s], 2, replace=False) for s in subj])
                neg = np.array([rng.choice(self.by[s]) for s in other])
                if self.loss == "triplet":
                    idx, extra = np.r_[first[:, 0], first[:, 1], neg], []
                else:  # half genuine pairs, half impostor pairs
                    genuine = np.arange(B) < B // 2
                    second = np.where(genuine, first[:, 1], neg)
                    idx = np.r_[first[:, 0], second]
                    extra = [torch.from_numpy(genuine.astype(np.int64))]
            yield (torch.from_numpy(self.X[idx]), torch.from_numpy(self.n[idx]), *extra)


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
        L, torch, _ = _torch()
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
            self.margin, self.lr, len(np.unique(subjects)),
        )  # fmt: skip
        batches = _Batches(X, n, subjects, self.loss, self.batch_size, self.steps_per_epoch,
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
        self.training_info_ = {
            "device": _device_name(trainer),
            "processes": distributed.world_size(self.devices),
            "train_subjects": int(len(np.unique(subjects))),
            "train_sequences": int(len(sequences)),
            "epochs": int(self.epochs),
            "steps": len(self.loss_curve_),  # global_step stays 0 in the parent under ddp_fork
            "train_wall_time_s": round(time.perf_counter() - t0, 1),
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
        _, torch, _ = _torch()
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
