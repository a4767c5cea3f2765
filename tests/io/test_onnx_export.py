"""ONNX export: every supported layer kind checks and runs in onnxruntime like predict."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.io import export_onnx
from glassnet.keras import layers

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def randomize_batch_norm(model, rng):
    """Give BatchNormalization layers non-trivial statistics so the folding is tested."""
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            c = layer.moving_mean.shape
            layer.gamma.assign(rng.uniform(0.5, 1.5, c).astype("float32"))
            layer.beta.assign(rng.normal(size=c).astype("float32"))
            layer.moving_mean.assign(rng.normal(size=c).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, c).astype("float32"))


def assert_exports_like_predict(model, input_shapes, tmp_path):
    rng = np.random.default_rng(0)
    randomize_batch_norm(model, rng)
    xs = [rng.normal(size=(4, *shape)).astype("float32") for shape in input_shapes]
    path = tmp_path / "model.onnx"
    proto = export_onnx(model, path)
    onnx.checker.check_model(onnx.load(str(path)))
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(session.get_inputs(), xs)}
    got = session.run(None, feeds)
    want = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want) == len(proto.graph.output)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_allclose(g, w, atol=1e-5, rtol=1e-5)


def sequential(input_shape, *body):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input(input_shape), *body])


LAYER_CASES = {
    "dense": ((7,), [layers.Dense(5)]),
    "dense_relu": ((7,), [layers.Dense(5, activation="relu")]),
    "dense_softmax": ((7,), [layers.Dense(5, activation="softmax")]),
    "activation_sigmoid": ((7,), [layers.Activation("sigmoid")]),
    "activation_tanh": ((7,), [layers.Activation("tanh")]),
    "activation_elu": ((7,), [layers.Activation("elu")]),
    "activation_selu": ((7,), [layers.Activation("selu")]),
    "activation_softplus": ((7,), [layers.Activation("softplus")]),
    "activation_swish": ((7,), [layers.Activation("swish")]),
    "activation_leaky_relu": ((7,), [layers.Activation("leaky_relu")]),
    "activation_log_softmax": ((7,), [layers.Activation("log_softmax")]),
    "relu_layer": ((7,), [layers.ReLU()]),
    "leaky_relu_layer": ((7,), [layers.LeakyReLU(negative_slope=0.1)]),
    "elu_layer": ((7,), [layers.ELU(alpha=0.5)]),
    "softmax_layer": ((7,), [layers.Softmax()]),
    "dropout": ((7,), [layers.Dense(5), layers.Dropout(0.5)]),
    "batch_norm_dense": ((7,), [layers.BatchNormalization()]),
    "batch_norm_image": ((5, 6, 3), [layers.BatchNormalization()]),
    "flatten_channels_last": ((5, 6, 3), [layers.Flatten(), layers.Dense(4)]),
    "reshape": ((12,), [layers.Reshape((3, 4)), layers.Dense(2)]),
    "conv1d_valid": ((10, 3), [layers.Conv1D(4, 3)]),
    "conv1d_same_strided": ((10, 3), [layers.Conv1D(4, 3, strides=2, padding="same")]),
    "conv1d_causal_dilated": ((10, 3), [layers.Conv1D(4, 3, padding="causal",
                                                      dilation_rate=2)]),
    "conv2d_valid": ((9, 8, 3), [layers.Conv2D(4, 3, activation="relu")]),
    "conv2d_same_strided": ((9, 8, 3), [layers.Conv2D(4, (3, 2), strides=2,
                                                      padding="same")]),
    "conv2d_dilated": ((9, 8, 3), [layers.Conv2D(4, 3, dilation_rate=2)]),
    "conv2d_no_bias": ((9, 8, 3), [layers.Conv2D(4, 3, use_bias=False)]),
    "depthwise_conv2d": ((9, 8, 3), [layers.DepthwiseConv2D(3, depth_multiplier=2,
                                                            padding="same")]),
    "separable_conv2d": ((9, 8, 3), [layers.SeparableConv2D(5, 3, activation="relu")]),
    "max_pool1d": ((10, 3), [layers.MaxPooling1D(2)]),
    "avg_pool1d_same": ((9, 3), [layers.AveragePooling1D(2, padding="same")]),
    "max_pool2d": ((9, 8, 3), [layers.MaxPooling2D()]),
    "max_pool2d_same": ((9, 7, 3), [layers.MaxPooling2D(3, strides=2, padding="same")]),
    "avg_pool2d": ((8, 8, 3), [layers.AveragePooling2D()]),
    "avg_pool2d_same": ((9, 7, 3), [layers.AveragePooling2D(3, strides=2, padding="same")]),
    "global_avg_pool1d": ((10, 3), [layers.GlobalAveragePooling1D()]),
    "global_max_pool1d": ((10, 3), [layers.GlobalMaxPooling1D()]),
    "global_avg_pool2d": ((5, 6, 3), [layers.GlobalAveragePooling2D()]),
    "global_max_pool2d": ((5, 6, 3), [layers.GlobalMaxPooling2D()]),
    "global_avg_pool2d_keepdims": ((5, 6, 3), [layers.GlobalAveragePooling2D(keepdims=True)]),
}


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_each_layer_kind_matches_predict(case, tmp_path):
    shape, body = LAYER_CASES[case]
    assert_exports_like_predict(sequential(shape, *body), [shape], tmp_path)


def test_add_and_concatenate_functional(tmp_path):
    keras.utils.set_random_seed(0)
    a = keras.Input((6,))
    b = keras.Input((6,))
    added = layers.Add()([layers.Dense(4)(a), layers.Dense(4)(b)])
    joined = layers.Concatenate()([added, a])
    model = keras.Model([a, b], layers.Dense(3)(joined))
    assert_exports_like_predict(model, [(6,), (6,)], tmp_path)


def test_concatenate_image_channels_and_two_outputs(tmp_path):
    keras.utils.set_random_seed(0)
    x = keras.Input((6, 6, 2))
    left = layers.Conv2D(3, 3, padding="same")(x)
    right = layers.Conv2D(2, 1)(x)
    joined = layers.Concatenate(axis=-1)([left, right])
    pooled = layers.GlobalAveragePooling2D()(joined)
    model = keras.Model(x, [layers.Dense(2)(pooled), layers.Flatten()(joined)])
    assert_exports_like_predict(model, [(6, 6, 2)], tmp_path)


def test_example_mlp(tmp_path):
    model = sequential((28, 28), layers.Flatten(), layers.Dense(128, activation="relu"),
                       layers.Dropout(0.2), layers.Dense(10, activation="softmax"))
    assert_exports_like_predict(model, [(28, 28)], tmp_path)


def test_example_cnn_after_training(tmp_path):
    model = sequential((28, 28, 1),
                       layers.Conv2D(8, 3, activation="relu"), layers.BatchNormalization(),
                       layers.MaxPooling2D(), layers.Conv2D(16, 3, activation="relu"),
                       layers.MaxPooling2D(), layers.Flatten(), layers.Dropout(0.25),
                       layers.Dense(10, activation="softmax"))
    rng = np.random.default_rng(1)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "cnn.onnx"
    model.export(path, format="onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x[:8]})[0]
    np.testing.assert_allclose(got, model.predict(x[:8], verbose=0), atol=1e-5)


def test_unsupported_layers_are_listed_in_one_error(tmp_path):
    model = sequential((8, 8, 2), layers.UpSampling2D(), layers.Conv2DTranspose(2, 3),
                       layers.Flatten(), layers.Dense(2))
    with pytest.raises(ValueError, match="no ONNX export") as info:
        export_onnx(model, tmp_path / "x.onnx")
    message = str(info.value)
    assert "UpSampling2D" in message and "Conv2DTranspose" in message
    assert "Dense" not in message
    assert not (tmp_path / "x.onnx").exists()


def test_opset_is_recorded(tmp_path):
    model = sequential((3,), layers.Dense(2))
    proto = export_onnx(model, tmp_path / "m.onnx", opset=18)
    assert proto.opset_import[0].version == 18


def test_unknown_format_is_rejected(tmp_path):
    model = sequential((3,), layers.Dense(2))
    with pytest.raises(ValueError, match="format"):
        model.export(tmp_path / "m.x", format="tflite")


def test_model_without_input_shape_exports_once_built(tmp_path):
    model = keras.Sequential([layers.Dense(3, activation="relu"), layers.Dense(2)])
    with pytest.raises(ValueError, match="no input shape yet"):
        export_onnx(model, tmp_path / "m.onnx")
    model(np.zeros((1, 4), np.float32))  # built by its first call, as Keras
    assert_exports_like_predict(model, [(4,)], tmp_path)
