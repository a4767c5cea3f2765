"""Wrapper, SpectralNormalization (against Keras's numbers and the singular value it
converges to), Pipeline, and InputSpec's checks with Keras's error texts."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers


def test_spectral_normalization_step_equals_keras():
    sn = layers.SpectralNormalization(layers.Dense(2))
    sn.build((None, 3))
    sn.layer.kernel.assign(np.arange(6, dtype="float32").reshape(3, 2) / 5 - 0.4)
    sn.vector_u.assign(np.array([[0.3, -0.2]], "float32"))
    y = sn(np.ones((1, 3), "float32"), training=True)
    # Keras 3.15 on the same kernel and vector_u (one power iteration)
    np.testing.assert_allclose(sn.layer.kernel.numpy(), [[-1.0846522, -0.5423261],
                                                         [0.0, 0.54232615],
                                                         [1.0846522, 1.6269784]], rtol=1e-6)
    np.testing.assert_allclose(sn.vector_u.numpy(), [[0.97014254, 0.24253562]], rtol=1e-6)
    np.testing.assert_allclose(y.numpy(), [[0.0, 1.6269784]], rtol=1e-6, atol=1e-7)
    assert [w.name for w in sn.weights] == ["kernel", "vector_u", "bias"]  # Keras's order


def test_spectral_normalization_converges_to_unit_spectral_norm_and_skips_inference():
    keras.utils.set_random_seed(0)
    sn = layers.SpectralNormalization(layers.Conv2D(4, 3), power_iterations=2)
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 3)).astype("float32")
    before = sn(x).numpy()  # inference: the kernel as it is
    np.testing.assert_allclose(sn(x, training=False).numpy(), before)
    for _ in range(20):
        sn(x, training=True)
    matrix = sn.layer.kernel.numpy().reshape(-1, 4)
    assert abs(np.linalg.svd(matrix, compute_uv=False)[0] - 1.0) < 1e-3
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="nor 'embeddings'"):
        layers.SpectralNormalization(layers.Flatten())(np.ones((1, 2, 2), "float32"))
    with pytest.raises(ValueError, match="valid Keras layer"):
        layers.Wrapper("dense")


def test_spectral_normalization_in_a_model_trains_and_saves(tmp_path):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)),
                              layers.SpectralNormalization(layers.Dense(8, activation="relu")),
                              layers.Dense(1)])
    model.compile("adam", "mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.normal(size=(32, 1))
    history = model.fit(x, y, epochs=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 1
    model.save(tmp_path / "sn.keras")
    again = keras.models.load_model(tmp_path / "sn.keras")
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0))
    config = model.layers[0].get_config()
    assert config["layer"]["class_name"] == "Dense" and config["power_iterations"] == 1


def test_pipeline_applies_layers_in_turn_with_training_default_true():
    pipeline = layers.Pipeline([layers.Rescaling(1 / 255.0), layers.RandomFlip("horizontal",
                                                                              seed=3)])
    image = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
    plain = pipeline(image, training=False).numpy()
    np.testing.assert_allclose(plain, image / 255.0, rtol=1e-6)
    mirrored = plain[:, :, ::-1]
    results = [pipeline(image).numpy() for _ in range(8)]  # training defaults to True
    for result in results:  # each image is itself or its mirror
        for i in range(2):
            assert np.allclose(result[i], plain[i]) or np.allclose(result[i], mirrored[i])
    assert any(not np.allclose(result, plain) for result in results)
    assert pipeline.layers[0].scale == pytest.approx(1 / 255.0)
    assert pipeline.compute_output_shape((None, 4, 4, 1)) == (None, 4, 4, 1)
    again = layers.Pipeline.from_config(pipeline.get_config())
    np.testing.assert_allclose(again(image, training=False).numpy(), plain)
    with pytest.raises(TypeError, match="list of layers"):
        layers.Pipeline(layers.Rescaling(2.0))
    with pytest.raises(ValueError, match="`layers` key"):
        layers.Pipeline.from_config({"name": "p"})


def test_pipeline_maps_over_a_dataset():
    import glassnet as tf

    pipeline = layers.Pipeline([layers.Rescaling(0.5), layers.Rescaling(2.0, offset=1.0)])
    ds = tf.data.Dataset.from_tensor_slices(np.ones((6, 3), "float32")).batch(2)
    batches = [np.asarray(b) for b in ds.map(pipeline)]
    assert len(batches) == 3
    np.testing.assert_allclose(np.concatenate(batches), np.full((6, 3), 2.0))


def test_input_spec_checks_with_keras_messages():
    spec = layers.InputSpec(ndim=3, axes={-1: 8})
    assert repr(spec) == "InputSpec(ndim=3, axes={-1: 8})"
    assert layers.InputSpec.from_config(spec.get_config()).get_config() == spec.get_config()
    from glassnet.nn.input_spec import assert_input_compatibility

    assert_input_compatibility(spec, np.zeros((2, 5, 8)), "mha")
    with pytest.raises(ValueError, match=r'Input 0 of layer "mha" is incompatible with the '
                                         r'layer: expected ndim=3, found ndim=2'):
        assert_input_compatibility(spec, np.zeros((2, 8)), "mha")
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 8"):
        assert_input_compatibility(spec, np.zeros((2, 5, 7)), "mha")
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        assert_input_compatibility(layers.InputSpec(min_ndim=2), np.zeros(3), "d")
    with pytest.raises(ValueError, match="expected dtype=int32, found dtype=float32"):
        assert_input_compatibility(layers.InputSpec(dtype="int32"), np.zeros(3, "float32"), "e")
    with pytest.raises(ValueError, match="expects 2 input"):
        assert_input_compatibility([spec, spec], [np.zeros((1, 1, 8))], "m")
    with pytest.raises(ValueError, match="maximum allowed value"):
        layers.InputSpec(ndim=2, axes={3: 1})


def test_a_layer_s_input_spec_is_checked_on_every_call():
    class Pairwise(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = layers.InputSpec(ndim=3, axes={-1: 2})

        def call(self, x):
            return x * 2

    layer = Pairwise(name="pairwise")
    assert layer(np.ones((1, 4, 2), "float32")).shape == (1, 4, 2)
    with pytest.raises(ValueError, match=r'Input 0 of layer "pairwise" is incompatible with '
                                         r'the layer: expected ndim=3, found ndim=2'):
        layer(np.ones((4, 2), "float32"))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 2"):
        layer(keras.Input((4, 3)))
