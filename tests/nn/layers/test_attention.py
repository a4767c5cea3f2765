"""Attention (Luong) and AdditiveAttention (Bahdanau): forward and every gradient against
PyTorch, masks, causal masks with dropout, functional models and bad arguments."""

import numpy as np
import pytest
import torch
from helpers import check_layer

import glassnet as gn
from glassnet import keras
from glassnet.nn.layers.attention import AdditiveAttention, Attention
from glassnet.nn.layers.embedding import Embedding

RTOL = ATOL = 1e-4


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def torch_scores(kind, q, k, weights):
    if kind == "dot":
        s = q @ k.transpose(-1, -2)
        return s * weights[0] if weights else s
    pairs = q[..., :, None, :] + k[..., None, :, :]
    if kind == "concat":
        if len(weights) == 2:
            return weights[1] * torch.tanh(weights[0] * pairs).sum(-1)
        return weights[0] * torch.tanh(pairs).sum(-1)
    t = torch.tanh(pairs)
    return (t * weights[0] if weights else t).sum(-1)


class TorchAttention(torch.nn.Module):
    """Keras's Attention formula in torch: masked scores lowered by 1e9, softmax, @ value."""

    def __init__(self, kind, n_weights, value_mask=None, query_mask=None, causal=False):
        super().__init__()
        self.kind, self.value_mask, self.query_mask, self.causal = (kind, value_mask,
                                                                    query_mask, causal)
        self.w = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(1))
                                         for _ in range(n_weights)])

    def forward(self, query, value, key=None):
        key = value if key is None else key
        s = torch_scores(self.kind, query, key, list(self.w))
        allowed = torch.ones(s.shape, dtype=torch.bool)
        if self.value_mask is not None:
            allowed = allowed & torch.tensor(self.value_mask)[:, None, :]
        if self.causal:
            allowed = allowed & torch.tril(torch.ones(s.shape[-2:], dtype=torch.bool))
        s = torch.where(allowed, s, s - 1e9)
        out = torch.softmax(s, -1) @ value
        if self.query_mask is not None:
            out = out * torch.tensor(self.query_mask)[..., None]
        return out


def attention_torch_weights(layer, module):
    rng = np.random.default_rng(0)
    layer.set_weights([rng.uniform(0.5, 1.5, w.shape).astype("float32")
                       for w in layer.get_weights()])
    module.w = torch.nn.ParameterList([torch.nn.Parameter(torch.tensor(w))
                                       for w in layer.get_weights()])
    return [(ours, theirs, lambda g: g.numpy()) for ours, theirs in zip(layer.weights, module.w)]


@pytest.mark.parametrize("make,kind,names", [
    (lambda: Attention(), "dot", []),
    (lambda: Attention(use_scale=True), "dot", ["scale"]),
    (lambda: Attention(score_mode="concat"), "concat", ["concat_score_weight"]),
    (lambda: Attention(score_mode="concat", use_scale=True), "concat",
     ["scale", "concat_score_weight"]),
    (lambda: AdditiveAttention(), "additive", ["scale"]),
    (lambda: AdditiveAttention(use_scale=False), "additive", []),
])
@pytest.mark.parametrize("shapes", [[(2, 3, 4), (2, 5, 4)], [(2, 3, 4), (2, 5, 3), (2, 5, 4)]])
def test_attention_layers_match_torch(make, kind, names, shapes):
    layer = check_layer(make, shapes, expected_output_shape=(2, 3, shapes[1][-1]),
                        expected_params=(4 if kind == "additive" else 1) * len(names),
                        torch_module=TorchAttention(kind, len(names)),
                        torch_weights=attention_torch_weights, rtol=RTOL, atol=ATOL)
    assert [w.name for w in layer.weights] == names


@pytest.mark.parametrize("make,kind", [(lambda: Attention(use_scale=True), "dot"),
                                       (lambda: AdditiveAttention(), "additive")])
