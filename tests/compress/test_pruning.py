"""Magnitude pruning: schedules against tfmot's formula, masks, the wrapper's forward and
gradients, fit with UpdatePruningStep, strip_pruning, saving, bad arguments, and a user
program through the public import."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassnet
from glassnet import keras
from glassnet.compress.pruning import (
    ConstantSparsity,
    PolynomialDecay,
    PrunableLayer,
    PruneLowMagnitude,
    PruningSummaries,
    UpdatePruningStep,
    magnitude_mask,
    prune_low_magnitude,
    prune_scope,
    schedules,
    strip_pruning,
)


def mlp(seed=0, n_in=6, hidden=16, n_out=3):
    glassnet.seed(seed)
    return keras.Sequential([keras.Input((n_in,)), keras.layers.Dense(hidden, activation="relu"),
                             keras.layers.Dense(n_out)])


def cnn(seed=0):
    glassnet.seed(seed)
    inputs = keras.Input((10, 10, 1))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def blobs(n=96, n_in=6, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    centers = rng.normal(scale=3.0, size=(3, n_in))
    return (centers[y] + rng.normal(size=(n, n_in))).astype("float32"), y


def wrappers(model):
    return [layer for layer in model.layers if isinstance(layer, PruneLowMagnitude)]


def compile_for(model, lr=0.01):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])


# -- schedules ------------------------------------------------------------------------------

def tfmot_polynomial(step, initial, final, begin, end, power):
    p = min(1.0, max(0.0, (step - begin) / (end - begin)))
    return final + (initial - final) * (1 - p) ** power


@pytest.mark.parametrize("step", [0, 99, 100, 150, 250, 300, 350, 1000])
def test_polynomial_decay_is_tfmots_formula(step):
    schedule = PolynomialDecay(0.1, 0.8, begin_step=100, end_step=300, power=3, frequency=50)
    should, sparsity = schedule(step)
    np.testing.assert_allclose(sparsity, tfmot_polynomial(step, 0.1, 0.8, 100, 300, 3),
                               rtol=1e-6)
    assert should == (100 <= step <= 300 and (step - 100) % 50 == 0)


@pytest.mark.parametrize("step, expected", [(9, False), (10, True), (12, False), (15, True),
                                            (10_000, True)])
def test_constant_sparsity_prunes_on_the_grid_for_ever(step, expected):
    assert ConstantSparsity(0.6, begin_step=10, frequency=5)(step) == (expected, 0.6)
    assert ConstantSparsity(0.6, 10, end_step=20, frequency=5)(30)[0] is False


def test_schedule_config_round_trip():
    for schedule in (PolynomialDecay(0.2, 0.9, 5, 50, power=2, frequency=3),
                     ConstantSparsity(0.5, 0, end_step=10, frequency=2)):
        config = schedule.get_config()
        assert json.loads(json.dumps(config)) == config
        assert type(schedule).from_config(config) == schedule
        assert type(schedule).from_config(config["config"]) == schedule
        assert schedules.deserialize(config) == schedule


@pytest.mark.parametrize("make, message", [
    (lambda: PolynomialDecay(0.0, 1.0, 0, 10), "final_sparsity must be in range"),
    (lambda: PolynomialDecay(-0.1, 0.5, 0, 10), "initial_sparsity must be in range"),
    (lambda: ConstantSparsity(1.5, 0), "target_sparsity must be in range"),
    (lambda: PolynomialDecay(0.0, 0.5, 0, -1), "end_step cannot be -1"),
    (lambda: PolynomialDecay(0.0, 0.5, 10, 5), "begin_step should be <= end_step"),
    (lambda: ConstantSparsity(0.5, -1), "begin_step should be >= 0"),
    (lambda: ConstantSparsity(0.5, 0, end_step=-3), "end_step can be -1 or >= 0"),
    (lambda: ConstantSparsity(0.5, 0, frequency=0), "frequency should be > 0"),
])
def test_schedule_arguments_are_checked(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_schedule_types_are_checked():
    with pytest.raises(TypeError, match="begin_step"):
        ConstantSparsity(0.5, 1.5)
    with pytest.raises(TypeError, match="target_sparsity"):
        ConstantSparsity("half", 0)
    with pytest.raises(ValueError, match="unknown pruning schedule"):
        schedules.deserialize({"class_name": "Os.System", "config": {}})


# -- masks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("size, sparsity", [(10, 0.5), (37, 0.8), (1000, 0.9), (7, 0.0),
                                            (5, 0.99)])
def test_masks_reach_the_exact_sparsity(size, sparsity):
    w = np.random.default_rng(size).normal(size=size).astype("float32")
    mask, threshold = magnitude_mask(w, sparsity)
    kept = max(int(np.round(size * (1 - sparsity))), 1)
    assert mask.sum() == kept
    assert np.abs(w[mask == 0]).max(initial=0) <= threshold <= np.abs(w[mask == 1]).min()


def test_ties_are_broken_by_position_so_the_count_is_exact():
    mask, _ = magnitude_mask(np.ones(8, "float32"), 0.5)
    np.testing.assert_array_equal(mask, [1, 1, 1, 1, 0, 0, 0, 0])


def test_block_masks_keep_or_drop_whole_blocks():
    w = np.arange(1, 17, dtype="float32").reshape(4, 4)
    mask, _ = magnitude_mask(w, 0.5, block_size=(2, 2))
    np.testing.assert_array_equal(mask, np.repeat(np.repeat([[0, 0], [1, 1]], 2, 0), 2, 1))
    with pytest.raises(ValueError, match="2-dimensional"):
        magnitude_mask(np.ones((3, 3, 2, 4)), 0.5, block_size=(2, 2))


# -- the wrapper ----------------------------------------------------------------------------

def test_a_new_wrapper_computes_what_the_layer_computes():
    model = cnn()
    x = np.random.default_rng(0).random((5, 10, 10, 1), dtype="float32")
    pruned = prune_low_magnitude(model)
    assert [type(layer).__name__ for layer in pruned.layers] == [
        "InputLayer", "PruneLowMagnitude", "MaxPooling2D", "Flatten", "PruneLowMagnitude"]
    np.testing.assert_allclose(pruned.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    assert wrappers(pruned)[0].layer is not model.layers[0]  # the original is left alone


def test_gradients_of_masked_weights_are_zero():
    layer = PruneLowMagnitude(keras.layers.Dense(3))
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    layer(x)
    mask = np.ones((5, 3), "float32")
    mask[[0, 2, 4], [1, 0, 2]] = 0
    layer.masks[0].assign(mask)
    kernel = layer.layer.kernel.numpy()
    with glassnet.GradientTape() as tape:
        y = layer(x)
        loss = (y * y).sum()
    grad = np.asarray(tape.gradient(loss, layer.layer.kernel).data)
    assert (grad[mask == 0] == 0).all() and (grad[mask == 1] != 0).all()
    expected = x @ (kernel * mask) + layer.layer.bias.numpy()
    np.testing.assert_allclose(y.data, expected, rtol=1e-5)


def test_fit_without_the_callback_says_to_add_it():
    pruned = prune_low_magnitude(mlp())
    compile_for(pruned)
    x, y = blobs()
    with pytest.raises(ValueError, match="UpdatePruningStep callback"):
        pruned.fit(x, y, verbose=0)


def test_fit_with_the_callback_prunes_to_the_schedule_and_learns():
    x, y = blobs()
    schedule = PolynomialDecay(0.0, 0.75, begin_step=0, end_step=20, frequency=5)
    pruned = prune_low_magnitude(mlp(), pruning_schedule=schedule)
    compile_for(pruned, lr=0.02)
    history = pruned.fit(x, y, batch_size=16, epochs=5, verbose=0,
                         callbacks=[UpdatePruningStep()])
    assert history.history["accuracy"][-1] > 0.9
    for layer in wrappers(pruned):
        assert int(layer.pruning_step.numpy()) == 29  # 6 batches x 5 epochs, from 0
        kernel, mask = layer.layer.kernel.numpy(), layer.masks[0].numpy()
        assert (mask == 0).sum() == kernel.size - round(kernel.size * 0.25)
        assert (kernel[mask == 0] == 0).all()
    # the step carries on in a second fit, as tfmot's
    pruned.fit(x, y, batch_size=48, epochs=1, verbose=0, callbacks=[UpdatePruningStep()])
    assert int(wrappers(pruned)[0].pruning_step.numpy()) == 31


def test_the_step_is_where_the_schedule_is_read():
    layer = prune_low_magnitude(keras.layers.Dense(4), ConstantSparsity(0.5, 3, frequency=2))
    model = keras.Sequential([keras.Input((8,)), layer])
    callback = UpdatePruningStep()
    callback.set_model(model)  # a custom loop: the hooks called by hand
    decisions = []
    for _ in range(7):
        callback.on_train_batch_begin(-1)
        decisions.append((layer.masks[0].numpy() == 0).mean())
    assert decisions == [0, 0, 0, 0.5, 0.5, 0.5, 0.5]


def test_strip_pruning_bakes_the_masks_in_and_saves_as_plain_layers(tmp_path):
    x, y = blobs()
    pruned = prune_low_magnitude(cnn(), ConstantSparsity(0.7, 0, frequency=1))
    compile_for(pruned)
    images = np.random.default_rng(0).random((len(x), 10, 10, 1), dtype="float32")
    pruned.fit(images, y, batch_size=32, epochs=1, verbose=0, callbacks=[UpdatePruningStep()])
    stripped = strip_pruning(pruned)
    assert not wrappers(stripped)
    assert [type(layer).__name__ for layer in stripped.layers] == [
        "InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]
    np.testing.assert_allclose(stripped.predict(images, verbose=0),
                               pruned.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
    dense = stripped.layers[-1].kernel.numpy()
    assert (dense == 0).sum() == dense.size - round(dense.size * 0.3)
    assert not np.signbit(dense[dense == 0]).any()  # +0.0, not -0.0
    stripped.save(tmp_path / "stripped.keras")
    loaded = keras.models.load_model(tmp_path / "stripped.keras")
    np.testing.assert_array_equal(loaded.predict(images, verbose=0),
                                  stripped.predict(images, verbose=0))


def test_a_pruned_model_saves_with_its_wrappers_and_loads_in_prune_scope(tmp_path):
    pruned = prune_low_magnitude(mlp(), PolynomialDecay(0.0, 0.5, 0, 4, frequency=2))
    compile_for(pruned)
    x, y = blobs()
    pruned.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[UpdatePruningStep()])
    pruned.save(tmp_path / "pruned.keras")
    with pytest.raises(ValueError, match="PruneLowMagnitude"):
        keras.models.load_model(tmp_path / "pruned.keras")
    with prune_scope():
        loaded = keras.models.load_model(tmp_path / "pruned.keras")
    assert loaded.layers[0].pruning_schedule == pruned.layers[0].pruning_schedule
    assert int(loaded.layers[0].pruning_step.numpy()) == 2
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), pruned.predict(x, verbose=0))


def test_a_list_of_layers_a_nested_model_and_a_prunable_layer_of_your_own():
    class Scale(PrunableLayer, keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight("w", (input_shape[-1],), "ones")

        def call(self, x):
            return x * self.w

        def get_prunable_weights(self):
            return [self.w]

    dense, conv = keras.layers.Dense(2), keras.layers.Conv1D(2, 3)
    assert [type(w.layer) for w in prune_low_magnitude([dense, conv])] == [type(dense),
                                                                           type(conv)]
    scaled = prune_low_magnitude(Scale(), ConstantSparsity(0.5, 0, frequency=1))
    scaled(np.ones((1, 4), "float32"))
    scaled.pruning_step.assign(np.int64(0))
    scaled.update_mask()
    assert scaled.masks[0].numpy().sum() == 2
    inner = mlp()
    outer = keras.Sequential([keras.Input((6,)), inner, keras.layers.Dense(2)])
    pruned = prune_low_magnitude(outer)
    assert len(wrappers(pruned.layers[0])) == 2 and isinstance(pruned.layers[1],
                                                               PruneLowMagnitude)
    again = prune_low_magnitude(pruned, ConstantSparsity(0.9, 0))  # wrappers are kept
    assert again.layers[1].pruning_schedule == ConstantSparsity(0.5, 0)
    x = np.ones((2, 6), "float32")
    np.testing.assert_array_equal(again.predict(x, verbose=0), pruned.predict(x, verbose=0))


def test_pruning_summaries_write_sparsity_per_epoch(tmp_path):
    pruned = prune_low_magnitude(mlp(), ConstantSparsity(0.5, 0, frequency=1))
    compile_for(pruned)
    x, y = blobs()
    history = pruned.fit(x, y, epochs=2, verbose=0, callbacks=[
        UpdatePruningStep(), PruningSummaries(log_dir=tmp_path / "logs")])
    lines = (tmp_path / "logs" / "pruning_summaries.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["epoch"] for r in records] == [0, 1]
    name = wrappers(pruned)[0].name
    assert records[-1][f"{name}/sparsity"] == 0.5
    assert history.history[f"{name}/sparsity"] == [0.5, 0.5]


# -- bad arguments --------------------------------------------------------------------------

def test_bad_arguments_are_refused_with_their_names():
    with pytest.raises(ValueError, match="supported layer.*LSTM"):
        prune_low_magnitude(keras.Sequential([keras.Input((4, 3)), keras.layers.LSTM(2)]))
    with pytest.raises(ValueError, match="supported layer.*Flatten"):
        PruneLowMagnitude(keras.layers.Flatten())
    with pytest.raises(ValueError, match="can only prune an object"):
        prune_low_magnitude("dense")
    with pytest.raises(ValueError, match="block_size"):
        prune_low_magnitude(keras.layers.Dense(2), block_size=(0, 1))
    with pytest.raises(ValueError, match="block_pooling_type"):
        prune_low_magnitude(keras.layers.Dense(2), block_pooling_type="MEDIAN")
    with pytest.raises(TypeError, match="pruning_schedule"):
        prune_low_magnitude(keras.layers.Dense(2), pruning_schedule=0.5)
    with pytest.raises(ValueError, match="already wrapped"):
        PruneLowMagnitude(PruneLowMagnitude(keras.layers.Dense(2)))
    with pytest.raises(ValueError, match="sparsity must be in range"):
        magnitude_mask(np.ones(4), 1.0)
    with pytest.raises(ValueError, match="keras.Model"):
        strip_pruning(keras.layers.Dense(2))

    class Sub(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="subclassed"):
        prune_low_magnitude(Sub())


# -- a user program -------------------------------------------------------------------------

def test_the_tfmot_example_runs_through_the_public_import(tmp_path):
    program = textwrap.dedent(f"""
        import numpy as np
        from glassnet import keras
        from glassnet.compress import pruning as sparsity   # tfmot.sparsity.keras

        rng = np.random.default_rng(0)
        x = rng.normal(size=(256, 10)).astype("float32")
        y = (x[:, 0] + x[:, 1] > 0).astype("int64")
        model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(32, activation="relu"),
                                  keras.layers.Dense(2)])
        pruning_params = {{"pruning_schedule": sparsity.PolynomialDecay(
            initial_sparsity=0.0, final_sparsity=0.8, begin_step=0, end_step=24,
            frequency=4)}}
        pruned = sparsity.prune_low_magnitude(model, **pruning_params)
        pruned.compile(optimizer="adam", metrics=["accuracy"],
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        pruned.fit(x, y, batch_size=32, epochs=4, verbose=0,
                   callbacks=[sparsity.UpdatePruningStep()])
        final = sparsity.strip_pruning(pruned)
        kernel = final.layers[0].kernel.numpy()
        path = {str(tmp_path / "final.sparse")!r}
        sparsity.save_sparse(final, path)
        again = sparsity.load_sparse(path)
        same = np.array_equal(again.predict(x, verbose=0), final.predict(x, verbose=0))
        print(round(float((kernel == 0).mean()), 2), same)
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0.8", "True"]
