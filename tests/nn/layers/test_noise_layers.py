"""GaussianNoise, GaussianDropout, AlphaDropout: noise only while training, seeded."""

import numpy as np
import pytest
from helpers import check_layer

import glassnet as gn
from glassnet import keras
from glassnet.keras.layers import AlphaDropout, GaussianDropout, GaussianNoise

LAYERS = [lambda **kw: GaussianNoise(0.3, **kw), lambda **kw: GaussianDropout(0.4, **kw),
          lambda **kw: AlphaDropout(0.2, **kw)]


@pytest.mark.parametrize("make", LAYERS)
def test_identity_at_inference_through_check_layer(make):
    layer = check_layer(lambda: make(seed=3), (3, 4, 2), expected_params=0,
                        torch_module=lambda x: x)
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)  # training defaults to off
    assert not np.array_equal(layer(x, training=True).numpy(), x)


@pytest.mark.parametrize("make", LAYERS)
def test_seeded_noise_is_reproducible_and_global_seed_fixes_unseeded(make):
    x = np.ones((4, 5), "float32")
    first = make(seed=7)(x, training=True).numpy()
    np.testing.assert_array_equal(make(seed=7)(x, training=True).numpy(), first)
    assert not np.array_equal(make(seed=8)(x, training=True).numpy(), first)
    gn.seed(11)
    unseeded = make()(x, training=True).numpy()
    gn.seed(11)
    np.testing.assert_array_equal(make()(x, training=True).numpy(), unseeded)


def test_noise_statistics_follow_keras_formulas():
    zeros = np.zeros((20000, 10), "float32")
    noise = GaussianNoise(0.5, seed=0)(zeros, training=True).numpy()
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    ones = np.ones((20000, 10), "float32")
    y = GaussianDropout(0.2, seed=0)(ones, training=True).numpy()  # N(1, rate / (1 - rate))
    assert abs(y.mean() - 1) < 0.01 and abs(y.std() - 0.5) < 0.01
    x = np.random.default_rng(0).standard_normal((20000, 10)).astype("float32")
    y = AlphaDropout(0.3, seed=0)(x, training=True).numpy()  # keeps mean 0 and variance 1
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.3) * (1 + 0.3 * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(y, a * alpha_p - a * alpha_p * 0.3, atol=1e-6)
    assert abs(dropped.mean() - 0.3) < 0.01


def test_gradients_scale_as_the_forward():
    x = gn.tensor(np.random.default_rng(0).normal(size=(6, 5)), requires_grad=True)
    y = GaussianDropout(0.5, seed=1)(x, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, y.numpy() / x.numpy(), rtol=1e-5)  # dy/dx = noise
    x.grad = None
    y = GaussianNoise(0.5, seed=1)(x, training=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.ones((6, 5)))
    x.grad = None
    y = AlphaDropout(0.5, seed=1)(x, training=True)
    y.sum().backward()
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.5) * (1 + 0.5 * alpha_p ** 2)) ** -0.5
    np.testing.assert_allclose(np.unique(x.grad), [0.0, a], rtol=1e-6)  # d/dx = a * keep


def test_alpha_dropout_noise_shape_shares_draws():
    y = AlphaDropout(0.5, noise_shape=(None, 1, 4), seed=0)(np.zeros((3, 6, 4), "float32"),
                                                             training=True).numpy()
    assert (y == y[:, :1]).all()  # one draw for every step
    with pytest.raises(ValueError, match=r"AlphaDropout '.*': noise_shape \(None, 2, 4\) does "
                                         r"not broadcast to the input shape \(3, 6, 4\)"):
        AlphaDropout(0.5, noise_shape=(None, 2, 4))(np.zeros((3, 6, 4)), training=True)


def test_configs_match_keras_and_masks_pass_through():
    assert GaussianNoise(0.1, seed=2, name="n").get_config() == {
        "name": "n", "trainable": True, "dtype": "float32", "stddev": 0.1, "seed": 2}
    assert GaussianDropout(0.3).get_config()["rate"] == 0.3
    config = AlphaDropout(0.1, noise_shape=(None, 1), seed=4).get_config()
    assert (config["rate"], config["noise_shape"], config["seed"]) == (0.1, (None, 1), 4)
    emb = keras.layers.Embedding(5, 2, mask_zero=True)(np.array([[1, 0, 2]]))
    for layer in (GaussianNoise(0.1), GaussianDropout(0.1), AlphaDropout(0.1)):
        assert layer(emb, training=True)._keras_mask.numpy().tolist() == [[True, False, True]]


def test_bad_arguments():
    with pytest.raises(ValueError, match=r"GaussianNoise: `stddev` must be a number in \[0, 1\]"
                                         r". Received: stddev=1.5"):
        GaussianNoise(1.5)
    for cls in (GaussianDropout, AlphaDropout):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: `rate` must be a number in "
                                             r"\[0, 1\]. Received: rate=-0.1"):
            cls(-0.1)
        with pytest.raises(ValueError, match=r"1 excluded.*Received: rate=1"):
            cls(1)
        with pytest.raises(ValueError, match=r"non-negative integer for `seed`"):
            cls(0.1, seed="x")
    with pytest.raises(ValueError, match=r"`noise_shape` must be a tuple"):
        AlphaDropout(0.1, noise_shape="x")


def test_tiny_functional_model_with_noise_fits():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = x[:, :2].sum(1, keepdims=True)
    inp = keras.Input((6,))
    h = GaussianNoise(0.05)(inp)
    h = keras.layers.Dense(16, activation="selu")(h)
    h = AlphaDropout(0.05)(h)
    h = GaussianDropout(0.05)(h)
    model = keras.Model(inp, keras.layers.Dense(1)(h))
    model.compile("adam", "mse")
    history = model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    np.testing.assert_allclose(model.predict(x[:4], verbose=0),
                               model.predict(x[:4], verbose=0))  # no noise at inference
