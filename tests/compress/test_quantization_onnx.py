"""The int8 model as an ONNX QDQ graph: its structure, onnxruntime's outputs against
glassnet's int8 model, and onnxruntime's own quantize_static of the float export."""

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.compress.quantization import quantize
from glassnet.compress.quantization.onnx_qdq import export_qdq, ort_quantize_static

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
L = keras.layers


@pytest.fixture(scope="module")
def digits_cnn():
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    y = data.target.astype("int64")
    glassnet.seed(0)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), L.Conv2D(8, 3, padding="same", activation="relu"),
        L.MaxPooling2D(2), L.Conv2D(16, 3, activation="relu"), L.Flatten(), L.Dropout(0.1),
        L.Dense(32, activation="relu"), L.Dense(10)], name="digits_cnn")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x[:1400], y[:1400], epochs=8, batch_size=32, verbose=0)
    return model, x[:1400], x[1400:], y[1400:]


def run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def test_qdq_graph_structure(digits_cnn, tmp_path):
    model, x_train, _, _ = digits_cnn
    int8 = quantize(model, x_train[:256])
    proto = export_qdq(int8, tmp_path / "int8.onnx")
    ops = [node.op_type for node in proto.graph.node]
    assert ops.count("Conv") == 2 and ops.count("Gemm") == 2
    for i, op in enumerate(ops):
        if op in ("Conv", "Gemm"):
            assert ops[i - 3:i] == ["DequantizeLinear"] * 3   # input, weight, bias
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    weights = [a for name, a in inits.items() if name.startswith("weight_") and
               "scale" not in name and "zero" not in name]
    assert len(weights) == 4 and all(w.dtype == np.int8 for w in weights)
    assert [a.dtype for name, a in inits.items() if name.startswith("bias_") and
            "scale" not in name] == [np.int32] * 4
    axes = [a.i for node in proto.graph.node for a in node.attribute if a.name == "axis"
            and node.op_type == "DequantizeLinear"]
    assert sorted(set(axes)) == [0, 1]                   # per-channel: Conv axis 0, Gemm 1
    kernels = [layer.kernel.numpy() for layer in model.layers if hasattr(layer, "kernel")]
    assert sum(w.nbytes for w in weights) * 4 == sum(k.nbytes for k in kernels)
    model.export(tmp_path / "float.onnx", format="onnx")
    # a model this small is half graph; the benchmark's are a quarter of the float file
    assert (tmp_path / "int8.onnx").stat().st_size < 0.6 * (tmp_path / "float.onnx").stat(
        ).st_size


def test_onnxruntime_runs_the_qdq_graph_like_glassnet(digits_cnn, tmp_path):
    model, x_train, x_test, _ = digits_cnn
    int8 = quantize(model, x_train[:256])
    export_qdq(int8, tmp_path / "int8.onnx")
    ours, theirs = int8.predict(x_test, verbose=0), run(tmp_path / "int8.onnx", x_test)
    step = float(int8.layers[-1].output_scale.data)
    # the same grids and integers; a rounding tie may land one output step apart
    assert np.abs(ours - theirs).max() <= 1.01 * step
    assert np.mean(np.abs(ours - theirs) < 1e-5) > 0.99
    assert (ours.argmax(1) == theirs.argmax(1)).mean() > 0.99


def test_onnxruntime_fuses_the_graph_into_integer_kernels(digits_cnn, tmp_path):
    model, x_train, _, _ = digits_cnn
    export_qdq(quantize(model, x_train[:256]), tmp_path / "int8.onnx")
    options = ort.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    options.log_severity_level = 3
    ort.InferenceSession(str(tmp_path / "int8.onnx"), options,
                         providers=["CPUExecutionProvider"])
    ops = [node.op_type for node in onnx.load(tmp_path / "optimized.onnx").graph.node]
    assert ops.count("QLinearConv") == 2 and ops.count("QGemm") == 2
    assert "Conv" not in ops and "Gemm" not in ops


def test_against_onnxruntime_quantize_static(digits_cnn, tmp_path):
    model, x_train, x_test, y_test = digits_cnn
    calibration = x_train[:256]
    int8 = quantize(model, calibration)
    export_qdq(int8, tmp_path / "ours.onnx")
    model.export(tmp_path / "float.onnx", format="onnx")
    ort_quantize_static(tmp_path / "float.onnx", tmp_path / "theirs.onnx", calibration)
    accuracy = {name: float((run(tmp_path / f"{name}.onnx", x_test).argmax(1) == y_test)
                            .mean()) for name in ("float", "ours", "theirs")}
    assert accuracy["float"] > 0.9
    assert abs(accuracy["ours"] - accuracy["theirs"]) <= 0.01
    assert accuracy["ours"] >= accuracy["float"] - 0.01
    theirs = run(tmp_path / "theirs.onnx", x_test)
    ours = run(tmp_path / "ours.onnx", x_test)
    assert np.abs(ours - theirs).max() < 0.1 * np.abs(ours).max()   # same recipe, same data


def test_export_qdq_rejects_what_it_cannot_write(digits_cnn, tmp_path):
    model = digits_cnn[0]
    with pytest.raises(TypeError, match="expected the Sequential that quantize"):
        export_qdq(model.layers[0], tmp_path / "x.onnx")
    int8 = quantize(model, digits_cnn[1][:64])
    with pytest.raises(ValueError, match="opset >= 13"):
        export_qdq(int8, tmp_path / "x.onnx", opset=11)


def test_export_qdq_refuses_a_float_model(tmp_path):
    from glassnet import keras
    from glassnet.compress import export_qdq

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="has no quantized layer; quantize it first"):
        export_qdq(model, tmp_path / "float.onnx")
