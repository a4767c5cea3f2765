"""Layers called with several tensors, ``layer(a, b)``, as Keras 3 binds them: eagerly, in
functional models (recorded, replayed, saved and loaded), with build() and
compute_output_shape() receiving the shapes their signatures ask for, and masks per input."""

import json
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

from glassnet import keras
from glassnet.keras import layers, ops
from tests.helpers import check_layer


class Bilinear(layers.Layer):
    """y = a^T W b + c for each sample: torch.nn.Bilinear's formula, called as layer(a, b)
    (or layer([a, b]))."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, a_shape, b_shape=None):
        if b_shape is None:  # called on a list [a, b]
            a_shape, b_shape = a_shape
        self.kernel = self.add_weight(shape=(self.units, a_shape[-1], b_shape[-1]),
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, a, b=None):
        if b is None:
            a, b = a
        # (batch, i) x (units, i, j) x (batch, j) -> (batch, units)
        left = ops.einsum("bi,oij->boj", a, self.kernel)
        return ops.sum(left * ops.expand_dims(b, 1), axis=-1) + self.bias

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def torch_weights(layer, module):
    with torch.no_grad():
        module.weight.copy_(torch.tensor(layer.kernel.numpy()))
        module.bias.copy_(torch.tensor(layer.bias.numpy()))
    return [(layer.kernel, module.weight, lambda g: g.numpy()),
            (layer.bias, module.bias, lambda g: g.numpy())]


def test_two_tensor_layer_conforms_and_matches_torch_bilinear():
    check_layer(lambda: Bilinear(4), [(5, 3), (5, 2)], expected_output_shape=(5, 4),
                expected_params=4 * 3 * 2 + 4, torch_module=torch.nn.Bilinear(3, 2, 4),
                torch_weights=torch_weights)


def test_positional_call_equals_the_list_call_and_binds_training():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2)).astype("float32")
    layer = Bilinear(2)
    np.testing.assert_array_equal(layer(a, b).numpy(), layer([a, b]).numpy())
    assert layer.kernel.shape == (2, 3, 2)  # built from both shapes, by name

    class Modes(layers.Layer):
        def call(self, a, b, training=None):
            return a + b if training else a - b

    modes = Modes()
    np.testing.assert_array_equal(modes(a, a, training=True).numpy(), 2 * a)
    np.testing.assert_array_equal(modes(a, a, True).numpy(), 2 * a)  # positional training
    np.testing.assert_array_equal(modes(a, a).numpy(), 0 * a)
    with pytest.raises(TypeError, match=r"Modes.call\(\) takes 3 positional argument\(s\) but "
                                        r"4 were given"):
        modes(a, a, True, 1)
    with pytest.raises(TypeError, match="got multiple values for argument 'training'"):
        modes(a, a, True, training=False)


def test_build_gets_the_first_shape_unless_it_asks_for_more():
    seen = {}

    class First(layers.Layer):
        def build(self, input_shape):
            seen["first"] = input_shape

        def call(self, a, b):
            return a * b

    class Named(layers.Layer):
        def build(self, x_shape, y_shape):
            seen["named"] = (x_shape, y_shape)

        def call(self, x, y, scale=1.0):
            return x * y * scale

    class Wrong(layers.Layer):
        def build(self, x_shape, other):
            pass

        def call(self, x, y):
            return x

    a, b = np.ones((2, 3), "float32"), np.ones((2, 1), "float32")
    First()(a, b)
    Named()(a, b, 2.0)
    assert seen == {"first": (2, 3), "named": ((2, 3), (2, 1))}
    with pytest.raises(ValueError, match=r"For a `build\(\)` method with more than one "
                                         r"argument, all arguments should have a `_shape` "
                                         r"suffix .* For layer 'Wrong', Received `build\(\)` "
                                         r"argument `other`, which does not end in `_shape`"):
        Wrong()(a, b)


def test_compute_output_shape_with_several_shapes_gives_the_symbolic_shape():
    class Outer(layers.Layer):
        def call(self, a, b):
            return ops.expand_dims(a, -1) * ops.expand_dims(b, 1)

        def compute_output_shape(self, a_shape, b_shape):
            return (a_shape[0], a_shape[1], b_shape[1])

    class Plain(Outer):  # no compute_output_shape: found by running on zeros
        compute_output_shape = layers.Layer.compute_output_shape

    i1, i2 = keras.Input((3,)), keras.Input((5,))
    assert Outer()(i1, i2).shape == (None, 3, 5)
    assert Plain()(i1, i2).shape == (None, 3, 5)
    seq = keras.Input((None, 4))
    # an unknown length stays unknown, the sizes after it are found
    assert Plain()(seq, keras.Input((2,))).shape == (None, None, 4, 2)


class Gate(layers.Layer):
    """out = Dense(a) * sigmoid(b) * scale; scale is a plain call argument."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units)

    def call(self, a, b, scale=1.0, training=None):
        return self.dense(a) * ops.sigmoid(b) * scale

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _gate_model():
    keras.utils.set_random_seed(0)
    i1, i2 = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    gated = Gate(name="gate")(i1, i2, 0.5)
    also = Gate(name="kw_gate")(i1, b=i2)  # a keyword tensor argument
    out = layers.Dense(1)(gated + also)
    model = keras.Model([i1, i2], out)
    model.compile(optimizer="adam", loss="mse")
    return model


