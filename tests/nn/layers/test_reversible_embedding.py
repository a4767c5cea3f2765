"""ReversibleEmbedding: forward as Embedding, reverse as h @ E^T (tied) or h @ R, the soft
cap, gradients against torch, masks, functional use and saving."""

import numpy as np
import pytest
import torch

from glassnet import keras

IDS = np.array([[1, 2, 0], [3, 3, 4]])


@pytest.mark.parametrize("tie_weights", [True, False])
@pytest.mark.parametrize("cap", [None, 0.05])
def test_reverse_logits_and_gradients_match_torch(tie_weights, cap):
    layer = keras.layers.ReversibleEmbedding(6, 4, tie_weights=tie_weights, logit_soft_cap=cap,
                                             embeddings_initializer="random_normal")
    h = layer(IDS)
    hidden = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    x = keras.ops.convert_to_tensor(hidden)
    x.requires_grad = True
    logits = layer(x, reverse=True)
    upstream = np.random.default_rng(1).normal(size=logits.shape).astype("float32")
    logits.backward(upstream)

    table = torch.tensor(layer.embeddings.numpy(), requires_grad=True)
    kernel = table.T if tie_weights else torch.tensor(layer.reverse_embeddings.numpy(),
                                                      requires_grad=True)
    tx = torch.tensor(hidden, requires_grad=True)
    expected = tx @ kernel
    if cap is not None:
        expected = torch.tanh(expected / cap) * cap
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(logits.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    weight = layer.embeddings if tie_weights else layer.reverse_embeddings
    theirs = table.grad if tie_weights else kernel.grad
    np.testing.assert_allclose(weight.grad, theirs.numpy(), rtol=1e-5, atol=1e-6)
    assert h.shape == (2, 3, 4)
    assert len(layer.weights) == (1 if tie_weights else 2)


def test_forward_mask_reverse_has_none_and_shapes():
    layer = keras.layers.ReversibleEmbedding(6, 4, mask_zero=True)
    h = layer(IDS)
    assert h._keras_mask.numpy().tolist() == [[True, True, False], [True, True, True]]
    logits = layer(h, reverse=True)
    assert getattr(logits, "_keras_mask", None) is None
    assert layer.compute_output_shape((None, 3, 4), reverse=True) == (None, 3, 6)
    with pytest.raises(ValueError, match="output_dim=4"):
        layer(np.ones((2, 3, 5), "float32"), reverse=True)
    with pytest.raises(ValueError, match="ids must be in"):
        layer(np.array([[7]]))


def test_tied_language_model_trains_saves_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)
    tokens = keras.Input((5,), dtype="int32")
    embed = keras.layers.ReversibleEmbedding(12, 8, logit_soft_cap=30.0)
    hidden = keras.layers.Dense(8, activation="tanh")(embed(tokens))
    model = keras.Model(tokens, embed(hidden, reverse=True))
    assert model.output_shape == (None, 5, 12)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 11, size=(32, 5))
    history = model.fit(x, x + 1, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "lm.keras")
    again = keras.models.load_model(tmp_path / "lm.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    config = embed.get_config()
    assert {"tie_weights": True, "reverse_dtype": None, "logit_soft_cap": 30.0}.items() \
        <= config.items()
    assert keras.layers.ReversibleEmbedding.from_config(config).get_config() == config
