"""The TypeNet learning-rate sweep script runs end to end on tiny synthetic free text."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("lightning")

from incumbent.protocols.typenet_open_set import TypeNetOpenSet  # noqa: E402
from tests.test_open_set_protocol import synthetic_free_text  # noqa: E402

SCRIPT = Path(__file__).resolve().parent.parent / "experiments" / "typenet_lr_sweep.py"


def test_sweep_trains_one_model_per_rate_on_training_participants_only(tmp_path):
    spec = importlib.util.spec_from_file_location("typenet_lr_sweep", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    data = synthetic_free_text(n_subjects=14, sessions=15, keys=12)
    protocol = TypeNetOpenSet(n_train=10, n_eval=4, sequence_length=10)
    settings = {"batch_size": 8, "recurrent_dropout_group": 4, "val_fraction": 0.3,
                "val_every": 1, "val_patience": 3, "epochs": 2, "steps_per_epoch": 2,
                "accelerator": "cpu"}  # fmt: skip
    results = mod.sweep(data, protocol, [0.05, 0.001], settings, tmp_path)
    assert [r["lr"] for r in results] == [0.05, 0.001]
    for r in results:
        assert r["val_users"] == 3 and r["train_subjects"] == 7  # of the 10 training ones
        assert 0.0 <= r["best_val_eer"] <= 1.0 and r["learning_curve"]
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "curve_lr0.001.png",
        "curve_lr0.05.png",
    ]
