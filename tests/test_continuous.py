"""Continuous authentication: trust model, sliding windows, ANGA/ANIA with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from incumbent.evaluation import continuous as ca
from incumbent.protocols.continuous import ContinuousAuth

# B tiny: a score above A earns the full reward C, below A the full penalty D
STEP = {"A": 0.5, "B": 1e-4, "C": 1.0, "D": 10.0}


def stream(rows):
    """rows: (subject, session, label, [scores])"""
    out = []
    for subj, sess, lab, s in rows:
        out.append(pd.DataFrame({"subject": subj, "session": sess, "label": lab,
                                 "score": s, "order": np.arange(len(s))}))  # fmt: skip
    return pd.concat(out, ignore_index=True)


def test_trust_delta_limits_and_neutral_point():
    d = ca.trust_delta([0.5, 10.0, -10.0], A=0.5, B=0.1, C=2.0, D=3.0)
    np.testing.assert_allclose(d, [0.0, 2.0, -3.0], atol=1e-9)
    assert np.all(np.diff(ca.trust_delta(np.linspace(0, 1, 11))) > 0)  # monotone


def test_trust_lockouts_known_answer():
    # 100 -> 90 -> 80 (< 85: lock-out at index 1, reset) -> 100 -> 90 -> 80 (lock-out at 4)
    s = [0, 0, 1, 0, 0, 1, 1]
    assert ca.lockouts_trust(s, 85, **STEP) == [1, 4]
    np.testing.assert_allclose(ca.trust_levels([0, 1, 1, 0], **STEP), [90, 91, 92, 82])


def test_window_lockouts_known_answer():
    # means of the last 2 (since reset): 1, .5, .25 -> lock at 2; restart: .9, .45 -> lock at 4
    s = [1.0, 0.0, 0.5, 0.9, 0.0]
    assert ca.lockouts_window(s, 0.4, n=2) == [2]
    assert ca.lockouts_window(s, 0.5, n=2) == [2, 4]


def test_anga_ania_known_answer():
    st = stream([
        ("u1", "g1", 1, [0, 0, 1, 0, 0, 1, 1]),  # 7 genuine actions, 2 lock-outs
        ("u1", "i1", 0, [0, 0, 0]),  # detected at action 2
        ("u1", "i2", 0, [1, 1, 1, 1]),  # never detected: counts 4
        ("u2", "g2", 1, [1] * 9),  # 9 actions, no lock-out -> ANGA 9
        ("u2", "i3", 0, [1, 0, 0, 0]),  # 100,90,80 -> detected at action 3
    ])  # fmt: skip
    got = ca.anga_ania(st, lambda s: ca.lockouts_trust(s, 85, **STEP))
    assert got["anga"] == pytest.approx((7 / 2 + 9) / 2)
    assert got["ania"] == pytest.approx(((2 + 4) / 2 + 3) / 2)
    assert got["undetected"] == pytest.approx((0.5 + 0.0) / 2)
    assert got["genuine_lockouts"] == 2


def test_tradeoff_is_monotone_in_threshold():
    rng = np.random.default_rng(0)
    rows = [(f"u{k}", f"g{k}", 1, rng.uniform(0.3, 1, 60)) for k in range(3)]
    rows += [(f"u{k}", f"i{k}{j}", 0, rng.uniform(0, 0.7, 30)) for k in range(3) for j in range(3)]
    cur = ca.tradeoff(stream(rows), "trust", [60, 80, 95], A=0.5, B=0.1, C=1, D=5)
    # a stricter (higher) threshold locks out sooner: ANIA and ANGA cannot grow
    assert (np.diff(cur["ania"]) <= 1e-12).all() and (np.diff(cur["anga"]) <= 1e-12).all()
    assert cur["ania"].iloc[-1] < cur["ania"].iloc[0]


def test_window_metrics_separable_and_chance():
    sep = stream([("u", "g", 1, [0.9, 0.8, 0.95]), ("u", "i", 0, [0.1, 0.2, 0.3])])
    wm = ca.window_metrics(sep, [1, 2, 3, 5])
    assert list(wm["window"]) == [1, 2, 3]  # no full window of 5
    assert (wm["auc"] == 1.0).all() and (wm["eer"] == 0.0).all()
    assert list(wm["windows_genuine"]) == [3, 2, 1]


def test_stream_checks():
    with pytest.raises(ValueError, match="lacks columns"):
        ca.check_stream(pd.DataFrame({"subject": [1], "score": [0.1]}))
    bad = stream([("u", "s", 1, [0.5])])
    bad = pd.concat([bad, bad.assign(label=0)])
    with pytest.raises(ValueError, match="mixes"):
        ca.check_stream(bad)


class _StreamProtocol:
    """A stand-in base protocol that hands back a fixed score stream."""

    name, version = "fake", 1

    def __init__(self, st):
        self.st = st

    def describe(self):
        return {"name": self.name, "version": self.version, "params": {}}

    def run(self, dataset, make_baseline, progress=True):
        return self.st


def test_protocol_writes_curves_and_valid_png(tmp_path):
    import matplotlib.image as mpimg

    rng = np.random.default_rng(1)
    rows = [(f"u{k}", f"g{k}", 1, rng.uniform(0.4, 1, 40)) for k in range(4)]
    rows += [(f"u{k}", f"i{k}{j}", 0, rng.uniform(0, 0.6, 20)) for k in range(4) for j in range(2)]
    st = stream(rows)
    proto = ContinuousAuth(_StreamProtocol(st), windows=[1, 5], out_dir=str(tmp_path),
                           trust={"A": 0.5, "B": 0.1, "C": 1, "D": 5})  # fmt: skip
    assert proto.name == "continuous_fake"
    scores = proto.run(None, None)
    got = proto.extra_metrics(scores)
    assert got["auc_w5"] >= got["auc_w1"] > 0.5
    assert {"anga", "ania", "undetected", "trust_threshold"} <= set(got)
    png = tmp_path / "anga_ania.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert mpimg.imread(png).shape[0] > 100
    curves = pd.read_csv(tmp_path / "anga_ania.csv")
    assert set(curves["rule"]) == {"trust", "window"}
