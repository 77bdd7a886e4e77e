"""Streaming training batches over the Aalto Arrow cache (TypeNet at the paper's scale).

``aalto.load`` keeps the keystrokes in a memory-mapped Arrow file and only a small index
(subject, order, length per sentence) in memory. :class:`TripletStream` draws TypeNet's
training batches from it **a chunk of participants at a time**: per epoch the training
participants are shuffled (seeded) and cut into chunks of ``subjects_per_chunk``; a
chunk's sequences are read from the Arrow file, turned into TypeNet features, and
``batches_per_chunk`` batches of random triplets (anchor and positive from one
participant, negative from another of the same chunk) are drawn from it before the next
chunk replaces it. Memory is one chunk (1,024 participants x 15 sentences x M=50 keys x 5
features x 4 bytes = 15 MB), whether the training set has 1,000 or 68,000 participants;
the operating system pages the file in and out.

Batches have the layout of TypeNet's in-memory triplet batches (``baselines/typenet.py``):
``(x (3B, M, 5) float32, lengths (3B,) int64)`` with anchors, positives, negatives
stacked, so the same Lightning module trains on either, and
``incumbent.running.distributed.ShardedBatches(stream, groups=3)`` splits each global
batch across DDP processes as it does for the in-memory batches. Triplets are drawn
within a chunk, so negatives come from the chunk's participants, not all of them: with
1,024 participants per chunk that is the same kind of random negative.

    ds = aalto.load()                                   # the Arrow cache, memory-mapped
    train_ids, _, _ = TypeNetOpenSet(n_train=68_000, n_eval=1_000).split_subjects(ds)
    stream = TripletStream(ds, train_ids, length=50, batch_size=512)
    trainer.fit(module, train_dataloaders=ShardedBatches(stream, groups=3))
"""

from __future__ import annotations

import numpy as np

from incumbent.data.loaders.aalto import (
    sentence_counts,
    sequence_rows,
    sequences_at,
    typenet_features,
)


class TripletStream:
    """Seeded triplet batches read chunk by chunk from a loaded Aalto dataset."""

    def __init__(self, dataset, subjects, length: int = 50, batch_size: int = 512,
                 sessions: int = 15, subjects_per_chunk: int = 1024,
                 batches_per_chunk: int = 8, seed: int = 0, labels: bool = False):  # fmt: skip
        if subjects_per_chunk < 2:
            raise ValueError("a chunk needs at least 2 participants (negatives)")
        self.dataset, self.length, self.batch_size = dataset, length, batch_size
        self.sessions, self.subjects_per_chunk = sessions, subjects_per_chunk
        self.batches_per_chunk, self.seed, self.labels, self.epoch = (
            batches_per_chunk, seed, labels, 0)  # fmt: skip
        self.rows = self._rows_by_subject(list(subjects))
        self.subjects = np.array(list(self.rows))
        self.read_rows: list[int] = []  # rows read per chunk (for tests and monitoring)

    def _rows_by_subject(self, subjects: list[str]) -> dict[str, np.ndarray]:
        counts = sentence_counts(self.dataset.frame)
        missing = [s for s in subjects if counts.get(s, 0) < 2]
        if missing:
            raise ValueError(f"{len(missing)} participants have fewer than 2 sentences, "
                             f"e.g. {missing[:3]}")  # fmt: skip
        rows = sequence_rows(self.dataset.frame, subjects, self.sessions)
        sizes = np.minimum(counts.loc[subjects].to_numpy(), self.sessions)
        return dict(zip(subjects, np.split(rows, np.cumsum(sizes)[:-1]), strict=True))

    def chunks_per_epoch(self) -> int:
        return -(-len(self.subjects) // self.subjects_per_chunk)

    def __len__(self) -> int:
        return self.chunks_per_epoch() * self.batches_per_chunk

    def __iter__(self):
        import torch

        rng = np.random.default_rng((self.seed, self.epoch))
        self.epoch += 1
        order = self.subjects[rng.permutation(len(self.subjects))]
        for c in range(self.chunks_per_epoch()):
            chunk = order[c * self.subjects_per_chunk : (c + 1) * self.subjects_per_chunk]
            if len(chunk) < 2:  # a last chunk of one participant has no negatives
                chunk = np.r_[chunk, order[:1]]
            X, n, owner, by = self._read(chunk)
            K, B = len(chunk), self.batch_size
            for _ in range(self.batches_per_chunk):
                subj = rng.integers(0, K, B)
                other = (subj + rng.integers(1, K, B)) % K
                pair = np.array([rng.choice(by[s], 2, replace=False) for s in subj])
                neg = np.array([rng.choice(by[s]) for s in other])
                idx = np.r_[pair[:, 0], pair[:, 1], neg]
                batch = (torch.from_numpy(X[idx]), torch.from_numpy(n[idx]))
                yield (*batch, torch.from_numpy(owner[idx])) if self.labels else batch

    def _read(self, chunk):
        """One chunk's features: X (N, M, 5), lengths (N,), owner (N,) chunk-local ids,
        and each chunk participant's sequence positions."""
        rows = np.concatenate([self.rows[s] for s in chunk])
        self.read_rows.append(len(rows))
        # whole sentences: the last kept key's latencies need its successor (as TypeNet)
        seqs = sequences_at(self.dataset, rows)
        X = np.stack([typenet_features(s["press"], s["release"], s["keycode"], self.length)
                      for s in seqs])  # fmt: skip
        n = np.array([min(len(s["press"]), self.length) for s in seqs], dtype=np.int64)
        n = np.maximum(n, 1)
        owner = np.repeat(np.arange(len(chunk)), [len(self.rows[s]) for s in chunk])
        by = [np.flatnonzero(owner == k) for k in range(len(chunk))]
        return X, n, owner, by
