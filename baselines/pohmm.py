"""Partially observable HMM (POHMM) of Monaco & Tappert (Pattern Recognition 76, 2018;
arXiv:1607.03854), paper key ``monaco2018``, and the plain HMM it is compared with.

A keystroke sample is a sequence of events; each event has an observed type (the key)
and timing features (duration, press-press latency tau, optionally sensor values). The
POHMM is a two-state HMM whose start and transition probabilities and emissions are
conditioned on the observed event type (and, for transitions, on the previous one).
Event types never seen in training fall back to a marginal event (index 0) computed
from the seen ones; every parameter is smoothed towards that marginal, more strongly
for rare events ('freq' smoothing). The HMM is the same model with one event type.

Input (the kit's ``keystroke_events`` kind): ``X`` of shape (n_samples, n_events,
1 + n_features); channel 0 holds the integer event type (key code), the other
channels the features, the first ``n_lognormal`` lognormal (times in ms) and the rest
normal. ``score_samples`` is the log-likelihood of each sample (higher = more genuine).

Written from the paper and checked against the behaviour of the authors' package
(``vmonaco/pohmm``): observation-based initialisation with spread h = 2 on the first
feature, densities floored at 1e-5, EM stopped when the log-likelihood gains less than
``thresh``. See ``baselines/pohmm_core.py`` for the batched forward-backward.
"""

from __future__ import annotations

import numpy as np
from incumbent.baselines import pohmm_core as core
from sklearn.base import BaseEstimator, clone


class POHMM(BaseEstimator):
    def __init__(
        self,
        n_states: int = 2,
        n_lognormal: int = 2,
        init_spread: float = 2.0,
        thresh: float = 1e-6,
        max_iter: int = 1000,
        smoothing: str | None = "freq",
        ignore_events: bool = False,
    ):
        self.n_states = n_states
        self.n_lognormal = n_lognormal
        self.init_spread = init_spread
        self.thresh = thresh
        self.max_iter = max_iter
        self.smoothing = smoothing
        self.ignore_events = ignore_events

    # ---- input handling -------------------------------------------------------------
    def _split(self, X):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 3 or X.shape[2] < 2:
            raise ValueError(
                f"{type(self).__name__} takes keystroke_events input: an array "
                f"(n_samples, n_events, 1 + n_features), got shape {X.shape}"
            )
        codes = X[:, :, 0].astype(np.int64)
        if self.ignore_events:
            codes = np.zeros_like(codes)
        return codes, X[:, :, 1:]

    def _local(self, codes):
        """Local event index of each code: 1.. for keys seen in training, 0 otherwise."""
        table = np.zeros(max(int(codes.max()), int(self.keys_.max())) + 1, np.int64)
        table[self.keys_] = np.arange(1, self.keys_.size + 1)
        return table[codes]

    # ---- fitting ----------------------------------------------------------------------
    def fit(self, X, y=None):
        fitted = self.fit_many([X])[0]
        self.__dict__.update(fitted.__dict__)
        return self

    def fit_many(self, Xs):
        """Fit one clone per training set in one batched EM; returns the fitted clones."""
        out = [clone(self) for _ in Xs]
        groups: dict[tuple, list[int]] = {}
        for k, X in enumerate(Xs):
            groups.setdefault(np.shape(X), []).append(k)
        for idx in groups.values():
            self._fit_batch([out[k] for k in idx], [Xs[k] for k in idx])
        return out

    def _fit_batch(self, models, Xs):
        if self.smoothing not in ("freq", None):
            raise ValueError(f"smoothing must be 'freq' or None, got {self.smoothing!r}")
        split = [self._split(X) for X in Xs]
        x = np.stack([s[1] for s in split])  # (M, N, T, F)
        if (x[..., : self.n_lognormal] <= 0).any():
            raise ValueError("lognormal features (durations, latencies) must be > 0")
        keys = [np.unique(s[0]) for s in split]
        E = max(k.size for k in keys) + 1
        for mdl, k in zip(models, keys, strict=True):
            mdl.keys_ = k
        ev = np.stack([m._local(s[0]) for m, s in zip(models, split, strict=True)])
        es = core.event_stats(ev, np.array([k.size for k in keys]), E)
        first = _first_occurrence(ev)
        params = self._init_params(x, ev, es, E)
        params = self._smooth(params, es)
        M = len(models)
        active = np.arange(M)
        last = np.full(M, np.nan)
        n_iter = np.zeros(M, np.int64)
        for it in range(self.max_iter):
            sub = tuple(p[active] for p in params)
            ll, stats = core.estep(sub, x[active], ev[active], first[active], self.n_lognormal)
            done = (ll - last[active] < self.thresh) if it > 0 else np.zeros(active.size, bool)
            last[active] = ll
            n_iter[active] = it
            keep = ~done
            if not keep.any():
                break
            stats = tuple(s[keep] for s in stats)
            new = core.mstep(stats)
            es_k = _take(es, active[keep])
            new = self._smooth(new, es_k)
            for p, q in zip(params, new, strict=True):
                p[active[keep]] = q
            active = active[keep]
        for m, mdl in enumerate(models):
            mdl.start_, mdl.trans_, mdl.mu_, mdl.sigma_ = (p[m] for p in params)
            mdl.loglik_, mdl.n_iter_ = float(last[m]), int(n_iter[m])

    def _smooth(self, params, es):
        return core.smooth(params, es) if self.smoothing == "freq" else core.marginals(params, es)

    def _init_params(self, x, ev, es, E):
        """Observation-based start (paper section 3.6): per event the mean and sd of its
        (log) values; the first feature's means spread by +-h global sd over states."""
        M, N, T, F = x.shape
        H = self.n_states
        v = x.copy()
        v[..., : self.n_lognormal] = np.log(v[..., : self.n_lognormal])
        flat = (np.arange(M)[:, None, None] * E + ev).ravel()
        vf = v.reshape(-1, F)
        cnt = np.bincount(flat, minlength=M * E)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.stack([np.bincount(flat, vf[:, f], M * E) for f in range(F)], -1) / cnt
            dev = (vf - mean[flat]) ** 2
            var = np.stack([np.bincount(flat, dev[:, f], M * E) for f in range(F)], -1) / cnt
        mean, sd = mean.reshape(M, E, F), np.sqrt(var).reshape(M, E, F)
        mu = np.repeat(mean[:, :, None, :], H, axis=2)
        spread = v[..., 0].reshape(M, -1).std(axis=1)
        mu[..., 0] += spread[:, None, None] * np.linspace(-self.init_spread, self.init_spread, H)
        sigma = np.repeat(np.maximum(sd, core.MIN_PROBA)[:, :, None, :], H, axis=2)
        mu[~es.valid] = 0.0
        sigma[~es.valid] = core.MIN_PROBA
        start = np.full((M, E, H), 1.0 / H)
        trans = np.full((M, E, E, H, H), 1.0 / H)
        return start, trans, mu, sigma

    # ---- scoring ------------------------------------------------------------------------
    def score_events(self, X) -> np.ndarray:
        """log p(x_t | x_1..x_t-1) per event (n_samples, n_events), from the forward lattice."""
        return score_events_many([self], X)[0]

    def score_samples(self, X) -> np.ndarray:
        return self.score_events(X).sum(axis=1)

    def predict_states(self, X) -> np.ndarray:
        """Most probable hidden state per event (posterior decoding)."""
        codes, x = self._split(X)
        ev = self._local(codes)[None]
        p = self._stacked_params([self])
        logb = core.log_densities(x[None], ev, p[2], p[3], self.n_lognormal)
        a = core.forward(core.safe_log(p[0]), core.safe_log(p[1]), ev, logb)
        b = core.backward(core.safe_log(p[1]), ev, logb)
        return np.argmax(a + b, axis=-1)[0]

    @staticmethod
    def _stacked_params(models):
        E = max(m.start_.shape[0] for m in models)

        def pad(a, axes):
            width = [(0, 0)] * a.ndim
            for ax in axes:
                width[ax] = (0, E - a.shape[ax])
            return np.pad(a, width, constant_values=1.0)

        return (
            np.stack([pad(m.start_, [0]) for m in models]),
            np.stack([pad(m.trans_, [0, 1]) for m in models]),
            np.stack([pad(m.mu_, [0]) for m in models]),
            np.stack([pad(m.sigma_, [0]) for m in models]),
        )


