"""Data-parallel training for the deep baselines (Lightning DDP), with one batch-size rule.

**The global batch is the config's ``batch_size``.** Lightning's usual convention is that
a DataLoader's ``batch_size`` is per device, so the effective batch is
``per-device batch x devices`` and changing ``devices`` changes the optimisation
(and usually calls for rescaling the learning rate). The baselines here keep the paper's
batch as the *global* batch instead: every process draws the same seeded global batch and
keeps its own contiguous slice of ``batch_size / devices`` examples
(:class:`ShardedBatches`); DDP averages the gradients of the slices, which is the gradient
of the mean loss over the global batch; batch normalisation is synchronised across
processes (:func:`callbacks`; torch's SyncBatchNorm is GPU-only), so its statistics are those of the global batch too. With
the same seed and no dropout, one process and N processes therefore follow the same loss
curve up to floating-point summation order (tests/test_distributed.py states the
tolerance). Dropout masks are drawn per process, so with dropout the curves agree in
distribution, not step by step.

Process start: ``ddp_fork`` by default (Linux), so the training runs in forked workers and
only the main process goes on to score and write the record (Lightning's ``ddp`` re-runs
the whole command in every rank, which would write a record per rank), also inside a SLURM
job of one task with N GPUs. One node only: several nodes need one task per GPU started by
SLURM, each running the whole pipeline, which the record writer does not support.
"""

from __future__ import annotations

import numpy as np


def world_size(devices) -> int:
    """Processes a Trainer with these settings starts (``devices`` an int or id list)."""
    return max(len(devices) if isinstance(devices, (list, tuple)) else int(devices), 1)


def trainer_options(accelerator="auto", devices=1, strategy="auto") -> dict:
    """``L.Trainer`` keywords for one process or DDP on one node (module docstring)."""
    if devices in (-1, "auto"):
        raise ValueError("give trainer.devices as a number: the global batch is split by it")
    opts = {"accelerator": accelerator, "devices": devices, "strategy": strategy}
    if world_size(devices) > 1 and strategy == "auto":
        from lightning.fabric.plugins.environments import LightningEnvironment

        # fork the N workers here even inside a SLURM job of one task: without this plugin
        # Lightning would expect SLURM (srun --ntasks-per-node=N) to have started them
        opts.update(strategy="ddp_fork", plugins=[LightningEnvironment()])
    return opts


def per_device_batch(batch_size: int, world: int) -> int:
    if batch_size % world:
        raise ValueError(
            f"batch_size {batch_size} (the global batch) is not divisible by the "
            f"{world} training processes; choose a multiple of trainer.devices"
        )
    return batch_size // world


class ShardedBatches:
    """This process's slice of every global batch that ``batches`` yields.

    ``groups`` is how many equal stacked blocks the first tensor holds (3 for triplet
    batches: anchors, positives, negatives; 2 for pairs; 1 otherwise): each block is
    sliced the same way, so a triplet stays a triplet. A tensor whose first dimension is
    one block long (labels) is sliced directly. The rank is read when iterating, i.e. in
    the training process, after DDP has set the process group up.
    """

    def __init__(self, batches, groups: int = 1):
        self.batches, self.groups = batches, groups

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        import torch.distributed as dist

        ready = dist.is_available() and dist.is_initialized()
        rank, world = (dist.get_rank(), dist.get_world_size()) if ready else (0, 1)
        for batch in self.batches:
            if world == 1:
                yield batch
                continue
            block = len(batch[0]) // self.groups
            yield tuple(self._slice(t, block, rank, world) for t in batch)

    def _slice(self, t, block: int, rank: int, world: int):
        per = per_device_batch(block, world)
        lo = rank * per
        if len(t) == block * self.groups and self.groups > 1:
            return t.reshape(self.groups, block, *t.shape[1:])[:, lo : lo + per].reshape(
                self.groups * per, *t.shape[1:]
            )
        return t[lo : lo + per]


def callbacks() -> list:
    """The Lightning callbacks every data-parallel-ready Trainer here gets."""
    return [_loss_curve_callback(), _global_batch_norm_callback()]


def _global_batch_norm_callback():
    """Before DDP wraps the model, batch-norm layers are switched to :func:`_global_bn`'s
    forward: in training under DDP their mean and variance are those of the global batch
    (sums all-reduced with autograd, as torch's SyncBatchNorm does, but on any device).
    Parameters and buffers stay the same, so one process and state dicts are unchanged."""
    import lightning as L
    from torch import nn

    class GlobalBatchNorm(L.Callback):
        def setup(self, trainer, module, stage):
            if trainer.world_size > 1:
                for layer in module.modules():
                    if type(layer) in (nn.BatchNorm1d, nn.BatchNorm2d):
                        layer.forward = _global_bn(layer)

    return GlobalBatchNorm()


def _global_bn(layer):
    import torch
    import torch.distributed as dist
    from torch.distributed.nn.functional import all_reduce

    plain = layer.forward

    def forward(x):
        if not (layer.training and dist.is_initialized() and dist.get_world_size() > 1):
            return plain(x)
        C = x.shape[1]
        dims = [0, *range(2, x.dim())]
        count = x.new_tensor([x.numel() / C])
        stats = all_reduce(torch.cat([x.sum(dims), (x * x).sum(dims), count]))
        n = stats[-1]
        mean = stats[:C] / n
        var = stats[C : 2 * C] / n - mean * mean
        with torch.no_grad():  # running statistics as nn.BatchNorm (unbiased variance)
            m = layer.momentum
            layer.running_mean.mul_(1 - m).add_(m * mean.detach())
            layer.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1))
            layer.num_batches_tracked.add_(1)
        shape = [1, C] + [1] * (x.dim() - 2)
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + layer.eps)
        return y * layer.weight.view(shape) + layer.bias.view(shape) if layer.affine else y

    return forward


def _loss_curve_callback():
    """A Lightning callback keeping the training loss of every step, averaged over all
    processes (each logs the mean over its slice; slices are equal, so the mean of the
    means is the global batch's loss). After ``fit`` it is in ``trainer.callback_metrics
    ["loss_curve"]`` in the main process too (Lightning sends callback metrics back from
    forked workers)."""
    import lightning as L
    import torch

    class LossCurve(L.Callback):
        def __init__(self):
            self.values: list[float] = []
            self.rows = 0

        def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx):
            self.rows = len(batch[0])  # this process's share of the global batch
            loss = outputs["loss"] if isinstance(outputs, dict) else outputs
            loss = trainer.strategy.reduce(loss.detach(), reduce_op="mean")
            self.values.append(float(loss))

        def on_train_end(self, trainer, module):
            trainer.callback_metrics["loss_curve"] = torch.tensor(self.values, dtype=torch.float64)
            trainer.callback_metrics["rows_per_process"] = torch.tensor(self.rows)

    return LossCurve()


def loss_curve(trainer) -> np.ndarray:
    """The per-step loss curve that the :func:`callbacks` recorded."""
    curve = trainer.callback_metrics.get("loss_curve")
    return np.array([]) if curve is None else curve.numpy()
