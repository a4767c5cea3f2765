import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers, ops


def test_ops_between_layers_of_a_functional_model_train_and_predict():
    a, b = keras.Input((4,)), keras.Input((4,))
    hidden = ops.relu(layers.Dense(4)(a))
    merged = ops.concatenate([hidden, ops.square(b)], axis=-1)  # symbolic inside a list
    model = keras.Model([a, b], layers.Dense(1)(merged))
    assert [layer.name for layer in model.layers].count("relu") == 1
    assert ops.shape(merged) == (None, 8)
    model.compile("adam", "mse")
    x = [np.ones((8, 4), "float32"), np.full((8, 4), 2.0, "float32")]
    history = model.fit(x, np.ones((8, 1)), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # the replayed ops compute what the eager ops compute
    dense = next(layer for layer in model.layers if isinstance(layer, layers.Dense))
    expected = np.concatenate([np.maximum(dense(x[0]).numpy(), 0), x[1] ** 2], axis=-1)
    probe = keras.Model([a, b], merged)
    np.testing.assert_allclose(probe.predict(x, verbose=0), expected, rtol=1e-6)


def test_two_calls_of_one_op_are_two_uniquely_named_layers_and_saving_is_refused(tmp_path):
    x = keras.Input((3,))
    model = keras.Model(x, ops.relu(ops.relu(x)))
    names = [layer.name for layer in model.layers[1:]]
    assert len(set(names)) == 2 and all(n.startswith("relu") for n in names)
    with pytest.raises(TypeError, match="code rather than data"):
        model.save(tmp_path / "m.keras")


def test_operators_on_model_tensors_as_the_vae_guide_writes_them():
    x = keras.Input((4,))
    mean_layer, log_var_layer = layers.Dense(2), layers.Dense(2)
    z_mean, z_log_var = mean_layer(x), log_var_layer(x)
    z = z_mean + ops.exp(0.5 * z_log_var) * 2.0
    out = (-(z - 1.0) / 2.0) ** 2 @ ops.ones((2, 3))
    first = z[:, 0]
    model = keras.Model(x, [out, first])
    data = np.random.default_rng(0).random((5, 4)).astype("float32")
    got, got_first = model.predict(data, verbose=0)
    m, v = mean_layer(data).numpy(), log_var_layer(data).numpy()
    zz = m + np.exp(0.5 * v) * 2.0
    np.testing.assert_allclose(got, ((-(zz - 1.0) / 2.0) ** 2) @ np.ones((2, 3)), rtol=1e-5)
    np.testing.assert_allclose(got_first, zz[:, 0], rtol=1e-6)
