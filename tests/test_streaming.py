"""Streaming TypeNet batches over the Aalto Arrow cache: chunk by chunk, bounded reads,
valid triplets, and TypeNet's Lightning module trains on them."""

from __future__ import annotations

import numpy as np
import pytest

from incumbent.data.loaders import aalto
from incumbent.data.streaming import TripletStream
from tests.test_aalto_loader import member, rows, write_zip

torch = pytest.importorskip("torch")


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    """12 participants x 15 sentences, parsed into an Arrow cache under tmp_path."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    aalto._LOADED.clear()
    rng = np.random.default_rng(0)

    def jittered(pid):  # rows() times are regular: give every key its own timing
        out = []
        for line in rows(pid, keys=5):
            f = line.split("\t")
            press = int(f[5]) + int(rng.integers(0, 100))
            f[5], f[6] = str(press), str(press + int(rng.integers(40, 140)))
            out.append("\t".join(f))
        return out

    z = write_zip(tmp_path / "k.zip", [member(p, jittered(p)) for p in range(1, 13)])
    ds = aalto.load(path=z, progress=False)
    yield ds
    aalto._LOADED.clear()


def test_batches_are_triplets_read_one_chunk_at_a_time(loaded):
    ids = [str(p) for p in range(1, 11)]  # 10 training participants, 2 held out
    stream = TripletStream(loaded, ids, length=4, batch_size=6, subjects_per_chunk=4,
                           batches_per_chunk=3, labels=True)  # fmt: skip
    batches = list(stream)
    assert len(batches) == len(stream) == 3 * 3  # chunks of 4, 4, 2 participants
    # never more than one chunk's sequences read at once, every participant once per epoch
    assert stream.read_rows == [4 * 15, 4 * 15, 2 * 15]
    x, n, owner = batches[0]
    assert x.shape == (18, 4, 5) and x.dtype == torch.float32 and (n == 4).all()
    a, p, q = owner.chunk(3)
    assert (a == p).all() and (a != q).all()
    # a chunk's features are the loader's TypeNet features of its participants' sentences
    X, n, owner, _ = stream._read(np.array(["3"]))
    first = int(aalto.sequence_rows(loaded.frame, ["3"])[0])
    seq = aalto.sequences_at(loaded, [first])[0]
    want = aalto.typenet_features(seq["press"], seq["release"], seq["keycode"], 4)
    assert X.shape == (15, 4, 5) and np.allclose(X[0], want) and (owner == 0).all()


def test_same_seed_same_stream_new_epoch_new_order(loaded):
    ids = [str(p) for p in range(1, 13)]
    kw = dict(length=4, batch_size=4, subjects_per_chunk=5, batches_per_chunk=2, seed=7)
    a, b = TripletStream(loaded, ids, **kw), TripletStream(loaded, ids, **kw)
    first = [t[0] for t in a]
    assert all(torch.equal(u, v[0]) for u, v in zip(first, b, strict=True))
    second = [t[0] for t in a]  # the next epoch draws other chunks and triplets
    assert not all(torch.equal(u, v) for u, v in zip(first, second, strict=True))


def test_typenet_module_trains_on_the_stream(loaded):
    import lightning as L
    from incumbent.baselines.typenet_network import build_module

    from incumbent.running import distributed

    ids = [str(p) for p in range(1, 13)]
    stream = TripletStream(loaded, ids, length=4, batch_size=4, subjects_per_chunk=6,
                           batches_per_chunk=2)  # fmt: skip
    module = build_module(4, 16, 0.0, 0.0, "triplet", 1.5, 1e-3, len(ids))
    trainer = L.Trainer(max_epochs=2, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, callbacks=distributed.callbacks())  # fmt: skip
    trainer.fit(module, train_dataloaders=distributed.ShardedBatches(stream, groups=3))
    curve = distributed.loss_curve(trainer)
    assert len(curve) == 2 * len(stream) == 8 and np.isfinite(curve).all()
