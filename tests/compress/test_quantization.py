"""int8 post-training quantization: the integer products against a float64 reference of the
same integer math, the grids, quantized layers against float, accuracy kept on a trained
model, the ONNX QDQ export in onnxruntime, save/load, bad input, and a user program."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.compress.quantization import (
    PercentileObserver,
    QuantizedConv2D,
    QuantizedDense,
    activation_qparams,
    int_matmul,
    load_quantized,
    quantize,
    quantize_activation,
    quantize_weights,
    weights_nbytes,
)
from glassnet.compress.quantization.int_gemm import exact_rows

L = keras.layers


# -- helpers ----------------------------------------------------------------------------

def digits():
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    x, y = x[order], data.target[order].astype("int64")
    return x[:1400], y[:1400], x[1400:], y[1400:]


def trained(kind, data, epochs=8):
    glassnet.seed(0)
    body = [L.Flatten(), L.Dense(64, activation="relu"), L.Dense(10)] if kind == "mlp" else [
        L.Conv2D(8, 3, padding="same", activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(16, 3, activation="relu"), L.Flatten(), L.Dense(10)]
    model = keras.Sequential([keras.Input((8, 8, 1)), *body], name=kind)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(data[0], data[1], epochs=epochs, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def data():
    return digits()


@pytest.fixture(scope="module")
def models(data):
    return {kind: trained(kind, data) for kind in ("mlp", "cnn")}


def accuracy(model, x, y):
    return float((model.predict(x, verbose=0).argmax(1) == y).mean())


def reference_dense(layer, x):
    """The integer math of QuantizedDense in int64 (exact), then its float32 steps."""
    s_x, z_x = layer.input_scale.data, int(layer.input_zero_point.data)
    q = quantize_activation(x, s_x, z_x).astype(np.int64)
    acc = (q - z_x) @ layer.kernel.data.astype(np.int64) + layer.bias.data
    return acc


# -- integer products ---------------------------------------------------------------------

@pytest.mark.parametrize("method", ["float32", "float64", "int32"])
@pytest.mark.parametrize("k", [1, 37, 518, 1600])
def test_int_matmul_is_exact_against_float64_reference(method, k):
    rng = np.random.default_rng(k)
    a = rng.integers(0, 256, size=(19, k)).astype(np.uint8)
    w = rng.integers(-127, 128, size=(k, 7)).astype(np.int8)
    a[0], w[:, 0] = 255, 127   # the worst case: every term at its largest
    a[1], w[:, 1] = 0, -127
    zero_point = 3
    expected = (a.astype(np.float64) - zero_point) @ w.astype(np.float64)  # exact: < 2**53
    got = int_matmul(a, w, zero_point, method)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected.astype(np.int64))


def test_exact_rows_uses_the_weights_l1_norm():
    rng = np.random.default_rng(0)
    small = rng.integers(-30, 31, size=(784, 300))       # trained-like weights: one GEMM
    assert exact_rows(small) == [(0, 784)]
    worst = np.full((1600, 4), 127)
    rows = exact_rows(worst)
    assert len(rows) == 4 and rows[-1][1] == 1600         # ceil(1600 / 518) chunks
    assert all(255 * 127 * (hi - lo) <= 2 ** 24 for lo, hi in rows)


# -- grids --------------------------------------------------------------------------------

def test_weights_symmetric_per_channel():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(3, 3, 4, 6)).astype("float32")
    w[..., 2] = 0.0                                       # an all-zero channel
    q, scale = quantize_weights(w)
    assert q.dtype == np.int8 and scale.shape == (6,)
    amax = np.abs(w).reshape(-1, 6).max(0)
    np.testing.assert_allclose(scale[amax > 0], amax[amax > 0] / 127, rtol=1e-6)
    assert np.abs(q).max() == 127 and (q[..., 2] == 0).all()
    assert np.all(np.abs(q * scale - w) <= scale / 2 + 1e-7)
    _, per_tensor = quantize_weights(w, per_channel=False)
    assert np.all(per_tensor == per_tensor[0])


def test_activation_grid_holds_zero_and_rounds_to_half_a_step():
    scale, zero_point = activation_qparams(-0.7, 2.3)
    assert zero_point.dtype == np.uint8 and scale.dtype == np.float32
    x = np.linspace(-0.7, 2.3, 1001, dtype="float32")
    back = (quantize_activation(x, scale, zero_point).astype(np.float32) - zero_point) * scale
    assert np.abs(back - x).max() <= scale / 2 + 1e-6
    assert quantize_activation(np.float32(0), scale, zero_point) == zero_point
    assert activation_qparams(0.5, 3.0)[1] == 0           # the range is widened to hold 0
    assert activation_qparams(0.0, 0.0) == (1.0, 0)       # nothing observed to spread


# -- quantized layers ------------------------------------------------------------------------

def calibrated(model, x, **kwargs):
    return quantize(model, x, **kwargs)


@pytest.mark.parametrize("activation", [None, "relu", "softmax"])
def test_quantized_dense_is_the_integer_math_and_close_to_float(activation):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 700)).astype("float32")      # K = 700: chunked or one GEMM
    model = keras.Sequential([keras.Input((700,)), L.Dense(33, activation=activation)])
    q = calibrated(model, x, quantize_output=False)
    layer = q.layers[0]
    acc = reference_dense(layer, x)
    y = acc.astype(np.float32) * (layer.input_scale.data * layer.kernel_scale.data)
    y = model.layers[0].activation(glassnet.tensor(y)).numpy() if activation else y
    np.testing.assert_array_equal(q(x).numpy(), y)
    ref = model(x).numpy()
    assert np.linalg.norm(q(x).numpy() - ref) / np.linalg.norm(ref) < 0.02


@pytest.mark.parametrize("padding, strides, dilation", [("same", 1, 1), ("valid", 2, 1),
                                                        ("same", 2, 2), ("valid", 1, 2)])
def test_quantized_conv2d_matches_its_integer_math_and_float(padding, strides, dilation):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 11, 10, 3)).astype("float32") + 0.5   # nonzero zero point
    model = keras.Sequential([keras.Input((11, 10, 3)), L.Conv2D(
        5, 3, strides=strides, padding=padding, dilation_rate=dilation, activation="relu")])
    ints = {m: calibrated(model, x, method=m)(x).numpy() for m in ("float32", "int32",
                                                                   "float64")}
    np.testing.assert_array_equal(ints["float32"], ints["int32"])
    np.testing.assert_array_equal(ints["float64"], ints["int32"])
    ref = model(x).numpy()
    assert ints["int32"].shape == ref.shape
    assert np.linalg.norm(ints["float32"] - ref) / np.linalg.norm(ref) < 0.03
    assert int(calibrated(model, x).layers[0].input_zero_point.data) > 0


def test_conv_pads_with_the_zero_point():
    """An all-zero input through "same" padding: every window reads real zeros, inside or
    outside the image, so the output is the bias everywhere."""
    model = keras.Sequential([keras.Input((5, 5, 2)), L.Conv2D(3, 3, padding="same")])
    model.layers[0].bias.assign(np.array([0.5, -0.25, 1.0], "float32"))
    x = np.random.default_rng(4).uniform(-1, 1, size=(8, 5, 5, 2)).astype("float32")
    q = calibrated(model, x, quantize_output=False)
    out = q(np.zeros((1, 5, 5, 2), "float32")).numpy()
    np.testing.assert_allclose(out, np.broadcast_to([0.5, -0.25, 1.0], out.shape), atol=2e-3)


# -- whole models -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_ptq_keeps_accuracy_and_shrinks_weights(kind, models, data):
    model = models[kind]
    q = quantize(model, data[0][:256])
    float_acc, int8_acc = accuracy(model, *data[2:]), accuracy(q, *data[2:])
    assert float_acc > 0.85
    assert int8_acc >= float_acc - 0.01
    assert weights_nbytes(model) / weights_nbytes(q) > 3.5
    quantized = [type(layer).__name__ for layer in q.layers]
    assert quantized == [f"Quantized{type(layer).__name__}" if isinstance(
        layer, (L.Dense, L.Conv2D)) else type(layer).__name__ for layer in model.layers]
    np.testing.assert_array_equal(q.predict(data[2], verbose=0), q(data[2]).numpy())


def test_percentile_observer_and_batches_as_calibration(models, data):
    model = models["mlp"]
    batches = [(data[0][i:i + 64], data[1][i:i + 64]) for i in range(0, 256, 64)]
    q = quantize(model, batches, observer="percentile", per_channel=False)
    assert accuracy(q, *data[2:]) >= accuracy(model, *data[2:]) - 0.02
    observer = PercentileObserver(percentile=99.0)
    observer.update(np.concatenate([np.zeros(990), np.full(10, 100.0)]))
    assert observer.range()[1] < 100.0                    # the outliers are cut


def test_evaluate_and_save_load_round_trip(models, data, tmp_path):
    q = quantize(models["cnn"], data[0][:128])
    q.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    loss, acc = q.evaluate(data[2], data[3], verbose=0)
    assert acc == pytest.approx(accuracy(q, *data[2:]))
    path = tmp_path / "int8.keras"
    q.save(path)
    again = load_quantized(path)
    assert again.layers[0].kernel.data.dtype == np.int8
    assert again.layers[0].bias.data.dtype == np.int32
    np.testing.assert_array_equal(again.predict(data[2], verbose=0),
                                  q.predict(data[2], verbose=0))


# -- bad input ------------------------------------------------------------------------------

def test_unsupported_layers_are_named():
    model = keras.Sequential([keras.Input((6, 4)), L.SimpleRNN(3, name="rnn"),
                              L.Dense(2, name="head")])
    with pytest.raises(ValueError, match=r"cannot be quantized: 'rnn' \(SimpleRNN\)"):
        quantize(model, np.zeros((4, 6, 4), "float32"))
    grouped = keras.Sequential([keras.Input((5, 5, 4)), L.Conv2D(4, 3, groups=2, name="g")])
    with pytest.raises(ValueError, match="'g' .*groups=2"):
        quantize(grouped, np.zeros((4, 5, 5, 4), "float32"))


def test_bad_calibration_data_and_arguments(models):
    model = models["mlp"]
    with pytest.raises(ValueError, match="calibration_data is empty"):
        quantize(model, np.zeros((0, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=r"shape \(8, 8\), the model expects \(8, 8, 1\)"):
        quantize(model, np.zeros((4, 8, 8), "float32"))
    bad = np.zeros((4, 8, 8, 1), "float32")
    bad[0, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        quantize(model, bad)
    with pytest.raises(ValueError, match="observer must be"):
        quantize(model, np.zeros((4, 8, 8, 1), "float32"), observer="median")
    with pytest.raises(TypeError, match="expected a Sequential"):
        quantize(L.Dense(3), np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match="method"):
        QuantizedDense(3, method="int4")
    q = quantize(model, np.ones((4, 8, 8, 1), "float32"))
    with pytest.raises(ValueError, match=r"expects data of shape \(None, 8, 8, 1\)"):
        q.predict(np.zeros((2, 9, 9, 1), "float32"), verbose=0)


def test_quantized_conv_rejects_wrong_channels():
    layer = QuantizedConv2D(4, 3)
    layer.build((None, 6, 6, 2))
    with pytest.raises(ValueError, match=r"expected input \(batch, height, width, 2\)"):
        layer(np.zeros((1, 6, 6, 3), "float32"))


# -- a user program -------------------------------------------------------------------------

def test_public_import_in_a_fresh_process(tmp_path):
    program = textwrap.dedent(f"""
        import numpy as np
        import onnxruntime as ort
        from glassnet import keras
        from glassnet.compress.quantization import quantize
        from glassnet.compress.quantization.onnx_qdq import export_qdq

        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((6, 6, 1)),
                                  keras.layers.Conv2D(4, 3, activation="relu"),
                                  keras.layers.Flatten(), keras.layers.Dense(3)])
        x = np.random.default_rng(0).random((32, 6, 6, 1)).astype("float32")
        int8 = quantize(model, x)
        export_qdq(int8, r"{tmp_path / 'm.onnx'}")
        session = ort.InferenceSession(r"{tmp_path / 'm.onnx'}",
                                       providers=["CPUExecutionProvider"])
        diff = np.abs(session.run(None, {{"input": x}})[0] - int8.predict(x, verbose=0))
        print("ok", int8.layers[0].kernel.numpy().dtype, diff.max() < 0.05)
    """)
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["ok", "int8", "True"]
