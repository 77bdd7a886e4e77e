"""TypeNet smoke tests: tiny synthetic data, a few CPU steps."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("lightning")

from incumbent.baselines.typenet import TypeNet, features  # noqa: E402

from tests.test_open_set_protocol import synthetic_free_text  # noqa: E402


def tiny():
    ds = synthetic_free_text(n_subjects=6, sessions=15, keys=12)
    seqs = [{"press": r.press, "release": r.release, "keycode": r.keycode}
            for r in ds.frame.itertuples()]  # fmt: skip
    return seqs, ds.frame["subject"].to_numpy()


def test_features_pad_and_lengths():
    seqs, _ = tiny()
    X, n = features(seqs[:3], 30)
    assert X.shape == (3, 30, 5) and (n == 12).all() and not X[:, 12:].any()


@pytest.mark.parametrize("loss,rec", [("triplet", 0.2), ("contrastive", 0.0), ("softmax", 0.2)])
def test_trains_embeds_and_scores(loss, rec):
    seqs, subj = tiny()
    est = TypeNet(sequence_length=10, loss=loss, recurrent_dropout=rec, batch_size=8, epochs=1,
                  steps_per_epoch=3, accelerator="cpu", progress=False)  # fmt: skip
    est.fit(seqs, subj)
    assert est.training_info_["steps"] == 3
    assert est.training_info_["device"].startswith("cpu")
    assert est.training_info_["train_subjects"] == 6
    emb = est.transform(seqs[:15])
    assert emb.shape == (15, 128) and np.isfinite(emb).all()
    s = est.score_gallery(emb[:5], emb)
    assert s.shape == (15,) and (s <= 0).all()
    assert np.allclose(s[:5].max(), s.max())  # a gallery sample is its own nearest query


def test_same_seed_same_embeddings():
    seqs, subj = tiny()
    kw = dict(sequence_length=10, batch_size=8, epochs=1, steps_per_epoch=2,
              accelerator="cpu", progress=False)  # fmt: skip
    a = TypeNet(random_state=1, **kw).fit(seqs, subj).transform(seqs[:4])
    b = TypeNet(random_state=1, **kw).fit(seqs, subj).transform(seqs[:4])
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_padding_does_not_change_embedding():
    seqs, subj = tiny()
    est = TypeNet(sequence_length=10, batch_size=8, epochs=1, steps_per_epoch=1,
                  accelerator="cpu", progress=False).fit(seqs, subj)  # fmt: skip
    short = [{k: v[:6] for k, v in seqs[0].items()}]
    alone = est.transform(short)
    padded = est.transform(short + seqs[1:2])  # padded to 12 inside the batch
    np.testing.assert_allclose(alone[0], padded[0], rtol=1e-4, atol=1e-5)


def test_grouped_recurrent_dropout_equals_dropping_the_hidden_state():
    """Folding a group's mask into W_hh (fused kernel) must equal dropping h before the
    recurrent product, step by step, as Keras' recurrent_dropout does."""
    import torch
    from incumbent.baselines.typenet_network import build_module

    H, group = 8, 3
    module = build_module(6, H, 0.0, 0.5, "triplet", 1.5, 1e-3, 2, recurrent_dropout_group=group)
    layer = module.lstm1.train()
    assert type(layer).__name__ == "GroupedDropoutLSTM"
    x = torch.rand(2 * group, 6, 5)
    mask = torch.ones(2 * group, 6, dtype=torch.bool)
    torch.manual_seed(1)
    seq, _ = layer(x, mask)
    torch.manual_seed(1)
    masks = [torch.bernoulli(torch.full((H,), 0.5)) / 0.5 for _ in range(2)]
    lstm = layer.lstm
    for k, drop in enumerate(masks):
        xs = x[k * group : (k + 1) * group]
        h = c = torch.zeros(group, H)
        for t in range(xs.shape[1]):
            gates = xs[:, t] @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0
            i, f, g, o = (gates + (h * drop) @ lstm.weight_hh_l0.T).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            assert torch.allclose(seq[k * group : (k + 1) * group, t], h, atol=1e-6)
    assert not torch.equal(masks[0], masks[1])  # each group draws its own mask


def test_grouped_recurrent_dropout_trains():
    seqs, subj = tiny()
    est = TypeNet(sequence_length=10, recurrent_dropout=0.2, recurrent_dropout_group=4,
                  batch_size=8, epochs=1, steps_per_epoch=2, accelerator="cpu", progress=False)  # fmt: skip
    emb = est.fit(seqs, subj).transform(seqs[:6])
    assert est.training_info_["steps"] == 2 and np.isfinite(emb).all()
