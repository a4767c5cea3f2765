"""tf.nn through ``import glassnet as tf``: argument names, defaults, and the NHWC
convolution and pooling, against PyTorch."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's spelling
from helpers import check_op

import glassnet as tf

Z = (np.arange(24, dtype=np.float32).reshape(6, 4) / 7 - 1)


def test_activations_take_tf_arguments():
    t = torch.tensor(Z)
    pairs = [(tf.nn.softmax(Z), F.softmax(t, -1)), (tf.nn.log_softmax(Z, axis=0),
                                                     F.log_softmax(t, 0)),
             (tf.nn.leaky_relu(Z), F.leaky_relu(t, 0.2)),
             (tf.nn.leaky_relu(Z, alpha=0.1), F.leaky_relu(t, 0.1)),
             (tf.nn.gelu(Z), F.gelu(t)), (tf.nn.gelu(Z, approximate=True),
                                          F.gelu(t, approximate="tanh")),
             (tf.nn.silu(Z), F.silu(t)), (tf.nn.swish(Z, beta=2.0), t * torch.sigmoid(2 * t)),
             (tf.nn.relu6(Z * 10), F.relu6(t * 10)), (tf.nn.softplus(Z), F.softplus(t)),
             (tf.nn.softsign(Z), F.softsign(t)), (tf.nn.elu(Z), F.elu(t)),
             (tf.nn.selu(Z), F.selu(t))]
    for ours, ref in pairs:
        np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    assert tf.nn.leaky_relu(Z, negative_slope=0.5).numpy()[0, 0] == pytest.approx(-0.5)


def test_dropout_as_tf():
    x = tf.ones([1000])
    y = tf.nn.dropout(x, 0.25, seed=3)
    kept = y.numpy() != 0
    assert 0.6 < kept.mean() < 0.9
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75, rtol=1e-6)
    np.testing.assert_array_equal(tf.nn.dropout(x, 0.25, seed=3).numpy(), y.numpy())
    assert tf.nn.dropout(x, rate=0.5, training=False) is x


def test_losses_on_logits():
    labels = np.eye(4, dtype=np.float32)[[0, 1, 2, 3, 0, 1]]
    ce = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=Z)
    np.testing.assert_allclose(ce.numpy(), F.cross_entropy(torch.tensor(Z), torch.tensor(
        labels), reduction="none").numpy(), rtol=1e-5)
    sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 2, 3, 0, 1], logits=Z)
    np.testing.assert_allclose(sparse.numpy(), ce.numpy(), rtol=1e-5)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=Z)
    np.testing.assert_allclose(bce.numpy(), F.binary_cross_entropy_with_logits(
        torch.tensor(Z), torch.tensor(labels), reduction="none").numpy(), rtol=1e-5)
    check_op(lambda z, x: tf.nn.weighted_cross_entropy_with_logits(z, x, 2.0),
             lambda z, x: F.binary_cross_entropy_with_logits(
                 x, z, pos_weight=torch.tensor(2.0), reduction="none"),
             [(3, 4), (3, 4)], low=0.0, high=1.0)
    assert tf.nn.l2_loss([1.0, 2.0]).item() == 2.5


def test_moments_batch_normalization_bias_add_embedding():
    x = Z.reshape(2, 3, 4)
    mean, var = tf.nn.moments(x, axes=[0, 1])
    np.testing.assert_allclose(mean.numpy(), x.mean((0, 1)), rtol=1e-6)
    np.testing.assert_allclose(var.numpy(), x.var((0, 1)), rtol=1e-5)
    assert tf.nn.moments(x, [0], keepdims=True)[0].shape == (1, 3, 4)
    out = tf.nn.batch_normalization(Z, 0.1, 2.0, 0.5, 3.0, 1e-3)
    np.testing.assert_allclose(out.numpy(), 3 * (Z - 0.1) / np.sqrt(2.001) + 0.5, rtol=1e-5)
    bias = np.array([1.0, 2.0, 3.0, 4.0], np.float32)
    np.testing.assert_allclose(tf.nn.bias_add(Z, bias).numpy(), Z + bias)
    nchw = tf.nn.bias_add(np.zeros((1, 4, 2, 2)), bias, data_format="NCHW")
    assert nchw.numpy()[0, 3, 1, 1] == 4.0
    with pytest.raises(ValueError, match="does not match the channel axis"):
        tf.nn.bias_add(Z, [1.0, 2.0])
    rows = tf.nn.embedding_lookup(Z, [[0, 5], [2, 2]])
    np.testing.assert_array_equal(rows.numpy(), Z[[[0, 5], [2, 2]]])
    clipped = tf.nn.embedding_lookup(Z, [0], max_norm=0.5)
    assert np.linalg.norm(clipped.numpy()) == pytest.approx(0.5, rel=1e-5)
    assert tf.nn.top_k(Z, 2).indices.shape == (6, 2)
    assert tf.nn.compute_average_loss([1.0, 3.0], global_batch_size=4).item() == 1.0


IMG = (2, 5, 6, 3)


@pytest.mark.parametrize("strides,padding,dilations", [
    (1, "VALID", None), (2, "SAME", None), ([1, 1, 1, 1], "SAME", 2), (1, "same", [1, 2]),
])
def test_conv2d_is_nhwc_with_hwio_filters(strides, padding, dilations):
    s = strides if isinstance(strides, int) else strides[1]
    d = dilations if isinstance(dilations, (int, type(None))) else tuple(dilations)

    def ref(x, w):
        pad = "valid" if padding == "VALID" else "same"
        if pad == "same" and s > 1:  # torch has no strided "same": tf's pads for 5x6, 3x3, 2
            x = F.pad(x.permute(0, 3, 1, 2), (0, 1, 1, 1))
            return F.conv2d(x, w.permute(3, 2, 0, 1), stride=s).permute(0, 2, 3, 1)
        return F.conv2d(x.permute(0, 3, 1, 2), w.permute(3, 2, 0, 1), stride=s, padding=pad,
                        dilation=d or 1).permute(0, 2, 3, 1)
    check_op(lambda x, w: tf.nn.conv2d(x, w, strides, padding, dilations=dilations), ref,
             [IMG, (3, 3, 3, 2)], rtol=1e-4, atol=1e-4, fd_rtol=1e-4)


def test_conv2d_explicit_padding_and_depthwise():
    x = np.random.default_rng(0).standard_normal(IMG).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((3, 3, 3, 2)).astype(np.float32)
    ours = tf.nn.conv2d(x, w, 1, [[0, 0], [1, 0], [2, 1], [0, 0]])
    tx = F.pad(torch.tensor(x).permute(0, 3, 1, 2), (2, 1, 1, 0))
    ref = F.conv2d(tx, torch.tensor(w).permute(3, 2, 0, 1)).permute(0, 2, 3, 1)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)
    dw = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME")
    tw = torch.tensor(w).permute(2, 3, 0, 1).reshape(6, 1, 3, 3)  # channel c*M+m
    ref = F.conv2d(torch.tensor(x).permute(0, 3, 1, 2), tw, padding="same", groups=3)
    np.testing.assert_allclose(dw.numpy(), ref.permute(0, 2, 3, 1).numpy(), rtol=1e-4,
                               atol=1e-4)
    with pytest.raises(ValueError, match="1 for the batch and channel"):
        tf.nn.conv2d(x, w, [2, 1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="NHWC"):
        tf.nn.conv2d(x, w, 1, "SAME", data_format="NCHW")


def test_pooling():
    x = np.random.default_rng(2).standard_normal(IMG).astype(np.float32)
    ref = F.max_pool2d(torch.tensor(x).permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
    np.testing.assert_allclose(tf.nn.max_pool2d(x, 2, 2, "VALID").numpy(), ref.numpy())
    assert tf.nn.max_pool2d(x, 3, 2, "SAME").shape == (2, 3, 3, 3)
    avg = tf.nn.avg_pool2d(x, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    ref = F.avg_pool2d(torch.tensor(x).permute(0, 3, 1, 2), 2).permute(0, 2, 3, 1)
    np.testing.assert_allclose(avg.numpy(), ref.numpy(), rtol=1e-6)
    assert tf.nn.max_pool is tf.nn.max_pool2d


def test_conv1d_poisson_loss_and_regularization_scale():
    import glassnet as tf

    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 7, 3)).astype("float32")
    w = rng.normal(size=(3, 3, 4)).astype("float32")
    out = tf.nn.conv1d(x, w, 1, "VALID").numpy()
    expected = np.stack([np.einsum("bkc,kcf->bf", x[:, i:i + 3], w) for i in range(5)], 1)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    assert tf.nn.conv1d(x, w, 2, "SAME").shape == (2, 4, 4)
    z, c = np.array([0.0, 1.0, 3.0]), np.array([0.1, 0.5, 1.2])
    np.testing.assert_allclose(tf.nn.log_poisson_loss(z, c).numpy(), np.exp(c) - z * c,
                               rtol=1e-6)
    stirling = np.where(z > 1, z * np.log(np.maximum(z, 1)) - z
                        + 0.5 * np.log(2 * np.pi * np.maximum(z, 1)), 0)
    np.testing.assert_allclose(tf.nn.log_poisson_loss(z, c, compute_full_loss=True).numpy(),
                               np.exp(c) - z * c + stirling, rtol=1e-6)
    assert float(tf.nn.scale_regularization_loss([tf.constant(1.0), tf.constant(2.0)])) == 3.0
    with pytest.raises(ValueError, match="conv1d: expected input"):
        tf.nn.conv1d(x[0], w, 1, "SAME")
