"""keras.ops: Keras 3's names, argument names, defaults and output conventions, checked
against NumPy (the values Keras 3 gives were confirmed with it while writing these)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import keras
from glassnet.keras import ops

RNG = np.random.default_rng(0)
A = RNG.standard_normal((3, 4)).astype(np.float32)
B = RNG.standard_normal((3, 4)).astype(np.float32)
P = RNG.uniform(0.1, 2.0, (3, 4)).astype(np.float32)
V = np.array([3.0, 1.0, 2.0, 5.0], np.float32)
I = np.array([[0, 2, 1], [1, 1, 0]])

# (id, keras.ops call, NumPy reference)
SAME_AS_NUMPY = [
    ("add", lambda: ops.add(A, B), A + B),
    ("subtract", lambda: ops.subtract(A, 1.0), A - 1),
    ("multiply", lambda: ops.multiply(A, B), A * B),
    ("divide", lambda: ops.divide(A, P), A / P),
    ("true_divide_int", lambda: ops.true_divide(np.array([1, 2]), 2), [0.5, 1.0]),
    ("power", lambda: ops.power(P, 2.0), P ** 2),
    ("sqrt", lambda: ops.sqrt(P), np.sqrt(P)),
    ("rsqrt", lambda: ops.rsqrt(P), 1 / np.sqrt(P)),
    ("exp", lambda: ops.exp(A), np.exp(A)),
    ("log", lambda: ops.log(P), np.log(P)),
    ("sin", lambda: ops.sin(A), np.sin(A)),
    ("cos", lambda: ops.cos(A), np.cos(A)),
    ("tanh", lambda: ops.tanh(A), np.tanh(A)),
    ("arctan2", lambda: ops.arctan2(A, B), np.arctan2(A, B)),
    ("square", lambda: ops.square(A), A ** 2),
    ("abs", lambda: ops.abs(A), np.abs(A)),
    ("absolute", lambda: ops.absolute(A), np.abs(A)),
    ("negative", lambda: ops.negative(A), -A),
    ("floor", lambda: ops.floor(A), np.floor(A)),
    ("round", lambda: ops.round(A, 1), np.round(A, 1)),
    ("clip", lambda: ops.clip(A, x_min=-0.5, x_max=0.5), np.clip(A, -0.5, 0.5)),
    ("maximum", lambda: ops.maximum(A, 0.0), np.maximum(A, 0)),
    ("minimum", lambda: ops.minimum(A, B), np.minimum(A, B)),
    ("where", lambda: ops.where(A > 0, A, 0.0), np.where(A > 0, A, 0)),
    ("equal", lambda: ops.equal(I, 1), I == 1),
    ("not_equal", lambda: ops.not_equal(I, 1), I != 1),
    ("greater", lambda: ops.greater(A, B), A > B),
    ("logical_and", lambda: ops.logical_and(A > 0, B > 0), (A > 0) & (B > 0)),
    ("logical_not", lambda: ops.logical_not(A > 0), ~(A > 0)),
    ("sum", lambda: ops.sum(A, axis=1, keepdims=True), A.sum(1, keepdims=True)),
    ("mean", lambda: ops.mean(A, axis=0), A.mean(0)),
    ("mean_int", lambda: ops.mean(np.array([1, 2])), 1.5),
    ("max", lambda: ops.max(A, axis=1), A.max(1)),
    ("max_initial", lambda: ops.max(A, initial=5.0), 5.0),
    ("min", lambda: ops.min(A), A.min()),
    ("var", lambda: ops.var(A, axis=1), A.var(1)),
    ("std", lambda: ops.std(A), A.std()),
    ("prod", lambda: ops.prod(P, axis=0), P.prod(0)),
    ("any", lambda: ops.any(A > 1, axis=1), (A > 1).any(1)),
    ("all", lambda: ops.all(A > -5), True),
    ("argmax", lambda: ops.argmax(A, axis=1), A.argmax(1)),
    ("argmin", lambda: ops.argmin(A), A.argmin()),
    ("cumsum", lambda: ops.cumsum(A, axis=1), np.cumsum(A, 1)),
    ("cumprod", lambda: ops.cumprod(P), np.cumprod(P)),
    ("logsumexp", lambda: ops.logsumexp(A, axis=1),
     np.log(np.exp(A).sum(1))),
    ("reshape", lambda: ops.reshape(A, newshape=(2, 6)), A.reshape(2, 6)),
    ("transpose", lambda: ops.transpose(A), A.T),
    ("expand_dims", lambda: ops.expand_dims(A, 0), A[None]),
    ("expand_dims_tuple", lambda: ops.expand_dims(V, (0, 2)), V[None, :, None]),
    ("squeeze", lambda: ops.squeeze(A[None]), A),
    ("concatenate", lambda: ops.concatenate([A, B], axis=1), np.concatenate([A, B], 1)),
    ("stack", lambda: ops.stack([A, B], axis=1), np.stack([A, B], 1)),
    ("broadcast_to", lambda: ops.broadcast_to(V, (2, 4)), np.broadcast_to(V, (2, 4))),
    ("tile", lambda: ops.tile(V, (2, 1)), np.tile(V, (2, 1))),
    ("repeat", lambda: ops.repeat(V, 2), np.repeat(V, 2)),
    ("pad", lambda: ops.pad(A, ((1, 0), (0, 2))), np.pad(A, ((1, 0), (0, 2)))),
    ("pad_value", lambda: ops.pad(A, 1, constant_values=7.0), np.pad(A, 1, constant_values=7)),
    ("pad_reflect", lambda: ops.pad(A, 1, mode="reflect"), np.pad(A, 1, mode="reflect")),
    ("take", lambda: ops.take(A, [2, 0], axis=1), A[:, [2, 0]]),
    ("take_along_axis", lambda: ops.take_along_axis(A[:2, :3], I, axis=1),
     np.take_along_axis(A[:2, :3], I, 1)),
    ("tril", lambda: ops.tril(A), np.tril(A)),
    ("triu", lambda: ops.triu(A, 1), np.triu(A, 1)),
    ("flip", lambda: ops.flip(A, axis=1), A[:, ::-1]),
    ("roll", lambda: ops.roll(V, 1), np.roll(V, 1)),
    ("swapaxes", lambda: ops.swapaxes(A, 0, 1), A.T),
    ("moveaxis", lambda: ops.moveaxis(A[None], 0, 2), np.moveaxis(A[None], 0, 2)),
    ("matmul", lambda: ops.matmul(A, B.T), A @ B.T),
    ("einsum", lambda: ops.einsum("ij,kj->ik", A, B), A @ B.T),
    ("tensordot", lambda: ops.tensordot(A, B, axes=2), np.tensordot(A, B, 2)),
    ("outer", lambda: ops.outer(V, V), np.outer(V, V)),
    ("dot", lambda: ops.dot(A, B.T), A @ B.T),
    ("sort", lambda: ops.sort(A), np.sort(A)),
    ("argsort", lambda: ops.argsort(V), np.argsort(V)),
    ("arange", lambda: ops.arange(1, 7, 2), np.arange(1, 7, 2)),
    ("arange_float", lambda: ops.arange(0.0, 1.0, 0.25), np.arange(0, 1, 0.25)),
    ("zeros", lambda: ops.zeros((2, 3)), np.zeros((2, 3))),
    ("ones", lambda: ops.ones((2,)), np.ones(2)),
    ("ones_like", lambda: ops.ones_like(A), np.ones_like(A)),
    ("zeros_like", lambda: ops.zeros_like(I), np.zeros_like(I)),
    ("full", lambda: ops.full((2,), 3.0), [3.0, 3.0]),
    ("eye", lambda: ops.eye(2, 3, k=1), np.eye(2, 3, 1)),
    ("linspace", lambda: ops.linspace(0, 1, 5), np.linspace(0, 1, 5)),
    ("one_hot", lambda: ops.one_hot(np.array([0, 2]), 3), np.eye(3)[[0, 2]]),
    ("softmax", lambda: ops.softmax(A), np.exp(A) / np.exp(A).sum(-1, keepdims=True)),
    ("sigmoid", lambda: ops.sigmoid(A), 1 / (1 + np.exp(-A))),
    ("relu", lambda: ops.relu(A), np.maximum(A, 0)),
    ("gelu_tanh_default", lambda: ops.gelu(A),
     0.5 * A * (1 + np.tanh(np.sqrt(2 / np.pi) * (A + 0.044715 * A ** 3)))),
    ("leaky_relu", lambda: ops.leaky_relu(A), np.where(A > 0, A, 0.2 * A)),
    ("hard_tanh", lambda: ops.hard_tanh(A * 3), np.clip(A * 3, -1, 1)),
    ("slice", lambda: ops.slice(A, (1, 1), (2, 2)), A[1:3, 1:3]),
    ("slice_update", lambda: ops.slice_update(A, (1, 2), np.zeros((2, 2), np.float32)),
     np.concatenate([A[:1], np.concatenate([A[1:, :2], np.zeros((2, 2))], 1)], 0)),
    ("ravel", lambda: ops.ravel(A), A.ravel()),
    ("diff", lambda: ops.diff(V), np.diff(V)),
    ("trace", lambda: ops.trace(A), np.trace(A)),
    ("average", lambda: ops.average(A, axis=1, weights=V), np.average(A, 1, V)),
    ("nan_to_num", lambda: ops.nan_to_num(np.array([np.nan, 1.0])), [0.0, 1.0]),
    ("cbrt", lambda: ops.cbrt(V), np.cbrt(V)),
    ("hstack", lambda: ops.hstack([A, B]), np.hstack([A, B])),
    ("vstack", lambda: ops.vstack([A, B]), np.vstack([A, B])),
    ("rot90", lambda: ops.rot90(A), np.rot90(A)),
    ("norm", lambda: ops.norm(A), np.linalg.norm(A)),
    ("det", lambda: ops.det(A[:3, :3]), np.linalg.det(A[:3, :3])),
    ("inv", lambda: ops.inv(A[:3, :3] + 3 * np.eye(3)), np.linalg.inv(A[:3, :3] + 3 * np.eye(3))),
    ("erf", lambda: ops.erf(np.array([0.5])), [0.5204998778]),
    ("median", lambda: ops.median(V), np.median(V)),
    ("quantile", lambda: ops.quantile(V, 0.25), np.quantile(V, 0.25)),
    ("percentile", lambda: ops.percentile(V, 25.0), np.percentile(V, 25)),
    ("image.crop", lambda: ops.image.crop_images(A[None, :, :, None], 1, 1, 0, 1)[0, :, :, 0],
     A[1:, 1:3]),
]


@pytest.mark.parametrize("name,call,expected", SAME_AS_NUMPY, ids=[c[0] for c in SAME_AS_NUMPY])
def test_matches_numpy(name, call, expected):
    out = call()
    assert isinstance(out, gn.Tensor)
    np.testing.assert_allclose(ops.convert_to_numpy(out), np.asarray(expected), rtol=1e-5,
                               atol=1e-6)


def test_output_conventions():
    assert ops.shape(A) == (3, 4) and isinstance(ops.shape(ops.zeros((1, 2))), tuple)
    values, indices = ops.top_k(V, k=2)
    assert values.tolist() == [5.0, 3.0] and indices.tolist() == [3, 0]
    parts = ops.split(ops.arange(6), [2, 4])
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3], [4, 5]]
    assert isinstance(ops.convert_to_numpy(ops.ones((2,))), np.ndarray)
    assert ops.convert_to_tensor([1.0, 2.0]).dtype == np.float32
    assert ops.convert_to_tensor([1, 2], dtype="float32").dtype == np.float32
    assert ops.cast(A, "int32").dtype == np.int32
    assert ops.dtype(A) == "float32" and ops.ndim(A) == 2 and ops.size(A).item() == 12
    assert ops.is_tensor(ops.ones(2)) and not ops.is_tensor(A)
    assert ops.mean(np.array([1, 2])).dtype == np.float32
    # each top-level namespace is also a submodule, as in Keras 3
    assert ops.numpy.matmul is ops.matmul and ops.nn.softmax is ops.softmax
    assert ops.linalg.qr is ops.qr and ops.image.resize is not None
    q, r = ops.linalg.qr(A)
    np.testing.assert_allclose((q @ r).numpy(), A, atol=1e-5)


def test_control_flow_runs_eagerly():
    assert ops.cond(True, lambda: 1, lambda: 2) == 1
    assert ops.cond(ops.convert_to_tensor(False), lambda: 1, lambda: 2) == 2
    assert ops.while_loop(lambda i: i < 3, lambda i: i + 1, 0) == 3
    assert ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s + i), (0, 0)) == (4, 6)
    assert ops.while_loop(lambda i: True, lambda i: i + 1, 0, maximum_iterations=5) == 5
    assert ops.fori_loop(0, 4, lambda i, v: v + i, 0) == 6
    carry, ys = ops.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(4.0))
    assert carry.item() == 6.0 and ys.tolist() == [0.0, 0.0, 2.0, 9.0]
    carry, ys = ops.scan(lambda c, x: (c + 1, None), 0, length=3)
    assert carry == 3 and ys is None
    assert ops.map(lambda r: ops.sum(r), A).shape == (3,)
    assert ops.switch(5, [lambda x: x + 1, lambda x: x * 10], 2) == 20


def test_stop_gradient_cuts_the_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = ops.sum(ops.square(x) + ops.stop_gradient(ops.square(x)))
    y.backward()
    assert x.grad.tolist() == [2.0, 4.0]
    assert ops.stop_gradient(x).requires_grad is False


def test_dot_product_attention_uses_keras_layout():
    q = RNG.standard_normal((2, 5, 3, 4)).astype(np.float32)  # (B, T, N, H)
    k = RNG.standard_normal((2, 6, 3, 4)).astype(np.float32)
    v = RNG.standard_normal((2, 6, 3, 4)).astype(np.float32)
    out = ops.dot_product_attention(q, k, v)
    logits = np.einsum("btnh,bsnh->bnts", q, k) / 2.0
    w = np.exp(logits - logits.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    np.testing.assert_allclose(out.numpy(), np.einsum("bnts,bsnh->btnh", w, v), atol=1e-5)
    causal = ops.dot_product_attention(q, q, q, is_causal=True)
    assert causal.shape == (2, 5, 3, 4)
    np.testing.assert_allclose(causal.numpy()[:, 0], q[:, 0], atol=1e-5)  # sees only itself


def test_losses_are_unreduced_as_keras():
    y = np.array([[0.0, 1.0], [1.0, 0.0]], np.float32)
    p = np.array([[0.2, 0.8], [0.6, 0.4]], np.float32)
    bce = ops.binary_crossentropy(y, p)
    assert bce.shape == (2, 2)
    np.testing.assert_allclose(bce.numpy(), -(y * np.log(p) + (1 - y) * np.log(1 - p)),
                               rtol=1e-5)
    cce = ops.categorical_crossentropy(y, p)
    np.testing.assert_allclose(cce.numpy(), -np.log([0.8, 0.6]), rtol=1e-5)
    scce = ops.sparse_categorical_crossentropy(np.array([1, 0]), np.log(p), from_logits=True)
    np.testing.assert_allclose(scce.numpy(), -np.log([0.8, 0.6]), rtol=1e-5)


def test_gradients_flow_through_a_layer_written_with_ops():
    class Scale(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="zeros")

        def call(self, x):
            h = ops.matmul(ops.convert_to_tensor(x), self.w)
            return ops.squeeze(ops.where(h > -100.0, h, 0.0), axis=-1)

    x = RNG.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5], np.float32)
    model = keras.Sequential([Scale()])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.01 * history.history["loss"][0]
    np.testing.assert_allclose(model.layers[0].w.numpy().ravel(), [1.0, -2.0, 0.5], atol=0.05)


@pytest.mark.parametrize("call,error,message", [
    (lambda: ops.slice(A, (0, 0), (4, 1)), ValueError, "slice: the block"),
    (lambda: ops.slice(A, (0,), (1,)), ValueError, "slice: start_indices and shape"),
    (lambda: ops.convert_to_tensor({"a": 1}), TypeError, "convert_to_tensor: expected"),
    (lambda: ops.cast(A, "nonsense"), TypeError, "cast: expected a dtype name"),
    (lambda: ops.pad(A, 1, mode="reflect", constant_values=1.0), ValueError,
     "pad: constant_values"),
    (lambda: ops.where(A > 0, A), ValueError, "where: give both x1 and x2"),
    (lambda: ops.max_pool(np.ones((2, 3)), 2), ValueError, "max_pool: glassnet supports 2-D"),
    (lambda: ops.binary_crossentropy(np.ones(2), np.ones(3)), ValueError,
     "binary_crossentropy: target and output"),
    (lambda: ops.scan(lambda c, x: (c, x), 0), ValueError, "scan: give xs"),
    (lambda: ops.unique(V, return_index=True), ValueError, "unique: supported"),
    (lambda: ops.scatter_update(A, [[0, 0]], [1.0], reduction="add"), ValueError,
     "scatter_update: only reduction=None"),
])
def test_bad_input_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dot_product_attention_combines_a_mask_with_is_causal():
    import torch

    rng = np.random.default_rng(0)
    q, k, v = (rng.normal(size=(1, 4, 2, 3)).astype("float32") for _ in range(3))
    mask = np.ones((1, 2, 4, 4), bool)
    mask[..., 1] = False
    out = ops.dot_product_attention(q, k, v, mask=mask, is_causal=True)
    both = torch.tensor(mask) & torch.tril(torch.ones(4, 4, dtype=torch.bool))
    ref = torch.nn.functional.scaled_dot_product_attention(
        *(torch.tensor(a).transpose(1, 2) for a in (q, k, v)), attn_mask=both).transpose(1, 2)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), atol=1e-6)
