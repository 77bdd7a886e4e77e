"""The POHMM (baselines/pohmm.py) on data generated from a known POHMM (the paper's
simulation study, section 4), unseen-key marginalisation, and the plain HMM limit."""

from __future__ import annotations

import numpy as np
import pytest
from incumbent.baselines.pohmm import HMM, POHMM, score_events_many
from scipy.special import logsumexp
from scipy.stats import lognorm

# a known 2-state POHMM over 3 keys: state 0 = fast/short, state 1 = slow/long
N_KEYS, H = 3, 2
KEY_TRANS = np.array([[0.2, 0.5, 0.3], [0.4, 0.2, 0.4], [0.3, 0.4, 0.3]])
LOGMU = np.array(
    [  # (key, state, feature): log duration, log tau
        [[4.2, 4.8], [5.0, 6.0]],
        [[4.4, 5.0], [5.2, 6.3]],
        [[4.0, 4.6], [4.9, 5.8]],
    ]
)
LOGSIGMA = 0.15
STAY = np.array([[0.85, 0.15], [0.3, 0.7]])  # hidden transitions (same for every key pair)


def simulate(n_samples: int, n_events: int, seed: int):
    rng = np.random.default_rng(seed)
    X = np.empty((n_samples, n_events, 3))
    states = np.empty((n_samples, n_events), np.int64)
    for s in range(n_samples):
        key, h = rng.integers(N_KEYS), rng.integers(H)
        for t in range(n_events):
            if t:
                key = rng.choice(N_KEYS, p=KEY_TRANS[key])
                h = rng.choice(H, p=STAY[h])
            X[s, t, 0] = key
            X[s, t, 1:] = np.exp(rng.normal(LOGMU[key, h], LOGSIGMA))
            states[s, t] = h
    return X, states


def test_parameter_residuals_shrink_and_states_are_recovered():
    errors = []
    for n in (4, 64):
        X, states = simulate(n, 50, seed=n)
        m = POHMM().fit(X)
        # local event index k + 1 is key k (keys sorted); states ordered by duration
        errors.append(np.abs(m.mu_[1:] - LOGMU).mean())
        if n == 64:
            agree = (m.predict_states(X) == states).mean()
            assert agree > 0.9, agree  # chance is ~0.5
            assert np.abs(m.trans_[1, 2] - STAY).max() < 0.1
    assert errors[1] < errors[0] / 2, errors
    assert errors[1] < 0.05


def test_marginal_event_is_the_frequency_weighted_mixture():
    """Before any EM step (max_iter=0), event 0 carries the moment-matched mixture of
    the per-key emissions, weighted by key frequency (paper section 3.4)."""
    X, _ = simulate(8, 40, seed=1)
    m = POHMM(max_iter=0).fit(X)
    keys = X[:, :, 0].astype(int).ravel()
    logs = np.log(X[:, :, 1:]).reshape(-1, 2)
    w = np.bincount(keys) / keys.size
    mu = np.stack([logs[keys == k].mean(axis=0) for k in range(N_KEYS)])  # (key, feature)
    mu = np.repeat(mu[:, None], H, axis=1)
    mu[:, :, 0] += logs[:, 0].std() * np.array([-2.0, 2.0])  # init spread, first feature
    sd = np.stack([logs[keys == k].std(axis=0) for k in range(N_KEYS)])[:, None].repeat(H, 1)
    mu0 = (w[:, None, None] * mu).sum(axis=0)
    sd0 = np.sqrt((w[:, None, None] * ((mu - mu0) ** 2 + sd**2)).sum(axis=0))
    np.testing.assert_allclose(m.mu_[0], mu0, rtol=1e-10)
    np.testing.assert_allclose(m.sigma_[0], sd0, rtol=1e-10)


def test_unseen_keys_are_scored_with_the_marginal_event():
    X, _ = simulate(16, 30, seed=2)
    m = POHMM().fit(X)
    one = np.array([[[17.0, 90.0, 250.0]]])  # key 17 never seen in training
    by_hand = logsumexp(
        np.log(m.start_[0])
        + sum(
            np.log(
                np.maximum(
                    1e-5,
                    lognorm.pdf(one[0, 0, 1 + f], m.sigma_[0, :, f], scale=np.exp(m.mu_[0, :, f])),
                )
            )  # fmt: skip
            for f in range(2)
        )
    )
    assert m.score_samples(one)[0] == pytest.approx(by_hand, rel=1e-12)
    seq = X[:1].copy()
    a, b = seq.copy(), seq.copy()
    a[0, 5, 0], b[0, 5, 0] = 17, 99  # two different unseen keys: same likelihood
    assert m.score_samples(a)[0] == m.score_samples(b)[0]
    assert np.isfinite(m.score_samples(a)[0]) and m.score_samples(a)[0] != m.score_samples(seq)[0]


def reference_hmm_loglik(x, start, trans, logmu, logsigma):
    """Textbook forward algorithm, one sequence, no batching (densities floored at 1e-5)."""
    dens = np.ones((len(x), H))
    for f in range(x.shape[1]):
        pdf = lognorm.pdf(x[:, [f]], logsigma[:, f], scale=np.exp(logmu[:, f]))
        dens *= np.maximum(pdf, 1e-5)
    alpha = start * dens[0]
    total = 0.0
    for t in range(1, len(x)):
        c = alpha.sum()
        total += np.log(c)
        alpha = (alpha / c) @ trans * dens[t]
    return total + np.log(alpha.sum())


def test_one_event_type_is_a_plain_hmm():
    X, _ = simulate(12, 40, seed=3)
    same = X.copy()
    same[:, :, 0] = 4.0  # every event of one type
    p = POHMM().fit(same)
    h = HMM().fit(X)  # the HMM ignores the keys
    np.testing.assert_allclose(p.score_samples(same), h.score_samples(X), rtol=1e-12)
    ref = [reference_hmm_loglik(s[:, 1:], p.start_[1], p.trans_[1, 1], p.mu_[1], p.sigma_[1])
           for s in same]  # fmt: skip
    np.testing.assert_allclose(p.score_samples(same), ref, rtol=1e-10)


def test_batched_fit_and_scoring_equal_one_at_a_time():
    sets = [simulate(5, 20, seed=s)[0] for s in (4, 5, 6)]
    batch = POHMM().fit_many(sets)
    for X, b in zip(sets, batch, strict=True):
        single = POHMM().fit(X)
        assert single.n_iter_ == b.n_iter_
        np.testing.assert_allclose(single.score_samples(sets[0]), b.score_samples(sets[0]))
    ev = score_events_many(batch, sets[1])
    np.testing.assert_allclose(ev.sum(axis=2)[2], batch[2].score_samples(sets[1]))


def test_rejects_non_event_input():
    with pytest.raises(ValueError, match="keystroke_events"):
        POHMM().fit(np.ones((5, 3)))
