"""The seed MLP and CNN train on the GPU through the public API as a user writes it, reach the
CPU's accuracy, copy nothing back inside a step, and save, load and export to ONNX."""

import numpy as np
import pytest
import standin

import glassnet
from glassnet import backend, keras
from glassnet.datasets import fashion_mnist

L = keras.layers


def mlp(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((28, 28)), L.Flatten(),
                              L.Dense(128, activation="relu"), L.Dropout(0.2),
                              L.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(128, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def fashion():
    if fashion_mnist.find_files() is None:
        pytest.skip("Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)")
    (x, y), (x_test, y_test) = fashion_mnist.load_data()
    scale = np.float32(1 / 255)
    return (x * scale, y), (x_test * scale, y_test)


def _on_gpu(model):
    return all(backend.on_device(w.data) for w in model.weights)


def test_model_to_gpu_trains_there_and_matches_the_cpu(gpu, fashion):
    (x, y), (x_test, y_test) = fashion
    n = 3000
    cpu = mlp(seed=1)
    cpu.fit(x[:n], y[:n], epochs=2, batch_size=64, verbose=0)
    dev = mlp(seed=1).to("gpu")
    history = dev.fit(x[:n], y[:n], epochs=2, batch_size=64, verbose=0)
    assert _on_gpu(dev)
    assert all(isinstance(v, float) for v in history.history["loss"])
    cpu_acc = cpu.evaluate(x_test[:2000], y_test[:2000], verbose=0)[1]
    dev_acc = dev.evaluate(x_test[:2000], y_test[:2000], verbose=0)[1]
    assert dev_acc > 0.75
    # dropout draws other masks on a GPU: the same accuracy, not the same weights
    assert abs(dev_acc - cpu_acc) < 0.03, (dev_acc, cpu_acc)
    probs = dev.predict(x_test[:10], verbose=0)
    assert type(probs) is np.ndarray and probs.shape == (10, 10)


@pytest.mark.slow
def test_cnn_built_inside_a_device_block_reaches_the_cpu_accuracy(gpu, fashion):
    (x, y), (x_test, y_test) = fashion
    n = 2000
    x4, xt4 = x[:n, ..., None], x_test[:1000, ..., None]
    cpu = cnn(seed=0)
    cpu.fit(x4, y[:n], epochs=1, batch_size=32, verbose=0)
    with glassnet.device("gpu"):
        dev = cnn(seed=0)
        dev.fit(x4, y[:n], epochs=1, batch_size=32, verbose=0)
    assert _on_gpu(dev)
    cpu_acc = cpu.evaluate(xt4, y_test[:1000], verbose=0)[1]
    dev_acc = dev.evaluate(xt4, y_test[:1000], verbose=0)[1]
    assert dev_acc > 0.6 and abs(dev_acc - cpu_acc) < 0.02, (dev_acc, cpu_acc)


def test_a_step_copies_nothing_back(gpu):
    if gpu is not standin.module:
        pytest.skip("counts copies on the stand-in")
    rng = np.random.default_rng(0)
    x = rng.random((256, 20), dtype=np.float32)
    y = (x.sum(1) > 10).astype(np.int64)
    model = keras.Sequential([keras.Input((20,)), L.Dense(16, activation="relu"),
                              L.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.to("gpu")
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)  # builds the optimizer's state
    before = dict(standin.transfers)
    model.fit(x, y, epochs=3, batch_size=32, verbose=0)  # 8 batches an epoch
    to_host = standin.transfers["to_host"] - before["to_host"]
    to_device = standin.transfers["to_device"] - before["to_device"]
    assert to_host <= 3 * 2, f"{to_host} copies to the host in 24 steps (the logs: 2 an epoch)"
    # x and y of each batch, plus what fit's shape check on one sample copies (once a call)
    assert 3 * 8 * 2 <= to_device <= 3 * 8 * 2 + 2, f"{to_device} copies to the device"


def test_a_gpu_model_saves_loads_and_exports(gpu, tmp_path):
    rng = np.random.default_rng(1)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    model = cnn(seed=3).to("gpu")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    expected = model.predict(x[:8], verbose=0)
    path = tmp_path / "cnn.keras"
    model.save(path)
    loaded = keras.models.load_model(path)  # on the CPU
    assert not _on_gpu(loaded)
    np.testing.assert_allclose(loaded.predict(x[:8], verbose=0), expected, rtol=1e-5,
                               atol=1e-6)
    assert all(type(w) is np.ndarray for w in model.get_weights())
    if _has("h5py"):
        model.save_weights(tmp_path / "cnn.weights.h5")
        twin = cnn(seed=4)
        twin.load_weights(tmp_path / "cnn.weights.h5")
        np.testing.assert_allclose(twin.predict(x[:8], verbose=0), expected, rtol=1e-5,
                                   atol=1e-6)
    if _has("onnx") and _has("onnxruntime"):
        import onnxruntime

        onnx_path = tmp_path / "cnn.onnx"
        model.export(onnx_path, format="onnx")
        session = onnxruntime.InferenceSession(str(onnx_path))
        name = session.get_inputs()[0].name
        np.testing.assert_allclose(session.run(None, {name: x[:8]})[0], expected, rtol=1e-4,
                                   atol=1e-5)
    loaded.to("gpu")
    assert _on_gpu(loaded)
    np.testing.assert_allclose(loaded.predict(x[:8], verbose=0), expected, rtol=1e-5,
                               atol=1e-6)


def _has(module):
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def test_tf_device_places_and_falls_back_softly(gpu):
    import glassnet as tf

    with tf.device("/GPU:0"):
        t = tf.constant([1.0, 2.0])
    assert str(t.device) == "gpu:0"
    assert t.to("cpu").device == glassnet.Device("cpu")
    with tf.device("/CPU:0"):
        assert tf.constant([1.0]).device == glassnet.Device("cpu")


def test_bad_device_names_are_refused():
    with pytest.raises(ValueError, match="device: expected"):
        glassnet.device("tpu")
    with pytest.raises(TypeError, match="device: expected a name"):
        glassnet.device(3)
