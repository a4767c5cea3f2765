"""TensorFlow functions called on keras.Input tensors become layers of the model, as in
tf.keras 2 (``model.add_loss(tf.reduce_mean(z))``), from a fresh interpreter."""

import subprocess
import sys
import textwrap

import numpy as np

import glassnet as tf


def test_tf_functions_on_keras_inputs_build_graph_layers():
    x = tf.keras.Input((3,))
    h = tf.keras.layers.Dense(3)(x)
    out = tf.nn.relu(tf.add(h, 1.0)) if hasattr(tf.nn, "relu") else tf.add(h, 1.0)
    model = tf.keras.Model(x, tf.reduce_sum(out, axis=-1))
    data = np.random.default_rng(0).normal(size=(4, 3)).astype("float32")
    dense = model.layers[1]
    expected = np.maximum(data @ dense.kernel.numpy() + dense.bias.numpy() + 1.0, 0).sum(-1)
    np.testing.assert_allclose(model.predict(data, verbose=0), expected, rtol=1e-5)
    assert float(tf.reduce_mean([1.0, 3.0])) == 2.0  # plain values: the function as it is


def test_add_loss_of_a_tf_reduction_trains_in_a_fresh_interpreter():
    program = textwrap.dedent("""
        import numpy as np
        import glassnet as tf

        x = tf.keras.Input((3,))
        h = tf.keras.layers.Dense(3)(x)
        model = tf.keras.Model(x, h)
        model.add_loss(tf.reduce_mean(tf.square(h)))
        model.compile("adam")
        losses = model.fit(np.ones((16, 3), "float32"), epochs=5, verbose=0).history["loss"]
        assert losses[-1] < losses[0], losses
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-3000:]
