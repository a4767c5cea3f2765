"""TensorFlow Model Optimization's guides as their users write them, with only the imports
changed, in a fresh interpreter, on the real MNIST sample: pruning (the "Pruning in Keras"
example, gzipped .h5 sizes included) and post-training int8 quantization with an ONNX QDQ
export that onnxruntime runs."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "datasets" / "mnist10k.npz"

PRUNING_GUIDE = textwrap.dedent('''
    import os, sys, tempfile, zipfile
    import numpy as np
    from glassnet import keras
    import glassnet.compress as tfmot

    keras.utils.set_random_seed(0)
    with np.load(sys.argv[1]) as f:
        x, y = f["x"] / 255.0, f["y"]
    train_images, train_labels, test_images, test_labels = x[:8000], y[:8000], x[8000:], y[8000:]

    model = keras.Sequential([
        keras.layers.InputLayer(input_shape=(28, 28)),
        keras.layers.Reshape(target_shape=(28, 28, 1)),
        keras.layers.Conv2D(filters=12, kernel_size=(3, 3), activation="relu"),
        keras.layers.MaxPooling2D(pool_size=(2, 2)),
        keras.layers.Flatten(),
        keras.layers.Dense(10)])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(train_images, train_labels, epochs=2, validation_split=0.1, verbose=0)
    _, baseline_model_accuracy = model.evaluate(test_images, test_labels, verbose=0)
    _, keras_file = tempfile.mkstemp(".h5")
    keras.models.save_model(model, keras_file, include_optimizer=False)

    prune_low_magnitude = tfmot.sparsity.keras.prune_low_magnitude
    batch_size, epochs, validation_split = 128, 2, 0.1
    num_images = train_images.shape[0] * (1 - validation_split)
    end_step = np.ceil(num_images / batch_size).astype(np.int32) * epochs
    pruning_params = {"pruning_schedule": tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.50, final_sparsity=0.80, begin_step=0, end_step=end_step)}
    model_for_pruning = prune_low_magnitude(model, **pruning_params)
    model_for_pruning.compile(optimizer="adam",
                              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                              metrics=["accuracy"])
    model_for_pruning.summary()
    logdir = tempfile.mkdtemp()
    callbacks = [tfmot.sparsity.keras.UpdatePruningStep(),
                 tfmot.sparsity.keras.PruningSummaries(log_dir=logdir)]
    model_for_pruning.fit(train_images, train_labels, batch_size=batch_size, epochs=epochs,
                          validation_split=validation_split, callbacks=callbacks, verbose=0)
    _, model_for_pruning_accuracy = model_for_pruning.evaluate(test_images, test_labels,
                                                               verbose=0)
    model_for_export = tfmot.sparsity.keras.strip_pruning(model_for_pruning)
    _, pruned_keras_file = tempfile.mkstemp(".h5")
    keras.models.save_model(model_for_export, pruned_keras_file, include_optimizer=False)

    def get_gzipped_model_size(file):
        _, zipped_file = tempfile.mkstemp(".zip")
        with zipfile.ZipFile(zipped_file, "w", compression=zipfile.ZIP_DEFLATED) as f:
            f.write(file)
        return os.path.getsize(zipped_file)

    kernels = [w for w in model_for_export.get_weights() if w.ndim > 1]
    print("sparsity", [round(float((k == 0).mean()), 3) for k in kernels])
    print("accuracy", baseline_model_accuracy, model_for_pruning_accuracy)
    print("gzipped", get_gzipped_model_size(keras_file), get_gzipped_model_size(pruned_keras_file))
    reloaded = keras.models.load_model(pruned_keras_file)
    same = np.allclose(reloaded.predict(test_images[:64], verbose=0),
                       model_for_export.predict(test_images[:64], verbose=0), atol=1e-6)
    print("reloaded", same)
''')

QUANTIZATION_PROGRAM = textwrap.dedent('''
    import sys
    import numpy as np
    import onnxruntime as ort
    from glassnet import keras
    from glassnet.compress import export_qdq, quantize, weights_nbytes

    keras.utils.set_random_seed(0)
    with np.load(sys.argv[1]) as f:
        x, y = (f["x"] / 255.0).astype("float32")[..., None], f["y"]
    model = keras.Sequential([keras.Input((28, 28, 1)),
                              keras.layers.Conv2D(16, 3, activation="relu"),
                              keras.layers.MaxPooling2D(),
                              keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x[:8000], y[:8000], epochs=1, batch_size=64, verbose=0)
    int8 = quantize(model, x[:500])
    accuracy = lambda p: float((p.argmax(1) == y[8000:]).mean())
    print("float", accuracy(model.predict(x[8000:], verbose=0)))
    print("int8", accuracy(int8.predict(x[8000:], verbose=0)))
    print("bytes", weights_nbytes(model), weights_nbytes(int8))
    export_qdq(int8, "int8.onnx")
    session = ort.InferenceSession("int8.onnx", providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    print("onnxruntime", accuracy(session.run(None, {name: x[8000:]})[0]))
''')


def _run(program, tmp_path):
    if not MNIST.exists():
        pytest.skip("needs ../shared/datasets/mnist10k.npz")
    done = subprocess.run([sys.executable, "-c", program, str(MNIST)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return {line.split()[0]: line.split(None, 1)[1] for line in done.stdout.splitlines()
            if line and line.split()[0] in ("sparsity", "accuracy", "gzipped", "reloaded",
                                            "float", "int8", "bytes", "onnxruntime")}


@pytest.mark.slow
def test_the_tfmot_pruning_guide_runs_with_the_import_changed(tmp_path):
    pytest.importorskip("h5py")
    out = _run(PRUNING_GUIDE, tmp_path)
    print(out)
    # 80% of the conv kernel's 108 weights is 86.4: 86 are zeroed
    assert json.loads(out["sparsity"]) == pytest.approx([0.8, 0.8], abs=0.005)
    base, pruned = map(float, out["accuracy"].split())
    assert base > 0.85 and pruned > base - 0.02
    dense, sparse = map(int, out["gzipped"].split())
    assert sparse < dense / 2.5  # the .h5 holds raw arrays: the zeros compress away
    assert out["reloaded"] == "True"


@pytest.mark.slow
def test_post_training_int8_and_its_onnx_export(tmp_path):
    pytest.importorskip("onnxruntime")
    out = _run(QUANTIZATION_PROGRAM, tmp_path)
    print(out)
    assert float(out["int8"]) > float(out["float"]) - 0.01
    assert abs(float(out["onnxruntime"]) - float(out["int8"])) < 0.005
    dense, int8 = map(int, out["bytes"].split())
    assert int8 < dense / 3.5
