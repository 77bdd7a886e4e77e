"""SapiMouse: loader on synthetic files in the real layout, blocks, protocol + FCN smoke test,
and the (slow, opt-in) reproduction of the authors' AUCs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from incumbent.data.cards import DataError
from incumbent.data.loaders import sapimouse
from incumbent.protocols.sapimouse2021 import (
    SapiMouse2021,
    authors_code_scores,
    block_average,
    block_values,
    make_blocks,
    to_layout,
)

CONF = Path(__file__).resolve().parent.parent / "conf"


def write_session(path: Path, n: int, rng, speed: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    x = np.cumsum(rng.poisson(speed, n))
    y = np.cumsum(rng.poisson(2 * speed, n))
    pd.DataFrame({"client timestamp": np.arange(n) * 16, "button": "NoButton",
                  "state": "Move", "x": x, "y": y}).to_csv(path, index=False)  # fmt: skip


def fake_sapimouse(root: Path, users=range(1, 7), n3=700, n1=400, seed=0) -> Path:
    """The real layout: user<N>/session_{3min,1min}.csv, user35-style split folders, dated
    names in one folder, and a SHA256SUMS beside them."""
    rng = np.random.default_rng(seed)
    for u in users:
        folders = [f"user{u}.1", f"user{u}.2"] if u == 2 else [f"user{u}"]
        for k, folder in enumerate(folders):
            prefix = "session_2020_10_14_" if (u == 3) else "session_"
            write_session(root / folder / f"{prefix}3min.csv", n3, rng, 1 + u + k)
            write_session(root / folder / f"{prefix}1min.csv", n1, rng, 1 + u + k)
    digest, digests = sapimouse.manifest_digest(root)
    (root / "SHA256SUMS").write_text("".join(f"{d}  {r}\n" for r, d in digests.items()))
    return root


def test_loader_reads_real_layout(tmp_path):
    root = fake_sapimouse(tmp_path / "sapimouse")
    ds = sapimouse.load(root=root, verify=False)
    assert ds.subjects == [str(u) for u in range(1, 7)]
    two = ds.frame[ds.frame.subject == "2"]
    assert sorted(two.recording) == ["user2.1", "user2.1", "user2.2", "user2.2"]
    assert list(ds.frame.session[:2]) == ["3min", "1min"]
    assert set(ds.frame[ds.frame.subject == "3"].session) == {"3min", "1min"}  # dated names
    ev = ds.extra["events"]
    assert len(ev) == ds.frame.n_events.sum() == 7 * (700 + 400)
    manifest = (root / "SHA256SUMS").read_bytes()
    assert ds.checksum == hashlib.sha256(manifest).hexdigest()  # the card's rule
    blocks = make_blocks(ev, size=128)
    per = blocks.groupby(["subject", "session"]).size()
    assert per[("1", "3min")] == 699 // 128 and per[("1", "1min")] == 399 // 128
    assert per[("2", "3min")] == 2 * (699 // 128)  # both recordings, no block across them


def test_loader_checksum_and_format_errors(tmp_path):
    root = fake_sapimouse(tmp_path / "sapimouse")
    with pytest.raises(DataError, match="manifest sha256"):
        sapimouse.load(root=root)  # synthetic files cannot match the real digest
    f = root / "user4" / "session_1min.csv"
    f.write_text(f.read_text().replace("x,y", "x,z", 1))
    with pytest.raises(DataError, match=r"changed \[.user4/session_1min.csv.\]"):
        sapimouse.load(root=root)
    with pytest.raises(DataError, match=r"session_1min.csv: header"):
        sapimouse.load(root=root, verify=False)
    f.write_text("client timestamp,button,state,x,y\n1,NoButton,Move,3,oops\n2,NoButton,Move,4,5\n")
    with pytest.raises(DataError, match=r"row 2, column 'y'"):
        sapimouse.load(root=root, verify=False)
    with pytest.raises(DataError, match="not found"):
        sapimouse.load(data_dir=tmp_path / "nowhere")


def test_blocks_known_values():
    x = np.r_[0, np.cumsum(np.arange(1, 11))]  # |dx| = 1..10
    y = np.zeros(11)  # |dy| = 0
    b = block_values(x, y, size=4)  # 10 differences -> 2 blocks, remainder dropped
    assert b.shape == (2, 2, 4)
    raw = np.r_[1, 2, 3, 4, 0, 0, 0, 0.0]
    np.testing.assert_allclose(b[0].ravel(), (raw - raw.mean()) / raw.std())
    a = to_layout(b, "authors")  # row [dx0..dx3, dy0..dy3] read as (4, 2)
    np.testing.assert_allclose(a[0, 0], b[0].ravel()[0::2])
    np.testing.assert_allclose(a[0, 1], b[0].ravel()[1::2])
    flat = block_values(np.zeros(9), np.zeros(9), size=4)  # constant block: sd -> 1e-4
    assert np.isfinite(flat).all()


def test_block_average_within_streams():
    s = pd.DataFrame({"subject": "a", "session": ["p"] * 4 + ["q"] * 2, "label": 0,
                      "score": [1.0, 2, 3, 4, 10, 20], "order": [0, 1, 2, 3, 0, 1]})  # fmt: skip
    got = block_average(s, 3)
    assert list(got.score) == [2.0, 3.0]  # no window straddles p and q


def test_protocol_and_fcn_smoke(tmp_path):
    """Reduced size on CPU: 4 training users, 3 evaluation users, 8 filters, 1 epoch."""
    from incumbent.baselines.sapimouse2021 import SapiMouseFCNOCSVM

    root = fake_sapimouse(tmp_path / "sapimouse", users=range(1, 8), n3=900, n1=700)
    ds = sapimouse.load(root=root, verify=False)
    proto = SapiMouse2021(train_users=[1, 2, 3, 4], eval_users=[5, 6, 7])
    make = lambda: SapiMouseFCNOCSVM(filters=8, epochs=1, progress=False)  # noqa: E731
    scores = proto.run(ds, make, progress=False)
    assert set(scores.subject) == {"5", "6", "7"}
    assert set(scores.columns) >= {"subject", "session", "label", "score", "order"}
    per_user = scores.groupby("subject").label.agg(["sum", "size"])
    assert (per_user["sum"] == 5).all() and (per_user["size"] == 15).all()  # 5 blocks/session
    m = proto.extra_metrics(scores)
    assert {f"auc_{n}" for n in range(1, 6)} <= set(m) and m["auc"] == m["auc_1"]
    # every AUC is the one an independent computation gives from these scores
    assert np.isfinite(scores["score"]).all() and scores["score"].nunique() > 10
    for n in range(1, 6):
        g, i = authors_code_scores(scores, n, seed=proto.seed)
        assert m[f"auc_{n}"] == pytest.approx(auc_of(g, i), abs=1e-12)
        g, i = mean2sd_blocks(scores, n)
        assert m[f"auc_{n}_mean2sd"] == pytest.approx(auc_of(g, i), abs=1e-12)


def auc_of(genuine, impostor) -> float:
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(len(genuine)), np.zeros(len(impostor))]
    return float(roc_auc_score(y, np.r_[genuine, impostor]))


def mean2sd_blocks(scores, n):
    """Per claimed user (s - (mean - 2 sd)) / (4 sd) clipped to [0, 1], then the mean of
    every n consecutive scores of each probe session (full windows only)."""
    gen, imp = [], []
    for _, user in scores.groupby("subject"):
        mu, sd = user["score"].mean(), user["score"].std(ddof=1)
        z = np.clip((user["score"] - (mu - 2 * sd)) / (4 * sd), 0, 1)
        user = user.assign(z=z)
        for _, session in user.groupby("session"):
            v = session.sort_values("order")["z"].to_numpy()
            means = [v[k : k + n].mean() for k in range(len(v) - n + 1)]
            (gen if session["label"].iloc[0] == 1 else imp).extend(means)
    return np.array(gen), np.array(imp)


def test_config_declares_block_input():
    import yaml

    cfg = yaml.safe_load((CONF / "baseline" / "sapimouse_fcn_ocsvm.yaml").read_text())
    assert cfg["input"] == "mouse_blocks" and cfg["repro_in_ci"] is False


@pytest.mark.repro
@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("INCUMBENT_SLOW"),
    reason="full SapiMouse training (100 epochs, batch 16) takes about 17 min on 2 CPU cores; "
    "run with INCUMBENT_SLOW=1 (see papers.md sapimouse2021 for the measured numbers)",
)
def test_reproduces_authors_auc(data_dir, results_dir):
    from hydra import compose, initialize_config_dir

    from incumbent.running.pipeline import run

    with initialize_config_dir(version_base="1.3", config_dir=str(CONF)):
        cfg = compose("config", overrides=["experiment=sapimouse2021", f"paths.data_dir={data_dir}",
                                           f"paths.results_dir={results_dir}", "progress=false"])  # fmt: skip
    m = run(cfg)["metrics"]
    assert abs(m["auc_1"] - 0.876) <= 0.03, m
    assert abs(m["auc_5"] - 0.950) <= 0.03, m


def test_authors_code_evaluation_known_answer():
    from incumbent.protocols.sapimouse2021 import authors_code_scores

    s = pd.DataFrame({"subject": "73", "probe_subject": ["73", "73", "74", "74"],
                      "label": [1, 1, 0, 0], "score": [1.0, 3.0, 0.0, 2.0], "order": [0, 1, 0, 1]})  # fmt: skip
    g, i = authors_code_scores(s, 1)
    lo, span = 0.5 - 2 / np.sqrt(2), 4 / np.sqrt(2)  # mean -/+ 2 sd of the first pair only
    assert g[0] == pytest.approx((1 - lo) / span) and i[0] == pytest.approx((0 - lo) / span)
    assert 0.95 <= g[1] <= 1 and 0.95 <= i[1] <= 1  # out of range: random in [0.95, 1]
    g2, _ = authors_code_scores(s, 2)
    # in-place means (1+3)/2 and (0+2)/2 set the range, as the averaging comes first
    assert g2[0] == pytest.approx((2 - (1.5 - 2 / np.sqrt(2))) / span)


def test_authors_code_windows_known_answer():
    """n = 2 over three scores per stream: the two full windows are averaged, the last
    score stays raw; the first (averaged) pair sets the range."""
    s = pd.DataFrame({"subject": "73", "probe_subject": ["73"] * 3 + ["74"] * 3,
                      "label": [1, 1, 1, 0, 0, 0], "score": [1.0, 2.0, 1.5, 0.0, 1.0, 0.5],
                      "order": [0, 1, 2, 0, 1, 2]})  # fmt: skip
    g, i = authors_code_scores(s, 2)
    lo, span = 1.0 - 2 / np.sqrt(2), 4 / np.sqrt(2)  # mid of 1.5 and 0.5, sd 1 / sqrt 2
    np.testing.assert_allclose(g, (np.array([1.5, 1.75, 1.5]) - lo) / span)
    np.testing.assert_allclose(i, (np.array([0.5, 0.75, 0.5]) - lo) / span)


def test_blocks_carry_integer_user_ids_and_missing_users_fail(tmp_path):
    ds = sapimouse.load(root=fake_sapimouse(tmp_path / "sapimouse", users=range(1, 4)),
                        verify=False)  # fmt: skip
    blocks = SapiMouse2021(train_users=[1, 2], eval_users=[3]).blocks(ds)
    assert sorted(set(blocks["user_id"])) == [1, 2, 3]
    assert (blocks["user_id"] == blocks["subject"].astype(int)).all()
    with pytest.raises(DataError, match=r"no blocks for users \[9, 10\]"):
        SapiMouse2021(train_users=[1, 2], eval_users=[3, 9, 10]).blocks(ds)  # a list, not a range


def test_authors_code_equal_first_scores_give_one_half():
    # the first genuine and impostor scores are equal: no range, every score becomes 0.5
    s = pd.DataFrame({"subject": "73", "probe_subject": ["73", "73", "74", "74"],
                      "label": [1, 1, 0, 0], "score": [1.0, 3.0, 1.0, 2.0], "order": [0, 1, 0, 1]})  # fmt: skip
    g, i = authors_code_scores(s, 1)
    assert g.tolist() == [0.5, 0.5] and i.tolist() == [0.5, 0.5]
