"""Batched log-space math of the partially observable HMM (Monaco & Tappert 2018).

Everything here works on a *batch of models* at once: arrays carry a leading model axis
``M``, every model has ``N`` training sequences of the same length ``T`` (true of every
Monaco data set: one fold trains each user on the same number of equal-length samples),
so one forward-backward pass over ``T`` steps serves all models and sequences together.

Shapes: ``E`` event types per model (index 0 = the marginal / unknown event, 1.. = the
keys seen in training, padded to the batch maximum), ``H`` hidden states, ``F``
features (the first ``n_lognormal`` lognormal, the rest normal).

Parameters (probabilities, not logs): ``start`` (M, E, H), ``trans`` (M, E, E, H, H),
``mu``/``sigma`` (M, E, H, F) (of log x for lognormal features). Event statistics of the
training data (``EventStats``) drive the marginals and the 'freq' smoothing weights.
The rules follow the paper (sections 3.3-3.6) as the authors' package implements them:
densities floored at 1e-5, counts and sigmas floored at 1e-5 in the M-step, marginals
recomputed before each smoothing step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_PROBA = 1e-5
LOG_MIN_PROBA = np.log(MIN_PROBA)
_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def lse(a: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(a))) along ``axis``; rows of -inf give -inf."""
    if a.shape[axis] == 2:  # two hidden states: one ufunc call instead of five
        x, y = np.moveaxis(a, axis, 0)
        return np.logaddexp(x, y)
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a - m), axis=axis)) + np.squeeze(m, axis)


