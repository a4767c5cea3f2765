"""Tutorial code runs with only its import changed."""

import importlib
import inspect

import numpy as np
import pytest

import glassnet
import glassnet as tf
from glassnet import keras
from glassnet.keras.layers import Dense, Dropout, Flatten


def test_import_styles_reach_the_real_classes():
    assert tf.keras.Sequential is glassnet.train.Sequential
    assert tf.keras.layers.Dense is Dense is glassnet.nn.layers.Dense
    assert keras.Model is glassnet.train.Model and keras.Input is glassnet.nn.layers.Input
    assert keras.optimizers.Adam is glassnet.optim.Adam
    assert keras.optimizers.schedules.CosineDecay is glassnet.optim.schedules.CosineDecay
    assert keras.losses.MeanSquaredError is glassnet.losses.MeanSquaredError
    assert keras.metrics.Accuracy is glassnet.metrics.Accuracy
    assert keras.callbacks.EarlyStopping is glassnet.train.callbacks.EarlyStopping
    assert keras.initializers.he_normal is glassnet.nn.initializers.HeNormal
    assert keras.regularizers.l2 is glassnet.nn.regularizers.L2
    assert keras.activations.relu is inspect.unwrap(glassnet.relu)
    assert keras.models.load_model is glassnet.io.load_model
    from glassnet.keras.datasets import fashion_mnist, mnist
    from glassnet.keras.datasets.mnist import load_data
    assert mnist.load_data is load_data and callable(fashion_mnist.load_data)
    from glassnet.keras.utils import normalize, plot_model, set_random_seed, to_categorical
    assert all(callable(f) for f in (normalize, plot_model, set_random_seed, to_categorical))
    from glassnet.keras.preprocessing.sequence import pad_sequences
    assert pad_sequences is keras.utils.pad_sequences is glassnet.data.pad_sequences
    assert importlib.import_module("glassnet.keras.preprocessing")


def test_a_keras_tutorial_verbatim():
    # From a typical "first neural network" article; only `import tensorflow as tf` changed.
    x_train = np.random.default_rng(0).random((256, 28, 28))
    y_train = np.arange(256) % 10
    tf.keras.utils.set_random_seed(42)
    model = tf.keras.models.Sequential([
        tf.keras.layers.Flatten(input_shape=(28, 28)),
        tf.keras.layers.Dense(128, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(10),
    ])
    predictions = model(x_train[:1]).numpy()
    assert np.allclose(tf.nn.softmax(predictions).numpy().sum(), 1.0, atol=1e-6)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    assert loss_fn(y_train[:1], predictions).numpy() > 0
    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=2, verbose=0)
    assert len(model.evaluate(x_train, y_train, verbose=2)) == 2
    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    assert probability_model(x_train[:5]).shape == (5, 10)


def test_keras2_spellings():
    from glassnet.keras.optimizers import Adam

    model = keras.Sequential([Flatten(input_shape=(4, 4)), Dense(8, input_dim=16),
                              Dropout(0.1), Dense(2, activation="softmax")])
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated"):
        optimizer = Adam(lr=0.001)
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["acc"])
    y = keras.utils.to_categorical(np.arange(32) % 2, 2)
    history = model.fit(np.random.default_rng(1).random((32, 4, 4)), y, epochs=1, verbose=0)
    assert set(history.history) == {"loss", "acc"}


def test_plot_model_is_a_mermaid_flowchart(tmp_path):
    x = keras.Input(shape=(3,), name="x")
    a = Dense(2, name="a")(x)
    b = Dense(2, name="b")(x)
    out = keras.layers.Add(name="sum")([a, b])
    text = keras.utils.plot_model(keras.Model(x, out), to_file=tmp_path / "m.mmd",
                                  show_shapes=True)
    assert text.splitlines()[0] == "flowchart TB"
    assert "n0 --> n1" in text and "n1 --> n3" in text and "n2 --> n3" in text
    assert '"sum: Add<br/>output (None, 2)"' in text
    assert (tmp_path / "m.mmd").read_text().startswith("flowchart")