class HMM(POHMM):
    """The POHMM with every event of one type: a plain two-state HMM."""

    def __init__(self, n_states=2, n_lognormal=2, init_spread=2.0, thresh=1e-6, max_iter=1000,
                 smoothing="freq", ignore_events=True):  # fmt: skip
        super().__init__(n_states, n_lognormal, init_spread, thresh, max_iter, smoothing,
                         ignore_events)  # fmt: skip


def score_events_many(models, X, chunk: int = 64) -> np.ndarray:
    """Per-event marginal log-likelihoods (n_models, n_samples, n_events) of ``X`` under
    every model, in one batched forward pass per chunk of models."""
    out = []
    for lo in range(0, len(models), chunk):
        ms = models[lo : lo + chunk]
        codes, x = ms[0]._split(X)
        ev = np.stack([m._local(codes) for m in ms])
        p = POHMM._stacked_params(ms)
        logb = core.log_densities(np.broadcast_to(x, (len(ms), *x.shape)), ev, p[2], p[3],
                                  ms[0].n_lognormal)  # fmt: skip
        alpha = core.forward(core.safe_log(p[0]), core.safe_log(p[1]), ev, logb)
        L = core.lse(alpha, axis=3)  # (m, S, T): log p(x_1..x_t)
        out.append(np.concatenate([L[:, :, :1], np.diff(L, axis=2)], axis=2))
    return np.concatenate(out)


def _first_occurrence(ev: np.ndarray) -> np.ndarray:
    """(M, N, T) bool: the first time each event appears in its sequence."""
    M, N, T = ev.shape
    seen = np.zeros(ev.shape, bool)
    order = np.argsort(ev, axis=2, kind="stable")
    s = np.take_along_axis(ev, order, axis=2)
    head = np.ones_like(s, bool)
    head[..., 1:] = s[..., 1:] != s[..., :-1]
    np.put_along_axis(seen, order, head, axis=2)
    return seen


def _take(es: core.EventStats, idx) -> core.EventStats:
    return core.EventStats(*(getattr(es, f)[idx] for f in es.__dataclass_fields__))


POHMM.score_events_many = staticmethod(score_events_many)  # batched scoring for protocols