@pytest.mark.parametrize("causal", [False, True])
def test_attention_masks_match_torch(make, kind, causal):
    q, v = rand(2, 4, 3), rand(2, 5, 3, seed=1)
    query_mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    value_mask = np.array([[1, 1, 1, 1, 0], [0, 0, 0, 0, 0]], bool)  # a fully masked row
    layer = make()
    layer([q, v])
    module = TorchAttention(kind, 1, value_mask, query_mask, causal)
    pairs = attention_torch_weights(layer, module)
    tq, tv = gn.tensor(q, requires_grad=True), gn.tensor(v, requires_grad=True)
    out, weights = layer([tq, tv], mask=[query_mask, value_mask], use_causal_mask=causal,
                         return_attention_scores=True)
    up = rand(*out.shape, seed=2)
    out.backward(up)
    xq, xv = torch.tensor(q, requires_grad=True), torch.tensor(v, requires_grad=True)
    tout = module(xq, xv)
    tout.backward(torch.tensor(up))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(tq.grad, xq.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(tv.grad, xv.grad.numpy(), rtol=RTOL, atol=ATOL)
    for ours, theirs, convert in pairs:
        np.testing.assert_allclose(ours.grad, convert(theirs.grad), rtol=RTOL, atol=ATOL)
    assert out._keras_mask.numpy().tolist() == query_mask.tolist()
    assert getattr(weights, "_keras_mask", None) is None
    np.testing.assert_array_equal(out.numpy()[0, 3], 0)
    np.testing.assert_array_equal(weights.numpy()[0, :, 4], 0)


def test_attention_causal_with_dropout_and_input_masks():
    x = rand(2, 6, 4)
    layer = Attention(dropout=0.5, seed=3)
    _, weights = layer([x, x], use_causal_mask=True, return_attention_scores=True,
                       training=True)
    w = weights.numpy()
    assert (w[:, np.triu(np.ones((6, 6), bool), 1)] == 0).all()
    assert (w[:, np.tril(np.ones((6, 6), bool))] == 0).any()  # dropout zeroed some
    ids = np.array([[1, 2, 0, 0, 0, 0], [1, 2, 3, 4, 5, 6]])
    emb = Embedding(10, 4, mask_zero=True)(ids)
    out = Attention()([emb, emb])
    mask = ids != 0
    np.testing.assert_allclose(out.numpy(), Attention()([emb.numpy(), emb.numpy()],
                                                        mask=[mask, mask]).numpy(), rtol=1e-6)
    assert out._keras_mask.numpy().tolist() == mask.tolist()
    assert Attention().compute_mask([x, x], [mask, None]).tolist() == mask.tolist()
    assert Attention().compute_mask([x, x], None) is None


def test_attention_in_a_functional_model():
    q_in, v_in = keras.Input((3, 4)), keras.Input((5, 4))
    layer = AdditiveAttention()
    model = keras.Model([q_in, v_in], layer([q_in, v_in]))
    q, v = rand(2, 3, 4), rand(2, 5, 4, seed=1)
    np.testing.assert_allclose(model.predict([q, v], verbose=0), layer([q, v]).numpy(),
                               rtol=1e-6)
    assert AdditiveAttention.from_config(layer.get_config()).get_config() == layer.get_config()
    assert "score_mode" not in layer.get_config()
    with pytest.raises(ValueError, match="return_attention_scores"):
        layer([q_in, v_in], return_attention_scores=True)


def test_attention_causal_call_is_replayed():
    x_in = keras.Input((6, 8))
    x = rand(2, 6, 8)
    single = Attention()
    model = keras.Model(x_in, single([x_in, x_in], use_causal_mask=True))
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               single([x, x], use_causal_mask=True).numpy(), rtol=1e-6)


@pytest.mark.parametrize("call,message", [
    (lambda layer, x: layer(x), "list of inputs"),
    (lambda layer, x: layer([x]), "length 2 or 3"),
    (lambda layer, x: layer([x, x, x, x]), "length 2 or 3"),
    (lambda layer, x: layer([x, x], mask=np.ones((2, 3), bool)), "mask must be a list"),
    (lambda layer, x: layer([x, rand(2, 3, 5)]), "same last dimension"),
    (lambda layer, x: layer([x, x, rand(2, 4, 4)]), "number of steps"),
])
def test_attention_rejects_bad_calls(call, message):
    with pytest.raises(ValueError, match=message):
        call(Attention(), rand(2, 3, 4))


def test_attention_rejects_bad_arguments():
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="cosine")
    with pytest.raises(ValueError, match="dropout"):
        AdditiveAttention(dropout=-0.1)
    with pytest.raises(ValueError, match="use_scale"):
        Attention(use_scale="yes")
