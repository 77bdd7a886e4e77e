"""SapiMouse FCN + one-class SVM (papers.md: ``sapimouse2021``).

Antal, Fejér & Buza (SACI 2021): a 1-D fully convolutional network (3 conv blocks, 128/256/128
filters, kernels 8/5/3, batch norm, ReLU, global average pooling, softmax) is trained as a
user classifier on blocks of 128 |dx|, |dy| values of the feature-learning users; its
pooled 128-d output is the embedding on which a per-user ``OneClassSVM(gamma="scale")`` is
fitted. Training follows the authors' code: Adam (lr 1e-3), batch 16, 100 epochs, an 80/20
train/validation split, ReduceLROnPlateau(0.5, patience 50, min 1e-4) and the weights of the
epoch with the lowest validation loss.

Deviations: PyTorch/Lightning instead of Keras (default PyTorch weight init; batch-norm
momentum and epsilon set to Keras' 0.99 / 1e-3); the validation split is drawn with numpy's
generator from ``random_state``. The YAML and the committed record use the paper's values
(100 epochs, batch 16); ``experiment=sapimouse2021_smoke`` is a short CPU check only.

Contract: ``fit_population(X, y)`` trains the network (X: blocks, shape (n, 2, 128));
``fit(X)`` fits the one-class SVM of one user (X: blocks, or embeddings of shape (n, d));
``score_samples(X)`` = the SVM's ``score_samples`` (higher = more genuine).
"""

from __future__ import annotations

import copy

import lightning as L
import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.svm import OneClassSVM
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def conv_block(c_in: int, c_out: int, k: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, k, padding="same"),
        nn.BatchNorm1d(c_out, momentum=0.01, eps=1e-3),  # Keras defaults
        nn.ReLU(),
    )


class FCN(L.LightningModule):
    """Wang et al.'s time-series FCN as used by the SapiMouse authors."""

    def __init__(self, n_classes: int, in_channels: int = 2, filters: int = 128,
                 lr: float = 1e-3, min_lr: float = 1e-4, plateau_patience: int = 50):  # fmt: skip
        super().__init__()
        self.save_hyperparameters()
        self.features = nn.Sequential(
            conv_block(in_channels, filters, 8),
            conv_block(filters, 2 * filters, 5),
            conv_block(2 * filters, filters, 3),
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(filters, n_classes)
        self.loss = nn.CrossEntropyLoss()

    def forward(self, x):
        return self.head(self.features(x))

    def training_step(self, batch, _):
        x, y = batch
        loss = self.loss(self(x), y)
        self.log("train_loss", loss, on_epoch=True, on_step=False, prog_bar=True)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        logits = self(x)
        self.log("val_loss", self.loss(logits, y), prog_bar=True)
        self.log("val_acc", (logits.argmax(1) == y).float().mean(), prog_bar=True)

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, factor=0.5, patience=self.hparams.plateau_patience, min_lr=self.hparams.min_lr
        )
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "monitor": "val_loss"}}


class BestWeights(L.Callback):
    """Keep the weights of the epoch with the lowest validation loss (Keras' save_best_only)."""

    def __init__(self):
        self.best, self.state, self.epoch = np.inf, None, -1

    def on_validation_epoch_end(self, trainer, module):
        loss = trainer.callback_metrics.get("val_loss")
        if loss is not None and not trainer.sanity_checking and float(loss) < self.best:
            self.best, self.epoch = float(loss), trainer.current_epoch
            self.state = copy.deepcopy(module.state_dict())


class SapiMouseFCNOCSVM(BaseEstimator):
    def __init__(self, filters: int = 128, epochs: int = 100, batch_size: int = 16,
                 lr: float = 1e-3, val_fraction: float = 0.2, nu: float = 0.5,
                 gamma: str | float = "scale", num_threads: int = 2,
                 random_state: int | None = 0, progress: bool = True):  # fmt: skip
        self.filters = filters
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.val_fraction = val_fraction
        self.nu = nu
        self.gamma = gamma
        self.num_threads = num_threads
        self.random_state = random_state
        self.progress = progress

    def fit_population(self, X, y):
        """Train the FCN as a classifier of the users in ``y`` on blocks ``X`` (n, C, 128)."""
        torch.set_num_threads(self.num_threads)
        X = np.asarray(X, np.float32)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        rng = np.random.default_rng(self.random_state)
        order = rng.permutation(len(X))
        n_val = int(round(self.val_fraction * len(X)))
        val, tr = order[:n_val], order[n_val:]
        L.seed_everything(self.random_state or 0, workers=True, verbose=False)

        def loader(idx, shuffle):
            ds = TensorDataset(torch.from_numpy(X[idx]), torch.from_numpy(codes[idx]).long())
            return DataLoader(ds, batch_size=self.batch_size, shuffle=shuffle)

        model = FCN(len(self.classes_), in_channels=X.shape[1], filters=self.filters, lr=self.lr)
        best = BestWeights()
        trainer = L.Trainer(
            max_epochs=self.epochs, accelerator="cpu", devices=1, logger=False,
            enable_checkpointing=False, enable_progress_bar=self.progress,
            enable_model_summary=False, callbacks=[best], deterministic=True,
        )  # fmt: skip
        trainer.fit(model, loader(tr, True), loader(val, False) if n_val else None)
        if best.state is not None:
            model.load_state_dict(best.state)
        self.best_epoch_, self.best_val_loss_ = best.epoch, best.best
        self.network_ = model.eval()
        return self

    def embed(self, X, batch: int = 512) -> np.ndarray:
        """Pooled FCN output (the layer before the softmax) for blocks ``X``."""
        torch.set_num_threads(self.num_threads)
        X = torch.from_numpy(np.asarray(X, np.float32))
        with torch.no_grad():
            parts = [self.network_.features(X[i : i + batch]) for i in range(0, len(X), batch)]
        return torch.cat(parts).numpy().astype(np.float64)

    def _embedded(self, X) -> np.ndarray:
        X = np.asarray(X)
        return self.embed(X) if X.ndim == 3 else X

    def fit(self, X, y=None):
        """Fit the user's one-class SVM on blocks (n, C, 128) or embeddings (n, d)."""
        self.ocsvm_ = OneClassSVM(nu=self.nu, gamma=self.gamma).fit(self._embedded(X))
        return self

    def score_samples(self, X) -> np.ndarray:
        return self.ocsvm_.score_samples(self._embedded(X))