def safe_log(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(p)
    out[np.isnan(out)] = -np.inf  # a negative smoothed weight, as the authors' code
    return out


def normalize(a: np.ndarray, axis: int) -> np.ndarray:
    """Sum to one along ``axis``; an all-zero slice becomes uniform (machine-epsilon rule
    of the authors' ``normalize``, which adds eps to every cell before dividing)."""
    a = a + np.finfo(float).eps
    return a / a.sum(axis=axis, keepdims=True)


@dataclass
class EventStats:
    """Counts of the observed event chain of each model's training data."""

    freq: np.ndarray  # (M, E): occurrences of each event; [0] = all events
    tfreq: np.ndarray  # (M, E, E): pair counts; [i, 0] out of i, [0, j] into j, [0, 0] all
    pstart: np.ndarray  # (M, E): first-event distribution over 1..P ([0] = 0)
    ptrans: np.ndarray  # (M, E, E): event transition matrix over 1..P (empty rows uniform)
    psteady: np.ndarray  # (M, E): event frequencies over 1..P
    valid: np.ndarray  # (M, E) bool: real events 1..P


def event_stats(ev: np.ndarray, n_events: np.ndarray, E: int) -> EventStats:
    """``ev`` (M, N, T) local event indices 1..P_m; ``n_events`` (M,) = P_m."""
    M = ev.shape[0]
    valid = np.arange(E)[None, :] <= n_events[:, None]
    valid[:, 0] = False
    m_idx = np.repeat(np.arange(M), ev[0].size).reshape(ev.shape)
    freq = np.zeros((M, E))
    np.add.at(freq, (m_idx, ev), 1.0)
    freq[:, 0] = ev[0].size
    pairs = np.zeros((M, E, E))
    np.add.at(pairs, (m_idx[:, :, 1:], ev[:, :, :-1], ev[:, :, 1:]), 1.0)
    tfreq = pairs.copy()
    tfreq[:, :, 0] = pairs.sum(axis=2)
    tfreq[:, 0, :] = pairs.sum(axis=1)
    tfreq[:, 0, 0] = pairs.sum(axis=(1, 2))
    first = np.zeros((M, E))
    np.add.at(first, (m_idx[:, :, 0], ev[:, :, 0]), 1.0)

    pstart = _norm_valid(first, valid)
    psteady = _norm_valid(freq * valid, valid)
    rows = pairs * valid[:, None, :]
    ptrans = np.zeros_like(rows)
    for m in range(M):  # small (E x E) per model
        v = valid[m]
        ptrans[m][np.ix_(v, v)] = normalize(rows[m][np.ix_(v, v)], axis=1)
    return EventStats(freq, tfreq, pstart, ptrans, psteady, valid)


def _norm_valid(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    x = np.where(valid, x + np.finfo(float).eps, 0.0)
    return x / x.sum(axis=1, keepdims=True)


def log_densities(x, ev, mu, sigma, n_lognormal: int) -> np.ndarray:
    """Per-state log density (M, S, T, H) of observations ``x`` (M, S, T, F) with local
    events ``ev`` (M, S, T); each feature's density floored at 1e-5 (as the authors)."""
    M = x.shape[0]
    mi = np.arange(M)[:, None, None]
    mu_t = mu[mi, ev]  # (M, S, T, H, F)
    sd_t = sigma[mi, ev]
    v = x.copy()
    v[..., :n_lognormal] = np.log(v[..., :n_lognormal])
    z = (v[..., None, :] - mu_t) / sd_t
    logpdf = -0.5 * z * z - np.log(sd_t) - _LOG_SQRT_2PI
    logpdf[..., :n_lognormal] -= v[..., None, :n_lognormal]  # Jacobian: 1/x
    return np.maximum(logpdf, LOG_MIN_PROBA).sum(axis=-1)


def forward(log_start, log_trans, ev, logb):
    """Forward lattice (M, S, T, H) in log space."""
    M, S, T, H = logb.shape
    mi = np.arange(M)[:, None]
    alpha = np.empty_like(logb)
    alpha[:, :, 0] = log_start[mi, ev[:, :, 0]] + logb[:, :, 0]
    for t in range(1, T):
        A = log_trans[mi, ev[:, :, t - 1], ev[:, :, t]]  # (M, S, H, H)
        alpha[:, :, t] = lse(alpha[:, :, t - 1, :, None] + A, axis=2) + logb[:, :, t]
    return alpha


def backward(log_trans, ev, logb):
    M, S, T, H = logb.shape
    mi = np.arange(M)[:, None]
    beta = np.zeros_like(logb)
    for t in range(T - 2, -1, -1):
        A = log_trans[mi, ev[:, :, t], ev[:, :, t + 1]]
        beta[:, :, t] = lse(A + (logb[:, :, t + 1] + beta[:, :, t + 1])[:, :, None, :], axis=3)
    return beta


def estep(params, x, ev, first, n_lognormal):
    """One E-step over all models: (log-likelihood per model, sufficient statistics)."""
    start, trans, mu, sigma = params
    M, N, T, F = x.shape
    E, H = start.shape[1], start.shape[2]
    log_start, log_trans = safe_log(start), safe_log(trans)
    logb = log_densities(x, ev, mu, sigma, n_lognormal)
    alpha = forward(log_start, log_trans, ev, logb)
    beta = backward(log_trans, ev, logb)
    loglik = lse(alpha[:, :, -1], axis=2)  # (M, N)
    gamma = np.exp(alpha + beta - loglik[:, :, None, None])  # (M, N, T, H)

    m_idx = np.broadcast_to(np.arange(M)[:, None, None], ev.shape)
    flat = (m_idx * E + ev).ravel()

    def scatter(w, size):  # sum rows of w (K, ...) into bins ``flat``
        w = w.reshape(flat.size, -1)
        out = np.stack([np.bincount(flat, w[:, k], size) for k in range(w.shape[1])], -1)
        return out

    post = scatter(gamma, M * E).reshape(M, E, H)
    v = x.copy()
    v[..., :n_lognormal] = np.log(v[..., :n_lognormal])
    gv = gamma[..., :, None] * v[..., None, :]  # (M, N, T, H, F)
    s1 = scatter(gv, M * E).reshape(M, E, H, F)
    s2 = scatter(gv * v[..., None, :], M * E).reshape(M, E, H, F)

    # start: the posterior at the first occurrence of each event in each sequence
    fm = first.ravel()
    g = gamma.reshape(-1, H)[fm]
    st = np.stack([np.bincount(flat[fm], g[:, k], M * E) for k in range(H)], -1)
    st = st.reshape(M, E, H)
    st[:, 0] = gamma[:, :, 0].sum(axis=1)

    # transitions: xi_t(i, j) summed per (event_t, event_t+1) pair
    mi = np.arange(M)[:, None, None]
    A = log_trans[mi, ev[:, :, :-1], ev[:, :, 1:]]  # (M, N, T-1, H, H)
    lxi = (alpha[:, :, :-1, :, None] + A + (logb[:, :, 1:] + beta[:, :, 1:])[:, :, :, None, :]
           - loglik[:, :, None, None, None])  # fmt: skip
    pair = ((m_idx[:, :, 1:] * E + ev[:, :, :-1]) * E + ev[:, :, 1:]).ravel()
    xi = np.exp(lxi).reshape(pair.size, H * H)
    tr = np.stack([np.bincount(pair, xi[:, k], M * E * E) for k in range(H * H)], -1)
    tr = tr.reshape(M, E, E, H, H)
    return loglik.sum(axis=1), (st, tr, post, s1, s2)


def mstep(stats):
    st, tr, post, s1, s2 = stats
    start = normalize(np.maximum(st, MIN_PROBA), axis=2)
    trans = normalize(np.maximum(tr, MIN_PROBA), axis=4)
    denom = np.maximum(post, MIN_PROBA)[..., None]
    mu = s1 / denom
    with np.errstate(invalid="ignore"):
        sigma = np.sqrt((s2 - 2 * mu * s1 + mu**2 * denom) / denom)
    sigma[np.isnan(sigma)] = MIN_PROBA
    return start, trans, mu, np.maximum(sigma, MIN_PROBA)


def marginals(params, es: EventStats):
    """Recompute the marginal (index 0) event's start, transitions and emissions."""
    start, trans, mu, sigma = (p.copy() for p in params)
    v = es.valid
    # start[0] keeps the M-step's value (the posterior of each sequence's first event):
    # the authors' package assigns the marginal start to a temporary copy, so its
    # fitted models never carry it, and the published numbers come from those models
    # full chain weights ptrans[p, q] * A[p, q] over the real events only
    w = (es.ptrans * (v[:, :, None] & v[:, None, :]))[..., None, None] * trans
    trans[:, 0, 0] = w.sum(axis=(1, 2))
    trans[:, 1:, 0] = w[:, 1:].sum(axis=2)
    trans[:, 0, 1:] = w[:, :, 1:].sum(axis=1)
    trans = normalize(trans, axis=4)
    pw = (es.psteady * v)[:, :, None, None]
    mu0 = (pw * mu).sum(axis=1)
    sig0 = np.sqrt((pw * ((mu - mu0[:, None]) ** 2 + sigma**2)).sum(axis=1))
    mu[:, 0], sigma[:, 0] = mu0, sig0
    return start, trans, mu, sigma


def smooth(params, es: EventStats):
    """'freq' smoothing (paper section 3.5): mix each event's parameters with the
    marginal's, weighted by how often the event (or event pair) was observed."""
    start, trans, mu, sigma = marginals(params, es)
    v = es.valid
    w = (1.0 / (1.0 + es.freq))[:, :, None]
    w = np.where(v[:, :, None], w, 0.0)
    start = (1 - w) * start + w * start[:, :1]
    f = es.tfreq
    w_i0 = 1.0 / (1.0 + f + f[:, :1, :])  # (M, E, E): into j
    w_0j = 1.0 / (1.0 + f + f[:, :, :1])  # out of i
    vv = v[:, :, None] & v[:, None, :]
    w_i0, w_0j = np.where(vv, w_i0, 0.0), np.where(vv, w_0j, 0.0)
    w_ij = np.where(vv, 1.0 - w_i0 - w_0j, 1.0)
    trans = (w_ij[..., None, None] * trans + w_i0[..., None, None] * trans[:, :, :1]
             + w_0j[..., None, None] * trans[:, :1, :])  # fmt: skip
    we = w[..., None]
    mu = (1 - we) * mu + we * mu[:, :1]
    sigma = (1 - we) * sigma + we * sigma[:, :1]
    return start, trans, mu, sigma
