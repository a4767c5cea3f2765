"""Transfer learning: frozen layers, reusing a saved model as a base, fine-tuning."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers


def data(n=96, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 10, 10, 1), dtype=np.float32)
    y = (x[:, :5].mean(axis=(1, 2, 3)) * classes * 2 % classes).astype(np.int64)
    return x, y


def small_cnn(classes=4):
    keras.utils.set_random_seed(0)
    return keras.Sequential([
        keras.Input((10, 10, 1)),
        layers.Conv2D(4, 3, activation="relu", name="conv"),
        layers.BatchNormalization(name="bn"),
        layers.MaxPooling2D(),
        layers.Flatten(name="features"),
        layers.Dense(classes, activation="softmax", name="head"),
    ])


def test_frozen_layer_gets_no_gradient_and_no_optimizer_state():
    model = small_cnn()
    conv = model.get_layer("conv")
    conv.trainable = False
    assert conv.trainable_weights == [] and len(conv.non_trainable_weights) == 2
    before = conv.get_weights()
    x, y = data()
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for old, new in zip(before, conv.get_weights()):
        np.testing.assert_array_equal(old, new)
    assert all(p.grad is None for p in conv.weights)
    slotted = set(model.optimizer._slots)
    assert not slotted & {id(p) for p in conv.weights}
    assert {id(p) for p in model.trainable_weights} == slotted
    assert not np.array_equal(model.get_layer("head").kernel.numpy(),
                              small_cnn().get_layer("head").kernel.numpy())


def test_frozen_batch_norm_runs_in_inference_mode():
    model = small_cnn()
    bn = model.get_layer("bn")
    x, y = data()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # moving statistics move
    bn.trainable = False
    stats = [bn.moving_mean.numpy().copy(), bn.moving_variance.numpy().copy()]
    np.testing.assert_allclose(model(x[:8], training=True).numpy(),
                               model(x[:8], training=False).numpy(), atol=1e-6)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    np.testing.assert_array_equal(stats[0], bn.moving_mean.numpy())
    np.testing.assert_array_equal(stats[1], bn.moving_variance.numpy())
    bn.trainable = True  # unfrozen, a training call normalizes by the batch again
    assert not np.allclose(model(x[:8], training=True).numpy(),
                           model(x[:8], training=False).numpy(), atol=1e-3)


def test_sequential_input_and_layer_outputs_start_a_functional_model():
    model = small_cnn()
    assert model.input.shape == (None, 10, 10, 1)
    assert model.output.shape == (None, 4)
    features = keras.Model(model.input, model.get_layer("features").output)
    popped = small_cnn()
    popped.pop()  # the trace follows the layers: the output is now the features
    assert popped.output is popped.get_layer("features").output
    x, _ = data(8)
    want = model.get_layer("features")(
        model.layers[2](model.layers[1](model.layers[0](x), training=False)))
    np.testing.assert_allclose(features.predict(x, verbose=0), want.numpy(), atol=1e-6)


def test_layer_without_symbolic_call_has_no_output():
    with pytest.raises(AttributeError, match="'lonely' has never been called"):
        _ = layers.Dense(2, name="lonely").output


def fine_tune(learning_rate, tmp_path):
    """Train a source model, save it, reuse its layers under a new head, then unfreeze."""
    source = small_cnn(classes=4)
    x, y = data(seed=1)
    source.compile("adam", "sparse_categorical_crossentropy")
    source.fit(x, y % 4, epochs=1, batch_size=16, verbose=0)
    source.save(tmp_path / "source.keras")

    loaded = keras.models.load_model(tmp_path / "source.keras")
    base = keras.Model(loaded.input, loaded.get_layer("features").output, name="base")
    base.trainable = False
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((10, 10, 1)), base,
                              layers.Dense(3, activation="softmax", name="new_head")])
    assert len(model.trainable_weights) == 2  # only the new head
    frozen = base.get_weights()
    x2, y2 = data(seed=2)
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x2, y2, epochs=2, batch_size=16, verbose=0)
    for old, new in zip(frozen, base.get_weights()):
        np.testing.assert_array_equal(old, new)

    base.trainable = True
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy")
    model.fit(x2, y2, epochs=1, batch_size=16, verbose=0)
    kernel_before = frozen[0]
    return model, np.abs(base.get_layer("conv").kernel.numpy() - kernel_before).max()


def test_saved_model_layers_reused_as_base_and_fine_tuned(tmp_path):
    model, moved_slow = fine_tune(1e-5, tmp_path / "slow")
    _, moved_fast = fine_tune(1e-3, tmp_path / "fast")
    assert 0 < moved_slow < moved_fast / 10  # the lower rate nudges the base
    model.save(tmp_path / "transfer.keras")
    again = keras.models.load_model(tmp_path / "transfer.keras")
    x, _ = data(8, seed=3)
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=1e-6)


def test_frozen_flags_survive_saving(tmp_path):
    model = small_cnn()
    model.get_layer("conv").trainable = False
    base = keras.Model(model.input, model.get_layer("features").output, name="base")
    base.trainable = False
    outer = keras.Sequential([keras.Input((10, 10, 1)), base, layers.Dense(2)])
    outer.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    assert again.layers[0].trainable is False
    assert len(again.trainable_weights) == 2
    model.save(tmp_path / "one_frozen.keras")
    again = keras.models.load_model(tmp_path / "one_frozen.keras")
    assert again.trainable and not again.get_layer("conv").trainable
    assert again.get_layer("head").trainable


def test_base_called_with_training_false_keeps_batch_norm_in_inference(tmp_path):
    source = small_cnn()
    x, y = data()
    source.compile("adam", "sparse_categorical_crossentropy")
    source.fit(x, y % 4, epochs=1, batch_size=16, verbose=0)
    base = keras.Model(source.input, source.get_layer("features").output, name="base")
    inputs = keras.Input((10, 10, 1))
    outputs = layers.Dense(3, activation="softmax")(base(inputs, training=False))
    model = keras.Model(inputs, outputs)
    bn = source.get_layer("bn")
    stats = bn.moving_mean.numpy().copy()
    kernel = source.get_layer("conv").kernel.numpy().copy()
    np.testing.assert_allclose(model(x[:8], training=True).numpy(),
                               model(x[:8], training=False).numpy(), atol=1e-6)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)  # base unfrozen, BN in inference
    np.testing.assert_array_equal(stats, bn.moving_mean.numpy())
    assert not np.array_equal(kernel, source.get_layer("conv").kernel.numpy())
    model.save(tmp_path / "m.keras")
    again = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again(x[:8], training=True).numpy(),
                               model(x[:8], training=False).numpy(), atol=1e-6)
