"""TypeNet validation users, early stopping on validation EER, learning curve (tiny data)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")

from incumbent.baselines import typenet_validation as tv  # noqa: E402
from incumbent.baselines.typenet import TypeNet  # noqa: E402

from tests.test_typenet import tiny  # noqa: E402


def test_split_holds_out_whole_users():
    subj = np.repeat(np.arange(10), 4)
    held = tv.split_users(subj, 0.3, seed=0)
    assert len(np.unique(subj[held])) == 3
    assert not set(subj[held]) & set(subj[~held])
    with pytest.raises(ValueError, match="val_fraction"):
        tv.split_users(subj, 0.01, seed=0)


def test_open_set_eer_is_zero_for_separated_users_and_half_for_noise():
    rng = np.random.default_rng(0)
    subj = np.repeat(np.arange(6), 10)
    centres = rng.normal(size=(6, 8)) * 10
    assert tv.open_set_eer(centres[subj] + rng.normal(size=(60, 8)) * 0.01, subj) == 0.0
    noise = tv.open_set_eer(rng.normal(size=(60, 8)), subj)
    assert 0.25 < noise < 0.75


def test_fit_with_validation_records_the_curve_and_stops_early(tmp_path, caplog):
    seqs, subj = tiny()
    est = TypeNet(sequence_length=10, batch_size=8, epochs=50, steps_per_epoch=2,
                  accelerator="cpu", progress=False, val_fraction=0.34, val_every=1,
                  val_patience=2)  # fmt: skip
    with caplog.at_level("INFO", logger="incumbent.baselines.typenet_validation"):
        est.fit(seqs, subj)
    info = est.training_info_
    assert info["val_users"] == 2 and info["train_subjects"] == 4
    curve = info["learning_curve"]
    assert curve and all(0.0 <= h["val_eer"] <= 1.0 for h in curve)
    assert all(np.isfinite(h["train_loss"]) for h in curve)  # mean loss since the last check
    assert info["best_val_eer"] == min(h["val_eer"] for h in curve)
    assert info["steps"] < 100  # patience 2 stopped it before 50 epochs x 2 steps
    # one log line per check, so a long run without a progress bar still shows its curve
    lines = [r.getMessage() for r in caplog.records if "validation EER" in r.getMessage()]
    assert len(lines) == len(curve)
    assert lines[-1].endswith("2/2 checks without a new best)")  # the patience rule stopped it
    png = tv.plot_learning_curve(curve, tmp_path / "curve.png", title="tiny")
    assert png.stat().st_size > 1000
