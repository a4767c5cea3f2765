"""Fake quantization (values and straight-through gradients against PyTorch's ops and
finite differences) and quantization-aware training: ranges, fit, convert, save/load."""

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.autograd import Tensor
from glassnet.compress.quantization import quantize
from glassnet.compress.quantization.fake_quant import (
    fake_quantize_per_channel,
    fake_quantize_per_tensor,
)
from glassnet.compress.quantization.observers import MovingAverageMinMaxObserver
from glassnet.compress.quantization.qat import QAT_CLASSES, QATDense, convert, quantize_aware

torch = pytest.importorskip("torch")
L = keras.layers


def inputs(shape, scale, seed):
    """Random values with exact rounding ties (k + 0.5) * scale and points far outside."""
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=300 * scale, size=shape).astype("float32")
    flat = x.reshape(-1)
    flat[:8] = (rng.integers(-20, 20, size=8) + 0.5) * np.float32(scale)
    flat[8:12] = [-1e4, 1e4, -1e3 * scale, 1e3 * scale]
    return x


def glassnet_fq(fn, x, upstream, *args):
    t = Tensor(x, requires_grad=True)
    y = fn(t, *args)
    y.backward(upstream)
    return y.numpy(), t.grad


@pytest.mark.parametrize("scale, zero_point, qmin, qmax", [
    (0.02, 0, -128, 127), (0.0173, 37, 0, 255), (0.5, 100, 0, 255), (1e-3, 0, -127, 127)])
def test_per_tensor_matches_torch(scale, zero_point, qmin, qmax):
    x = inputs((40, 33), scale, 0)
    upstream = np.random.default_rng(1).normal(size=x.shape).astype("float32")
    y, grad = glassnet_fq(fake_quantize_per_tensor, x, upstream, scale, zero_point, qmin, qmax)
    t = torch.tensor(x, requires_grad=True)
    ref = torch.fake_quantize_per_tensor_affine(t, scale, zero_point, qmin, qmax)
    ref.backward(torch.tensor(upstream))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, ref.detach().numpy())
    np.testing.assert_array_equal(grad, t.grad.numpy())


@pytest.mark.parametrize("axis, qmin, qmax", [(0, -127, 127), (3, -127, 127), (1, 0, 255)])
def test_per_channel_matches_torch(axis, qmin, qmax):
    x = inputs((5, 4, 3, 6), 0.01, 2)
    channels = x.shape[axis]
    rng = np.random.default_rng(3)
    scale = rng.uniform(0.005, 0.05, size=channels).astype("float32")
    zero_point = np.zeros(channels, np.int64) if qmin < 0 else rng.integers(0, 255, channels)
    upstream = rng.normal(size=x.shape).astype("float32")
    y, grad = glassnet_fq(fake_quantize_per_channel, x, upstream, scale, zero_point, axis,
                          qmin, qmax)
    t = torch.tensor(x, requires_grad=True)
    ref = torch.fake_quantize_per_channel_affine(
        t, torch.tensor(scale), torch.tensor(zero_point, dtype=torch.int32), axis, qmin, qmax)
    ref.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(y, ref.detach().numpy())
    np.testing.assert_array_equal(grad, t.grad.numpy())


def central_difference(f, x, eps=1e-7):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)).sum() / (2 * eps)
    return grad


def test_straight_through_gradient_against_finite_differences():
    """The rounding is flat between its jumps, so finite differences of the op itself are 0
    there, and the estimator's 1 is a choice: it is the derivative of the clipped identity
    clip(x, s (qmin - z), s (qmax - z)), checked here by central differences in float64.
    Outside the grid the op really is constant, and both are 0."""
    scale, zero_point, qmin, qmax = 0.1, 20, 0, 255
    lo, hi = scale * (qmin - zero_point), scale * (qmax - zero_point)
    rng = np.random.default_rng(4)
    inside = rng.uniform(lo + 0.01, hi - 0.01, size=30)
    inside = inside[np.abs(inside / scale - np.round(inside / scale) - 0.5) > 0.05]
    outside = np.concatenate([rng.uniform(lo - 5, lo - 0.2, 10), rng.uniform(hi + 0.2, hi + 5,
                                                                             10)])
    for x, fd_of in ((inside, lambda v: np.clip(v, lo, hi)),
                     (outside, lambda v: fake_quantize_per_tensor(
                         v, scale, zero_point, qmin, qmax).numpy())):
        _, grad = glassnet_fq(fake_quantize_per_tensor, x, np.ones_like(x), scale,
                              zero_point, qmin, qmax)
        np.testing.assert_allclose(grad, central_difference(fd_of, x), atol=1e-6)
    staircase = central_difference(lambda v: fake_quantize_per_tensor(
        v, scale, zero_point, qmin, qmax).numpy(), inside)
    np.testing.assert_array_equal(staircase, 0.0)


