"""Data-parallel (DDP) training gives the one-process loss curve.

Two CPU processes (gloo, ``ddp_fork``) against one, same seed, same global batch: each
process trains on its half of every global batch, gradients are averaged and batch norm
is synchronised, so the per-step loss (averaged over processes) must follow the
one-process curve. Dropout is off (its masks are drawn per process). Tolerance: 1e-4
relative per step (floating-point summation order differs: the gradient is a mean of two
half-batch means; the first step, before any update, agrees to ~1e-7).
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")

from incumbent.baselines.typenet import TypeNet  # noqa: E402

from incumbent.running import distributed  # noqa: E402
from tests.test_typenet import tiny  # noqa: E402

RTOL = 1e-4


def train(loss: str, devices: int) -> TypeNet:
    seqs, subj = tiny()
    est = TypeNet(sequence_length=10, loss=loss, dropout=0.0, recurrent_dropout=0.0,
                  batch_size=8, epochs=2, steps_per_epoch=4, accelerator="cpu",
                  devices=devices, num_threads=1, progress=False, random_state=3)  # fmt: skip
    return est.fit(seqs, subj)


@pytest.mark.slow
@pytest.mark.parametrize("loss", ["triplet", "contrastive", "softmax"])
def test_two_processes_follow_the_one_process_loss_curve(loss):
    one, two = train(loss, 1), train(loss, 2)
    assert len(one.loss_curve_) == len(two.loss_curve_) == 8
    assert two.training_info_["processes"] == 2 and two.training_info_["steps"] == 8
    # each process saw half of every global batch (data parallel, not the same batch twice)
    assert two.rows_per_process_ * 2 == one.rows_per_process_ > 0
    # the loss moves (training happens), and two processes follow it step by step
    assert not np.allclose(one.loss_curve_[0], one.loss_curve_[1:])
    np.testing.assert_allclose(two.loss_curve_, one.loss_curve_, rtol=RTOL)
    # the trained weights came back from the worker processes to the estimator
    seqs, _ = tiny()
    np.testing.assert_allclose(two.transform(seqs[:6]), one.transform(seqs[:6]),
                               rtol=1e-3, atol=1e-4)  # fmt: skip


def test_shards_keep_triplets_and_labels_aligned():
    x = torch.arange(3 * 4).reshape(12, 1)  # anchors 0-3, positives 4-7, negatives 8-11
    y = torch.arange(4)
    shard = distributed.ShardedBatches([(x, y)], groups=3)
    parts = [shard._slice(t, 4, rank, 2) for rank in (0, 1) for t in (x, y)]
    assert parts[0].ravel().tolist() == [0, 1, 4, 5, 8, 9] and parts[1].tolist() == [0, 1]
    assert parts[2].ravel().tolist() == [2, 3, 6, 7, 10, 11] and parts[3].tolist() == [2, 3]


def test_global_batch_must_split_evenly():
    with pytest.raises(ValueError, match="not divisible"):
        distributed.per_device_batch(10, 4)
    assert distributed.trainer_options("cpu", 2)["strategy"] == "ddp_fork"
    assert distributed.trainer_options("cpu", 1)["strategy"] == "auto"
    assert distributed.world_size([0, 1, 2]) == 3
