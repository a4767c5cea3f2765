"""MultiHeadAttention: forward and every gradient against PyTorch (with each kind of mask),
the causal mask under dropout, masks carried by the inputs, higher ranks, options, functional
models and saving, and bad arguments."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_layer

import glassnet as gn
from glassnet import keras
from glassnet.nn.layers.attention import MultiHeadAttention
from glassnet.nn.layers.embedding import Embedding

RTOL = ATOL = 1e-4


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def randomize_biases(layer, seed=1):
    """Keras initialises biases to zero; random ones make the bias gradients count."""
    rng = np.random.default_rng(seed)
    layer.set_weights([w if "kernel" in p.name else rng.uniform(-1, 1, w.shape).astype(w.dtype)
                       for p, w in zip(layer.weights, layer.get_weights())])


# -- MultiHeadAttention against PyTorch ------------------------------------------------------

class KerasLayoutMHA(torch.nn.Module):
    """Keras's multi-head attention written in torch (einsum projections with Keras's weight
    shapes, F.scaled_dot_product_attention in between)."""

    def __init__(self, weights, mask=None, gate=False):
        super().__init__()
        self.w = torch.nn.ParameterList([torch.nn.Parameter(torch.tensor(w)) for w in weights])
        self.mask, self.gate = mask, gate

    def forward(self, query, value, key=None):
        key = value if key is None else key
        w = list(self.w)
        wq, bq, wk, bk = w[:4]
        if self.gate:
            wg, bg = w[4:6]
            w = w[:4] + w[6:]
        wv, bv, wo, bo = w[4:]
        q = torch.einsum("bte,enh->bnth", query, wq) + bq[:, None]
        k = torch.einsum("bse,enh->bnsh", key, wk) + bk[:, None]
        v = torch.einsum("bse,enh->bnsh", value, wv) + bv[:, None]
        mask = None if self.mask is None else torch.tensor(self.mask)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        if self.gate:
            o = o * torch.sigmoid(torch.einsum("bte,enh->bnth", query, wg) + bg[:, None])
        return torch.einsum("bnth,nhe->bte", o, wo) + bo


def keras_layout_weights(layer, module):
    randomize_biases(layer)
    with torch.no_grad():
        for p, w in zip(module.w, layer.get_weights()):
            p.copy_(torch.tensor(w))
    return [(ours, theirs, lambda g: g.numpy()) for ours, theirs in zip(layer.weights, module.w)]


@pytest.mark.parametrize("kwargs,shapes", [
    ({"num_heads": 2, "key_dim": 3, "value_dim": 4}, [(2, 4, 6), (2, 5, 7)]),
    ({"num_heads": 3, "key_dim": 2}, [(2, 4, 6), (2, 5, 7), (2, 5, 3)]),
    ({"num_heads": 2, "key_dim": 3, "use_gate": True}, [(2, 4, 6), (2, 4, 6)]),
])
def test_multi_head_attention_matches_torch(kwargs, shapes):
    n_weights = 10 if kwargs.get("use_gate") else 8
    module = KerasLayoutMHA([np.zeros(1, "float32")] * n_weights, gate="use_gate" in kwargs)

    def torch_weights(layer, m):
        m.w = torch.nn.ParameterList([torch.nn.Parameter(torch.tensor(w))
                                      for w in layer.get_weights()])
        return keras_layout_weights(layer, m)

    heads, key_dim = kwargs["num_heads"], kwargs["key_dim"]
    value_dim = kwargs.get("value_dim", key_dim)
    e, ev, ek = shapes[0][-1], shapes[1][-1], shapes[-1][-1]
    params = (e * heads * key_dim + heads * key_dim + ek * heads * key_dim + heads * key_dim
              + ev * heads * value_dim + heads * value_dim + heads * value_dim * e + e)
    if kwargs.get("use_gate"):
        params += e * heads * value_dim + heads * value_dim
    layer = check_layer(lambda: MultiHeadAttention(**kwargs), shapes,
                        expected_output_shape=shapes[0], expected_params=params,
                        torch_module=module, torch_weights=torch_weights, rtol=RTOL,
                        atol=ATOL)
    names = ["query", "key", *(["gate"] if kwargs.get("use_gate") else []), "value",
             "attention_output"]
    assert [sub.name for sub in layer.layers] == names
    assert [w.name for w in layer.weights] == ["kernel", "bias"] * len(names)
    assert layer.query_dense.kernel.shape == (e, heads, key_dim)
    assert layer.output_dense.kernel.shape == (heads, value_dim, e)


def to_torch_mha(layer, e):
    """torch.nn.MultiheadAttention holding ``layer``'s weights (key_dim * num_heads == E):
    in_proj (3E, E) stacks the transposed query, key and value kernels, each (E, N, H)
    flattened to (E, N * H)."""
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()
    mha = torch.nn.MultiheadAttention(e, layer.num_heads, batch_first=True)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate(
            [w.reshape(e, e).T for w in (wq, wk, wv)])))
        mha.in_proj_bias.copy_(torch.tensor(np.concatenate([b.reshape(e) for b in (bq, bk, bv)])))
        mha.out_proj.weight.copy_(torch.tensor(wo.reshape(e, e).T))
        mha.out_proj.bias.copy_(torch.tensor(bo))
    return mha


def mha_grads_from_torch(mha, e, heads):
    g = mha.in_proj_weight.grad.numpy()
    gb = mha.in_proj_bias.grad.numpy()
    out = []
    for i in range(3):
        out += [g[i * e:(i + 1) * e].T.reshape(e, heads, e // heads),
                gb[i * e:(i + 1) * e].reshape(heads, e // heads)]
    return out + [mha.out_proj.weight.grad.numpy().T.reshape(heads, e // heads, e),
                  mha.out_proj.bias.grad.numpy()]


@pytest.mark.parametrize("masks", ["padding", "attention_mask", "causal", "all"])
def test_multi_head_attention_matches_torch_multihead_attention_with_masks(masks):
    b, t, e, heads = 3, 6, 8, 2
    x, y = rand(b, t, e), rand(b, t, e, seed=1)
    value_mask = np.ones((b, t), bool)
    value_mask[0, 4:] = value_mask[2, 1:] = False
    attention_mask = np.random.default_rng(2).random((b, t, t)) > 0.3
    attention_mask[..., 0] = True  # every query keeps a key
    causal = np.tril(np.ones((t, t), bool))
    layer = MultiHeadAttention(heads, e // heads)
    layer(x, y)
    randomize_biases(layer)
    kwargs, allowed = {}, np.ones((b, t, t), bool)
    if masks in ("padding", "all"):
        kwargs["value_mask"] = value_mask
        allowed &= value_mask[:, None, :]
    if masks in ("attention_mask", "all"):
        kwargs["attention_mask"] = attention_mask
        allowed &= attention_mask
    if masks in ("causal", "all"):
        kwargs["use_causal_mask"] = True
        allowed &= causal

    xq, xv = gn.tensor(x, requires_grad=True), gn.tensor(y, requires_grad=True)
    out = layer(xq, xv, **kwargs)
    upstream = rand(*out.shape, seed=3)
    out.backward(upstream)

    mha = to_torch_mha(layer, e)
    tq, tv = (torch.tensor(a, requires_grad=True) for a in (x, y))
    # torch's masks say where attention is NOT allowed, one (T, S) per batch element and head
    torch_mask = torch.tensor(~np.repeat(allowed, heads, axis=0))
    tout = mha(tq, tv, tv, attn_mask=torch_mask, need_weights=False)[0]
    tout.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(xq.grad, tq.grad.numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(xv.grad, tv.grad.numpy(), rtol=RTOL, atol=ATOL)
    for p, g in zip(layer.weights, mha_grads_from_torch(mha, e, heads)):
        np.testing.assert_allclose(p.grad, g, rtol=RTOL, atol=ATOL)


def test_multi_head_attention_query_mask_rows_give_bias_only():
    x = rand(2, 5, 6)
    query_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = MultiHeadAttention(2, 3)
    layer(x, x)
    randomize_biases(layer)
    xt = gn.tensor(x, requires_grad=True)
    out, scores = layer(xt, xt, query_mask=query_mask, return_attention_scores=True)
    np.testing.assert_array_equal(scores.numpy()[0, :, 3:], 0)
    # a query with no key left attends to nothing: the output is the output bias alone
    np.testing.assert_allclose(out.numpy()[0, 3:], np.broadcast_to(
        layer.output_dense.bias.numpy(), (2, 6)), rtol=1e-6)
    assert out._keras_mask.numpy().tolist() == query_mask.tolist()
    assert getattr(scores, "_keras_mask", None) is None
    module = KerasLayoutMHA(layer.get_weights(), mask=query_mask[:, None, :, None])
    tx = torch.tensor(x, requires_grad=True)
    tout = module(tx, tx)
    up = rand(*out.shape, seed=4)
    out.backward(up)
    tout.backward(torch.tensor(up))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), rtol=RTOL, atol=ATOL)


# -- the causal mask with dropout and returned scores ----------------------------------------

def seeded_pair(**kwargs):
    """Two layers with the same weights and the same dropout seed."""
    x = rand(2, 6, 8)
    a, b = MultiHeadAttention(2, 4, seed=7, **kwargs), MultiHeadAttention(2, 4, seed=7, **kwargs)
    a(x, x)
    b(x, x)
    b.set_weights(a.get_weights())
    return a, b, x


def test_causal_mask_holds_with_dropout_and_returned_scores():
    layer, _, x = seeded_pair(dropout=0.5)
    out, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True,
                        training=True)
    p = scores.numpy()
    above = np.triu(np.ones((6, 6), bool), 1)
    assert (p[..., above] == 0).all()
    np.testing.assert_allclose(p.sum(-1), 1, rtol=1e-5)
    eval_out = layer(x, x, use_causal_mask=True, training=False)
    assert not np.allclose(out.numpy(), eval_out.numpy())  # dropout was on


@pytest.mark.parametrize("return_scores", [False, True])
def test_causal_outputs_do_not_see_later_steps_with_dropout(return_scores):
    layer, _, x = seeded_pair(dropout=0.3)
    for t in range(5):
        xt = gn.tensor(x, requires_grad=True)
        out = layer(xt, xt, use_causal_mask=True, training=True,
                    return_attention_scores=return_scores)
        out = out[0] if return_scores else out
        upstream = np.zeros(out.shape, "float32")
        upstream[:, t] = 1
        out.backward(upstream)
        assert (xt.grad[:, t + 1:] == 0).all()
        assert np.abs(xt.grad[:, :t + 1]).sum() > 0


def test_fused_and_composed_paths_agree_with_dropout():
    a, b, x = seeded_pair(dropout=0.4)
    xa, xb = gn.tensor(x, requires_grad=True), gn.tensor(x, requires_grad=True)
    mask = np.random.default_rng(0).random((2, 6, 6)) > 0.2
    fused = a(xa, xa, attention_mask=mask, training=True)
    composed, _ = b(xb, xb, attention_mask=mask, training=True, return_attention_scores=True)
    np.testing.assert_allclose(fused.numpy(), composed.numpy(), rtol=1e-5, atol=1e-6)
    up = rand(*fused.shape, seed=5)
    fused.backward(up)
    composed.backward(up)
    np.testing.assert_allclose(xa.grad, xb.grad, rtol=1e-4, atol=1e-5)
    for p, q in zip(a.weights, b.weights):
        np.testing.assert_allclose(p.grad, q.grad, rtol=1e-4, atol=1e-5)


# -- masks carried by the inputs, higher ranks, options --------------------------------------

def test_masks_carried_by_the_inputs_are_used():
    ids = np.array([[3, 4, 5, 0, 0], [1, 2, 3, 4, 5]])
    embedding = Embedding(10, 6, mask_zero=True)
    layer = MultiHeadAttention(2, 3)
    x = embedding(ids)
    out = layer(x, x)
    mask = ids != 0
    assert out._keras_mask.numpy().tolist() == mask.tolist()
    explicit = layer(x.numpy(), x.numpy(), query_mask=mask, value_mask=mask)
    np.testing.assert_allclose(out.numpy(), explicit.numpy(), rtol=1e-6)
    # padded steps do not change the real ones
    changed = x.numpy().copy()
    changed[0, 3:] = 5.0
    again = layer(changed, changed, query_mask=mask, value_mask=mask)
    np.testing.assert_allclose(again.numpy()[0, :3], out.numpy()[0, :3], rtol=1e-5)


def test_rank_4_inputs_attend_over_the_chosen_axes():
    x = rand(2, 3, 4, 6)
    flat = MultiHeadAttention(2, 3)
    flat(x[:, 0], x[:, 0])
    default = MultiHeadAttention(2, 3)
    out, scores = default(x, x, return_attention_scores=True)
    assert out.shape == (2, 3, 4, 6) and scores.shape == (2, 2, 3, 4, 3, 4)
    default.set_weights(flat.get_weights())
    seq = x.reshape(2, 12, 6)  # default axes: every position of the 3 x 4 grid attends to all
    np.testing.assert_allclose(default(x, x).numpy().reshape(2, 12, 6),
                               flat(seq, seq).numpy(), rtol=1e-5, atol=1e-6)
    rows = MultiHeadAttention(2, 3, attention_axes=(2,))
    out, scores = rows(x, x, return_attention_scores=True)
    assert scores.shape == (2, 3, 2, 4, 4)
    rows.set_weights(flat.get_weights())
    per_row = x.reshape(6, 4, 6)  # attention along axis 2 only: each row on its own
    np.testing.assert_allclose(rows(x, x).numpy().reshape(6, 4, 6),
                               flat(per_row, per_row).numpy(), rtol=1e-5, atol=1e-6)
    assert MultiHeadAttention(2, 3, attention_axes=-2)(x, x).shape == (2, 3, 4, 6)
    mask = np.random.default_rng(0).random((2, 3, 4, 4)) > 0.3
    mask[..., 0] = True
    _, scores = rows(x, x, attention_mask=mask, return_attention_scores=True)
    # a (B, 3, 4, 4) mask is read as (B, 3, 1, 4, 4): one per row, shared by the heads
    np.testing.assert_array_equal(scores.numpy()[np.broadcast_to(~mask[:, :, None],
                                                                 scores.shape)], 0)


def test_output_shape_sliding_window_and_config():
    q, v = rand(2, 5, 6), rand(2, 5, 8, seed=1)
    layer = MultiHeadAttention(2, 3, output_shape=(2, 5), dropout=0.1, seed=3)
    assert layer(q, v).shape == (2, 5, 2, 5)
    assert layer.output_dense.kernel.shape == (2, 3, 2, 5)
    assert layer.compute_output_shape((None, 5, 6), (None, 5, 8)) == (None, 5, 2, 5)
    config = layer.get_config()
    assert config["output_shape"] == (2, 5) and config["value_dim"] == 3
    assert MultiHeadAttention.from_config(config).get_config() == config
    window = MultiHeadAttention(2, 3, sliding_window=2)
    band = np.abs(np.arange(5)[:, None] - np.arange(5)[None, :]) < 2
    _, scores = window(q, q, return_attention_scores=True)
    np.testing.assert_array_equal(scores.numpy()[..., ~band], 0)


def test_regularizers_and_freezing_reach_the_projections():
    x = rand(2, 4, 6)
    layer = MultiHeadAttention(2, 3, kernel_regularizer="l2", bias_regularizer="l1",
                               activity_regularizer="l2")
    layer(x, x)
    assert len(layer.losses) == 8 + 4  # a penalty per weight, one per projection's output
    frozen = MultiHeadAttention(2, 3, trainable=False)
    frozen(x, x)
    assert frozen.trainable_weights == [] and len(frozen.non_trainable_weights) == 8
    layer.trainable = False
    assert layer.trainable_weights == []


def test_layer_in_a_functional_transformer_block_fits_and_saves(tmp_path):
    inputs = keras.Input((None,), dtype="int32")
    x = Embedding(50, 16, mask_zero=True)(inputs)
    attended = MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1)(x, x)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([x, attended]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 50, (64, 12))
    ids[:, 9:] = 0
    labels = rng.integers(0, 2, (64, 1)).astype("float32")
    history = model.fit(ids, labels, epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    padded = np.concatenate([ids[:4], np.zeros((4, 5), ids.dtype)], axis=1)
    np.testing.assert_allclose(model.predict(padded, verbose=0),
                               model.predict(ids[:4], verbose=0), rtol=1e-5)
    path = str(tmp_path / "block.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={
        "MultiHeadAttention": MultiHeadAttention, "Embedding": Embedding})
    np.testing.assert_allclose(loaded.predict(ids[:4], verbose=0),
                               model.predict(ids[:4], verbose=0), rtol=1e-6)


def test_functional_cross_attention_with_key_and_mask_inputs():
    q_in, v_in = keras.Input((4, 6)), keras.Input((5, 8))
    k_in, m_in = keras.Input((5, 3)), keras.Input((4, 5), dtype="bool")
    layer = MultiHeadAttention(2, 3)
    model = keras.Model([q_in, v_in, k_in, m_in], layer(q_in, v_in, k_in, attention_mask=m_in))
    q, v, k = rand(2, 4, 6), rand(2, 5, 8, seed=1), rand(2, 5, 3, seed=2)
    mask = np.random.default_rng(3).random((2, 4, 5)) > 0.4
    np.testing.assert_allclose(model.predict([q, v, k, mask], verbose=0),
                               layer(q, v, k, attention_mask=mask).numpy(), rtol=1e-5, atol=1e-6)
    # The scores are a second output of the node, unpacked as Keras's docstring does.
    layer = MultiHeadAttention(2, 3)
    out, scores = layer(q_in, v_in, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 2, 4, 5)
    scored = keras.Model([q_in, v_in], [out, scores])
    got_out, got_scores = scored.predict([q, v], verbose=0)
    eager_out, eager_scores = layer(q, v, return_attention_scores=True)
    np.testing.assert_allclose(got_out, eager_out.numpy(), rtol=1e-6)
    np.testing.assert_allclose(got_scores, eager_scores.numpy(), rtol=1e-6)


def test_a_causal_call_is_replayed_and_saved(tmp_path):
    x_in = keras.Input((6, 8))
    layer = MultiHeadAttention(2, 4)
    model = keras.Model(x_in, layer(x_in, x_in, use_causal_mask=True))
    x = rand(2, 6, 8)
    expected = layer(x, x, use_causal_mask=True).numpy()
    assert not np.allclose(expected, layer(x, x).numpy())
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    path = str(tmp_path / "causal.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={
        "MultiHeadAttention": MultiHeadAttention})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kwargs,message", [
    ({"num_heads": 0, "key_dim": 2}, "num_heads"),
    ({"num_heads": 2, "key_dim": 2.5}, "key_dim"),
    ({"num_heads": 2, "key_dim": 2, "value_dim": -1}, "value_dim"),
    ({"num_heads": 2, "key_dim": 2, "dropout": 1.5}, "dropout"),
    ({"num_heads": 2, "key_dim": 2, "output_shape": "wide"}, "output_shape"),
    ({"num_heads": 2, "key_dim": 2, "attention_axes": "time"}, "attention_axes"),
    ({"num_heads": 2, "key_dim": 2, "kernel_constraint": "non_neg"}, "kernel_constraint"),
    ({"num_heads": 2, "key_dim": 2, "flash_attention": True, "dropout": 0.1}, "flash"),
])
def test_multi_head_attention_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiHeadAttention(**kwargs)


def test_multi_head_attention_rejects_bad_calls():
    q, v = rand(2, 4, 6), rand(2, 5, 6)
    layer = MultiHeadAttention(2, 3)
    with pytest.raises(TypeError, match="value"):
        layer(q)
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(2, 3, attention_axes=(3,))(q, v)
    layer(q, v)
    with pytest.raises(ValueError, match="attention_mask"):
        layer(q, v, attention_mask=np.ones((2, 5, 4), bool))
    with pytest.raises(ValueError, match="value_mask"):
        layer(q, v, value_mask=np.ones((2, 4), bool))
    with pytest.raises(ValueError, match="6 features"):
        layer(rand(2, 4, 5), v)
    with pytest.raises(ValueError, match="key"):
        layer(q, v, rand(2, 3, 6))
    with pytest.raises(ValueError, match="list of inputs"):
        layer([q])
    with pytest.raises(ValueError, match="return_attention_scores"):
        layer(q, v, return_attention_scores="yes")
    with pytest.raises(ValueError, match="use_causal_mask"):
        MultiHeadAttention(2, 3)(rand(2, 3, 4, 6), rand(2, 3, 4, 6), use_causal_mask=True)
