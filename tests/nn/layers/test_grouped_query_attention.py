"""GroupQueryAttention against torch's scaled_dot_product_attention with enable_gqa (the same
projections in torch), its masks, weights, config and errors."""

import numpy as np
import pytest
import torch
from helpers import check_layer

from glassnet import keras

B, T, S, E, H, N, G = 2, 4, 3, 6, 2, 4, 2


class TorchGQA(torch.nn.Module):
    def __init__(self, causal=False):
        super().__init__()
        self.causal = causal
        shapes = [(E, N, H), (N, H), (E, G, H), (G, H), (E, G, H), (G, H), (N, H, E), (E,)]
        self.params = torch.nn.ParameterList([torch.nn.Parameter(torch.zeros(s))
                                              for s in shapes])

    def forward(self, query, value):
        wq, bq, wk, bk, wv, bv, wo, bo = self.params
        q = torch.einsum("bte,enh->bnth", query, wq) + bq[None, :, None]
        k = torch.einsum("bse,egh->bgsh", value, wk) + bk[None, :, None]
        v = torch.einsum("bse,egh->bgsh", value, wv) + bv[None, :, None]
        out = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=self.causal,
                                                               enable_gqa=True)
        return torch.einsum("bnth,nhe->bte", out, wo) + bo


def _weights(layer, module):
    pairs = []
    for ours, theirs in zip(layer.weights, module.params):
        with torch.no_grad():
            theirs.copy_(torch.tensor(ours.numpy()))
        pairs.append((ours, theirs, lambda g: g.numpy()))
    return pairs


def test_grouped_query_attention_matches_torch():
    check_layer(lambda: keras.layers.GroupQueryAttention(H, N, G), [(B, T, E), (B, S, E)],
                expected_output_shape=(B, T, E),
                expected_params=E * N * H + N * H + 2 * (E * G * H + G * H) + N * H * E + E,
                torch_module=TorchGQA(), torch_weights=_weights)


def test_causal_grouped_query_attention_matches_torch():
    layer = keras.layers.GroupQueryAttention(H, N, G)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(B, T, E)).astype("float32")
    ours = layer(x, x, use_causal_mask=True).numpy()
    module = TorchGQA(causal=True)
    _weights(layer, module)
    theirs = module(torch.tensor(x), torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_one_key_value_head_is_multi_query_and_all_heads_is_multi_head():
    x = np.random.default_rng(2).normal(size=(B, T, E)).astype("float32")
    gqa = keras.layers.GroupQueryAttention(H, N, N)
    mha = keras.layers.MultiHeadAttention(N, H)
    gqa(x, x), mha(x, x)
    mha.set_weights(gqa.get_weights())
    np.testing.assert_allclose(gqa(x, x).numpy(), mha(x, x).numpy(), rtol=1e-6)
    mqa = keras.layers.GroupQueryAttention(H, N, 1)
    mqa(x, x)
    assert mqa.key_dense.kernel.shape == (E, 1, H)
    # Keras's weights and parameter count for GroupQueryAttention(4, 4, 2) on 8 features
    layer = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
                                             num_key_value_heads=2)
    layer(np.ones((1, 3, 8), "float32"), np.ones((1, 3, 8), "float32"))
    assert layer.count_params() == 424 and layer.name.startswith("grouped_query_attention")


def test_config_round_trip_and_errors():
    layer = keras.layers.GroupQueryAttention(4, 4, 2, dropout=0.1, seed=3)
    config = layer.get_config()
    assert {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2}.items() \
        <= config.items()
    assert "num_heads" not in config and "key_dim" not in config
    assert keras.layers.GroupQueryAttention.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="divisible by `num_key_value_heads`"):
        keras.layers.GroupQueryAttention(4, 4, 3)
    with pytest.raises(ValueError, match="num_query_heads"):
        keras.layers.GroupQueryAttention(4, 0, 1)
    with pytest.raises(ValueError, match=r"\(batch, time, features\)"):
        x = np.ones((1, 2, 3, 8), "float32")
        keras.layers.GroupQueryAttention(4, 4, 2)(x, x)


def test_grouped_query_attention_in_a_functional_model_trains_and_saves(tmp_path):
    inputs = keras.Input((5, 8))
    x = keras.layers.GroupQueryAttention(4, 4, 2)(inputs, inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(x)))
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    data, target = rng.normal(size=(16, 5, 8)).astype("float32"), rng.normal(size=(16, 1))
    history = model.fit(data, target, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "gqa.keras")
    again = keras.models.load_model(tmp_path / "gqa.keras")
    np.testing.assert_allclose(again.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-6)


def test_grouped_query_attention_exports_to_onnx_like_predict(tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime

    from glassnet.io import export_onnx

    keras.utils.set_random_seed(0)
    inputs = keras.Input((5, 8))
    out = keras.layers.GroupQueryAttention(4, 4, 2)(inputs, inputs, use_causal_mask=True)
    model = keras.Model(inputs, out)
    path = tmp_path / "gqa.onnx"
    export_onnx(model, path)
    x = np.random.default_rng(3).normal(size=(3, 5, 8)).astype("float32")
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)
