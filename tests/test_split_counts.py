"""Fixed-text splits at their sample-count edges: a subject with exactly ``n_enroll``
samples, exactly enough, or too few to give its impostor part, and the K&M protocol at
exactly ``n_train``. Every sample is identified by its value, so counts are exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incumbent.data.cards import Dataset
from incumbent.protocols.fixed_text import FixedText
from incumbent.protocols.killourhy2009 import Killourhy2009


def dataset(counts: dict[str, int], sessions: int = 1) -> Dataset:
    """Subject -> number of samples; ``f0`` = 1000 * subject index + sample index."""
    rows = []
    for k, (subject, n) in enumerate(counts.items()):
        for r in range(n):
            session = 1 + r * sessions // max(n, 1)
            rows.append({"subject": subject, "session": session, "rep": r + 1, "f0": 1000 * k + r})
    frame = pd.DataFrame(rows).sample(frac=1.0, random_state=0)  # order must not matter
    return Dataset("edge", frame.reset_index(drop=True), ["f0"], "0" * 64)


def by_subject(splits) -> dict:
    return {s.subject: s for s in splits}


def values(a: np.ndarray) -> list[int]:
    return a[:, 0].astype(int).tolist()


def test_subject_with_exactly_n_enroll_samples_has_no_probe_and_is_refused():
    ds = dataset({"a": 6, "b": 4, "c": 6})
    with pytest.raises(ValueError, match=r"edge: subject b has 4 samples.*needs at least 5"):
        list(FixedText(n_enroll=4, n_genuine_test=None, n_impostor_per_subject=2).splits(ds))


def test_exactly_enough_samples_gives_exact_parts():
    ds = dataset({"a": 5, "b": 5, "c": 5})
    splits = by_subject(
        FixedText(n_enroll=3, n_genuine_test=2, n_impostor_per_subject=5).splits(ds)
    )
    assert sorted(splits) == ["a", "b", "c"]
    b = splits["b"]
    assert values(b.train) == [1000, 1001, 1002]
    assert values(b.genuine) == [1003, 1004]
    assert values(b.impostor) == [0, 1, 2, 3, 4, 2000, 2001, 2002, 2003, 2004]
    assert list(b.impostor_subjects) == ["a"] * 5 + ["c"] * 5


def test_subject_too_small_for_its_impostor_part_is_refused():
    # enough for enrolment + genuine (3), too few to give 5 impostor probes to the others
    ds = dataset({"a": 6, "b": 3, "c": 6})
    with pytest.raises(ValueError, match=r"subject b has 3 samples, fewer than n_impostor_per"):
        list(FixedText(n_enroll=2, n_genuine_test=1, n_impostor_per_subject=5).splits(ds))


def test_one_more_sample_than_needed_is_accepted_and_unused():
    ds = dataset({"a": 4, "b": 4})
    s = by_subject(FixedText(n_enroll=2, n_genuine_test=1, n_impostor_per_subject=1).splits(ds))
    a, b = s["a"], s["b"]
    assert values(a.train) == [0, 1] and values(a.genuine) == [2]
    assert values(a.impostor) == [1000] and values(b.impostor) == [0]


def test_genuine_none_takes_every_remaining_sample():
    ds = dataset({"a": 7, "b": 3})
    s = by_subject(FixedText(n_enroll=2, n_genuine_test=None, n_impostor_per_subject=1).splits(ds))
    a, b = s["a"], s["b"]
    assert values(a.genuine) == [2, 3, 4, 5, 6] and values(b.genuine) == [1002]


def test_killourhy_at_exactly_n_train_is_refused_and_one_more_accepted():
    with pytest.raises(ValueError, match=r"subject b has 4 samples.*needs more than 4"):
        list(Killourhy2009(n_train=4, n_impostor_reps=2).splits(dataset({"a": 6, "b": 4})))
    s = by_subject(Killourhy2009(n_train=4, n_impostor_reps=2).splits(dataset({"a": 6, "b": 5})))
    a, b = s["a"], s["b"]
    assert values(b.train) == [1000, 1001, 1002, 1003] and values(b.genuine) == [1004]
    # impostors: the first n_impostor_reps repetitions of session 1 of every other subject
    assert values(b.impostor) == [0, 1] and values(a.impostor) == [1000, 1001]


def test_killourhy_impostors_come_from_session_one_only():
    ds = dataset({"a": 8, "b": 8}, sessions=2)  # reps 1-4 in session 1, 5-8 in session 2
    ds.frame.loc[ds.frame["session"] == 2, "rep"] -= 4  # reps restart per session
    b = by_subject(Killourhy2009(n_train=4, n_impostor_reps=6).splits(ds))["b"]
    assert values(b.impostor) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "spec,users",
    [([1, 72], list(range(1, 73))), ((73, 75), [73, 74, 75]), ([5, 6], [5, 6]),
     ([3, 5, 9], [3, 5, 9]), ([4], [4])],
)  # fmt: skip
def test_sapimouse_user_range(spec, users):
    from incumbent.protocols.sapimouse2021 import user_range

    assert user_range(spec) == users
