"""TypeNet's network, losses and training batches (papers.md: typenet2021).

The estimator, its fit/transform and the deviations from the paper are in
:mod:`incumbent.baselines.typenet`; this module holds what it trains: the two-layer LSTM
Lightning module with its triplet / contrastive / softmax loss, and the seeded batches.
"""

from __future__ import annotations

import numpy as np


def lazy_torch():
    import lightning as L
    import torch
    from torch import nn

    return L, torch, nn


def build_module(sequence_length, hidden, dropout, recurrent_dropout, loss, margin, lr,
                 n_classes, recurrent_dropout_group=1):  # fmt: skip
    """The Lightning module (built lazily so that importing this file needs no torch).

    ``recurrent_dropout_group``: how many sequences share one recurrent-dropout mask. 1 is
    Keras' rule (one mask per sequence) and needs the step-by-step loop of ``MaskedLSTM``;
    above 1 the batch is cut into groups of that many sequences and each group runs torch's
    fused kernel with its mask folded into the recurrent weights (``GroupedDropoutLSTM``),
    about 5x faster on CPU at batch 512.
    """
    L, torch, nn = lazy_torch()

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

        def run(self, x):
            return self.lstm(x)[0]

        def forward(self, x, mask):
            seq = self.run(x)
            last = mask.sum(dim=1) - 1
            return seq, seq[torch.arange(x.shape[0], device=x.device), last]

    class GroupedDropoutLSTM(FusedLSTM):
        """Recurrent dropout with one mask per group of sequences. Dropping hidden units
        before the recurrent product is h_drop @ W_hh^T = h @ (W_hh * mask)^T, so a mask
        shared by a group is a masked copy of W_hh and the fused kernel can run it."""

        def __init__(self, n_in: int, n_hidden: int, rec_dropout: float, group: int):
            super().__init__(n_in, n_hidden)
            self.rec_dropout, self.group = rec_dropout, group

        def run(self, x):
            if not self.training:
                return super().run(x)
            lstm, keep = self.lstm, 1.0 - self.rec_dropout
            outs = []
            for xs in x.split(self.group):
                drop = torch.bernoulli(xs.new_full((lstm.hidden_size,), keep)) / keep
                weights = {"weight_hh_l0": lstm.weight_hh_l0 * drop[None, :]}
                outs.append(torch.func.functional_call(lstm, weights, (xs,))[0])
            return torch.cat(outs)

    def layer(n_in):
        if recurrent_dropout > 0 and recurrent_dropout_group > 1:
            return GroupedDropoutLSTM(n_in, hidden, recurrent_dropout, recurrent_dropout_group)
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


class Batches:
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