def test_fake_quantize_rejects_bad_grids():
    with pytest.raises(ValueError, match="quant_min < quant_max"):
        fake_quantize_per_tensor(np.ones(3), 0.1, 0, 10, 5)
    with pytest.raises(ValueError, match="scale must be positive"):
        fake_quantize_per_tensor(np.ones(3), 0.0, 0)
    with pytest.raises(ValueError, match=r"must have shape \(4,\)"):
        fake_quantize_per_channel(np.ones((2, 4)), np.ones(3), np.zeros(3), axis=1)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        fake_quantize_per_channel(np.ones((2, 4)), np.ones(4), np.zeros(4), axis=2)


# -- quantization-aware training ----------------------------------------------------------------

def test_moving_average_ranges_follow_training_batches_only():
    layer = QATDense(3, averaging_constant=0.25)
    first = np.linspace(-1, 2, 20, dtype="float32").reshape(5, 4)
    layer(first, training=True)
    np.testing.assert_allclose(layer.input_range.numpy(), [-1, 2, 1])
    layer(first * 3, training=True)
    np.testing.assert_allclose(layer.input_range.numpy(), [-1 + 0.25 * -2, 2 + 0.25 * 4, 2])
    layer(first * 10, training=False)                    # inference leaves them alone
    np.testing.assert_allclose(layer.input_range.numpy()[:2], [-1.5, 3.0])
    observer = MovingAverageMinMaxObserver(0.25)
    observer.update(first)
    observer.update(first * 3)
    assert observer.range() == pytest.approx((-1.5, 3.0))


def test_kernel_gradient_is_the_straight_through_one():
    """With every value inside its grid, d(sum(y * g))/dW = fq(x)^T g: the rounding of the
    weights and inputs is invisible to the gradient."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(16, 6)).astype("float32")
    layer = QATDense(4)
    layer(x, training=True)                              # ranges from this very batch
    g = rng.normal(size=(16, 4)).astype("float32")
    out = layer(x, training=False)
    out.backward(g)
    lo, hi = layer.input_range.numpy()[:2]
    scale = np.float32((hi - min(lo, 0)) / 255)
    zero_point = int(np.rint(-min(lo, 0) / scale))
    fq_x = fake_quantize_per_tensor(x, scale, zero_point).numpy()
    np.testing.assert_allclose(layer.kernel.grad, fq_x.T @ g, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad, g.sum(0), rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    return x[:1400], data.target[:1400].astype("int64"), x[1400:], data.target[1400:]


def small_cnn():
    return keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(8, 3, activation="relu"),
                             L.MaxPooling2D(2), L.Flatten(), L.Dense(24, activation="relu"),
                             L.Dense(10)], name="cnn")


def fit(model, data, epochs, lr):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model.fit(data[0], data[1], epochs=epochs, batch_size=32, verbose=0)


def accuracy(model, x, y):
    return float((model.predict(x, verbose=0).argmax(1) == y).mean())


def test_qat_fits_and_converts_to_the_int8_model(digits, tmp_path):
    glassnet.seed(0)
    model = small_cnn()
    fit(model, digits, 6, 3e-3)
    qat = quantize_aware(model)
    assert [type(layer).__name__ for layer in qat.layers] == [
        "QATConv2D", "MaxPooling2D", "Flatten", "QATDense", "QATDense"]
    np.testing.assert_array_equal(qat.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    history = fit(qat, digits, 2, 1e-3)
    assert np.isfinite(history.history["loss"]).all()
    assert qat.layers[0].input_range.numpy()[2] == 2 * -(-1400 // 32)   # batches seen
    int8 = convert(qat)
    qat_out, int8_out = qat.predict(digits[2], verbose=0), int8.predict(digits[2], verbose=0)
    step = float(int8.layers[-1].output_scale.data)
    # the same grids; the float32 sum of the QAT model and the int32 one (with its bias on
    # the accumulator's grid) may round to neighbouring output steps
    assert np.mean(np.abs(qat_out - int8_out) <= 1.01 * step) > 0.99
    assert (qat_out.argmax(1) == int8_out.argmax(1)).mean() > 0.98
    float_acc = accuracy(model, *digits[2:])
    assert accuracy(int8, *digits[2:]) >= float_acc - 0.02
    assert accuracy(int8, *digits[2:]) >= accuracy(quantize(model, digits[0][:256]),
                                                   *digits[2:]) - 0.02
    qat.save(tmp_path / "qat.keras")
    again = keras.models.load_model(tmp_path / "qat.keras", custom_objects=QAT_CLASSES)
    np.testing.assert_array_equal(again.layers[0].input_range.numpy(),
                                  qat.layers[0].input_range.numpy())
    np.testing.assert_allclose(again.predict(digits[2], verbose=0), qat_out, atol=1e-6)


def test_convert_needs_learnt_ranges():
    qat = quantize_aware(small_cnn())
    with pytest.raises(ValueError, match="no range was learnt yet"):
        convert(qat)
    with pytest.raises(ValueError, match="no QATDense or QATConv2D"):
        convert(small_cnn())
    with pytest.raises(TypeError, match="expected the Sequential"):
        convert(L.Dense(2))
    with pytest.raises(ValueError, match="averaging_constant must be in"):
        QATDense(3, averaging_constant=0.0)
