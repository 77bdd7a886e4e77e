"""A generic fixed-text protocol, for any dataset of equal-length timing vectors.

Per subject, its samples in (session, rep) order: enrol on the first ``n_enroll``;
genuine probes are the next ``n_genuine_test`` (``None``: all the rest); impostor
probes are the first ``n_impostor_per_subject`` samples of every other subject.
This generalises Killourhy & Maxion (DSN 2009): with 200 / 200 / 5 on the CMU data it
yields exactly the ``killourhy2009`` splits. Each dataset's defaults live in its
config (``conf/dataset/<name>.yaml``, key ``protocol_defaults``) and are documented in
its card.
"""

from __future__ import annotations

import numpy as np

from incumbent.protocols.base import Protocol, SubjectSplit


class FixedText(Protocol):
    name = "fixed_text"
    version = 1

    def __init__(
        self, n_enroll: int, n_genuine_test: int | None = None, n_impostor_per_subject: int = 5
    ):
        self.n_enroll = n_enroll
        self.n_genuine_test = n_genuine_test
        self.n_impostor_per_subject = n_impostor_per_subject
        for key in ("n_enroll", "n_impostor_per_subject", "n_genuine_test"):
            v = getattr(self, key)
            if key == "n_genuine_test" and v is None:
                continue
            if not isinstance(v, int | np.integer) or v < 1:
                raise ValueError(f"{self.name}: {key} must be a positive integer, got {v!r}")

    def splits(self, dataset):
        df = dataset.frame.sort_values(["subject", "session", "rep"], kind="stable")
        X = df[dataset.features].to_numpy(np.float64)
        subj = df["subject"].to_numpy()
        rank = df.groupby("subject", sort=False).cumcount().to_numpy()  # 0-based order
        first = rank < self.n_impostor_per_subject
        need = self.n_enroll + (self.n_genuine_test or 1)
        for s in dataset.subjects:
            own = np.flatnonzero(subj == s)
            if own.size < need:
                raise ValueError(
                    f"{dataset.name}: subject {s} has {own.size} samples; protocol "
                    f"{self.name} v{self.version} with {self.params()} needs at least {need}"
                )
            if own.size < self.n_impostor_per_subject:
                raise ValueError(
                    f"{dataset.name}: subject {s} has {own.size} samples, fewer than "
                    f"n_impostor_per_subject={self.n_impostor_per_subject}"
                )
            stop = None if self.n_genuine_test is None else self.n_enroll + self.n_genuine_test
            imp = np.flatnonzero(first & (subj != s))
            yield SubjectSplit(
                subject=s,
                train=X[own[: self.n_enroll]],
                genuine=X[own[self.n_enroll : stop]],
                impostor=X[imp],
                impostor_subjects=subj[imp],
            )