def test_functional_model_with_a_two_tensor_layer_fits_predicts_saves_and_loads(tmp_path):
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 3)).astype("float32")]
    y = rng.normal(size=(32, 1)).astype("float32")
    model = _gate_model()
    first = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=15, verbose=0)
    assert model.evaluate(x, y, verbose=0) < first
    path = str(tmp_path / "gate.keras")
    model.save(path)
    loaded = keras.models.load_model(path, custom_objects={"Gate": Gate})
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)
    # The node's further arguments are written as Keras 3 writes a node's args and kwargs.
    config = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]
    calls = {entry["config"]["name"]: entry["calls"] for entry in config["layers"]}
    assert calls["gate"][0]["args"] == [
        {"class_name": "__keras_tensor__",
         "config": {"shape": [None, 3], "dtype": "float32", "keras_history": ["b", 0, 0]}},
        0.5]
    assert calls["kw_gate"][0]["kwargs"]["b"]["config"]["keras_history"] == ["b", 0, 0]


def test_each_input_gets_its_own_mask():
    seen = {}

    class Masked(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, a, b, a_mask=None, b_mask=None):
            seen["a"], seen["b"] = a_mask, b_mask
            return a + b

    tokens_a = np.array([[1, 2, 0]])
    tokens_b = np.array([[3, 0, 0]])
    emb = layers.Embedding(5, 2, mask_zero=True)
    Masked()(emb(tokens_a), emb(tokens_b))
    np.testing.assert_array_equal(as_array(seen["a"]), [[True, True, False]])
    np.testing.assert_array_equal(as_array(seen["b"]), [[True, False, False]])
    # In a model the masks travel with the replayed tensors.
    ia, ib = keras.Input((3,), dtype="int32"), keras.Input((3,), dtype="int32")
    model = keras.Model([ia, ib], Masked()(emb(ia), emb(ib)))
    seen.clear()
    model.predict([tokens_a, tokens_b], verbose=0)
    np.testing.assert_array_equal(as_array(seen["b"]), [[True, False, False]])


def as_array(mask):
    return np.asarray(getattr(mask, "data", mask))


def test_attention_keyword_tensors_still_work_in_models(tmp_path):
    q, v = keras.Input((4, 8)), keras.Input((6, 8))
    out = layers.MultiHeadAttention(num_heads=2, key_dim=4)(query=q, value=v)
    model = keras.Model([q, v], out)
    xs = [np.ones((2, 4, 8), "float32"), np.ones((2, 6, 8), "float32")]
    path = str(tmp_path / "mha.keras")
    model.save(path)
    np.testing.assert_allclose(keras.models.load_model(path).predict(xs, verbose=0),
                               model.predict(xs, verbose=0), rtol=1e-6)


def test_in_a_fresh_process_with_the_tf_import():
    script = textwrap.dedent("""
        import numpy as np
        import glassnet as tf

        class Scale(tf.keras.layers.Layer):
            def build(self, x_shape, s_shape):
                self.w = self.add_weight(shape=(x_shape[-1],), initializer="ones")

            def call(self, x, s):
                return x * self.w * s

        i, s = tf.keras.Input((3,)), tf.keras.Input((1,))
        model = tf.keras.Model([i, s], Scale()(i, s))
        print(model.predict([np.ones((2, 3)), np.full((2, 1), 2.0)], verbose=0).tolist())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str([[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]])
