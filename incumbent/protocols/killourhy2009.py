"""Killourhy & Maxion (DSN 2009) evaluation protocol on the CMU password data.

Per subject: train on its first 200 repetitions (sessions 1-4); genuine probes are
its last 200 (sessions 5-8); impostor probes are the first 5 repetitions of session 1
of each of the other 50 subjects (250 vectors). All 31 timing features.
"""

from __future__ import annotations

import numpy as np

from incumbent.protocols.base import Protocol, SubjectSplit
from incumbent.running.preflight import positive_int


class Killourhy2009(Protocol):
    name = "killourhy2009"
    version = 1
    for_datasets = ("cmu_dsl",)  # 400 reps per subject in 8 sessions of 50

    def __init__(self, n_train: int = 200, n_impostor_reps: int = 5):
        positive_int(self.name, n_train=n_train, n_impostor_reps=n_impostor_reps)
        self.n_train = n_train
        self.n_impostor_reps = n_impostor_reps

    def splits(self, dataset):
        df = dataset.frame.sort_values(["subject", "session", "rep"], kind="stable")
        X = df[dataset.features].to_numpy(np.float64)
        subj = df["subject"].to_numpy()
        first = (df["session"].to_numpy() == 1) & (df["rep"].to_numpy() <= self.n_impostor_reps)
        for s in dataset.subjects:
            own = np.flatnonzero(subj == s)
            if own.size <= self.n_train:
                raise ValueError(
                    f"subject {s} has {own.size} samples; protocol {self.name} needs more "
                    f"than {self.n_train}"
                )
            imp = np.flatnonzero(first & (subj != s))
            yield SubjectSplit(
                subject=s,
                train=X[own[: self.n_train]],
                genuine=X[own[self.n_train :]],
                impostor=X[imp],
                impostor_subjects=subj[imp],
            )
