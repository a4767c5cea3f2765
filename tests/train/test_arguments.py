"""Bad arguments to compile/fit/evaluate/predict: a TypeError or ValueError naming the
argument and what was received, before anything trains; never silence."""

import warnings

import numpy as np
import pytest

import glassnet
from glassnet import keras

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 6)).astype(np.float32)
Y = np.arange(40) % 3


def compiled():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("kwargs,error,message", [
    ({"epochs": -1}, ValueError, r"fit: `epochs` must be a non-negative integer. Received: "
                                r"epochs=-1"),
    ({"epochs": 2.5}, TypeError, r"fit: `epochs` must be .* Received: epochs=2.5"),
    ({"epochs": "3"}, TypeError, r"fit: `epochs` must be .* Received: epochs='3'"),
    ({"steps_per_epoch": 0}, ValueError, r"`steps_per_epoch` must be None or a positive integer"),
    ({"steps_per_epoch": -2}, ValueError, r"Received: steps_per_epoch=-2"),
    ({"validation_split": "0.2"}, TypeError, r"`validation_split` must be a number in \[0, 1\)"),
    ({"validation_freq": 0}, ValueError, r"`validation_freq` must be a positive integer"),
    ({"class_weight": "balanced"}, TypeError, r"class_weight` must be a dict"),
    ({"sample_weight": np.where(np.arange(40) == 3, np.nan, 1.0)}, ValueError,
     r"sample_weight` contains NaN or inf \(first at index 3\)"),
    ({"sample_weight": -np.ones(40)}, ValueError, r"sample_weight` must be >= 0"),
    ({"verbose": 3}, ValueError, r"verbose` must be 'auto', 0, 1 or 2"),
])
def test_fit_rejects_bad_arguments_before_training(kwargs, error, message):
    model = compiled()
    before = model.get_weights()
    with pytest.raises(error, match=message):
        model.fit(X, Y, **{"verbose": 0, **kwargs})
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_epochs_zero_trains_nothing_and_returns_the_history():
    history = compiled().fit(X, Y, epochs=0, verbose=0)
    assert history.history == {}


def test_supervised_losses_need_targets():
    model = compiled()
    with pytest.raises(ValueError, match=r"fit: the model was compiled with a loss that needs "
                                         r"targets, but no y was given"):
        model.fit(X, None, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: .* no y was given: call evaluate\(x, y\)"):
        model.evaluate(X, verbose=0)
    model.predict(X, verbose=0)  # predicting needs no targets


def test_predict_and_evaluate_reject_bad_steps_and_batch_sizes():
    model = compiled()
    with pytest.raises(ValueError, match=r"predict: `steps` must be None or a positive integer. "
                                         r"Received: steps=-1"):
        model.predict(X, steps=-1, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: `steps` must be None or a positive integer"):
        model.evaluate(X, Y, steps=0, verbose=0)
    with pytest.raises(ValueError, match=r"predict: `batch_size` must be None or a positive "
                                         r"integer"):
        model.predict(X, batch_size=0, verbose=0)


def test_compile_rejects_string_loss_weights_and_warns_about_ignored_arguments():
    model = compiled()
    with pytest.raises(TypeError, match=r"compile: `loss_weights` must hold numbers"):
        model.compile(optimizer="adam", loss="mse", loss_weights="high")
    with pytest.warns(UserWarning, match=r"steps_per_execution=8.*ignored"):
        model.compile(optimizer="adam", loss="mse", steps_per_execution=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.compile(optimizer="adam", loss="mse", run_eagerly=True, jit_compile=False)


def test_ragged_lists_are_named_not_a_numpy_message():
    model = compiled()
    with pytest.raises(ValueError, match=r"x is ragged: its rows have different lengths"):
        model.fit([[1.0, 2.0], [1.0]], [0, 1], verbose=0)


def test_shape_errors_name_the_users_data_shape():
    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match=r"expects data of shape \(None, 28, 28\), but x has "
                                         r"shape \(50, 32, 32\)"):
        model.fit(np.zeros((50, 32, 32)), np.zeros((50, 10)), verbose=0)
    deferred = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
    deferred.compile(optimizer="adam", loss="mse")
    deferred.fit(np.zeros((50, 28, 28)), np.zeros((50, 10)), verbose=0)
    with pytest.raises(ValueError, match=r"x has shape \(50, 32, 32\)"):
        deferred.fit(np.zeros((50, 32, 32)), np.zeros((50, 10)), verbose=0)


def test_a_finite_generator_that_runs_out_stops_training_with_a_warning():
    model = compiled()

    def batches():
        for i in range(0, 40, 10):
            yield X[i:i + 10], Y[i:i + 10]

    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(batches(), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1
    with pytest.warns(UserWarning, match="ran out of data"):
        history = compiled().fit(batches(), steps_per_epoch=3, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 2  # 3 batches, then the last one

    class Reiterable:  # a source that starts again each epoch (as a tf.data.Dataset)
        def __iter__(self):
            return batches()

    history = compiled().fit(Reiterable(), epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3


def test_float64_models_train_evaluate_and_predict_in_float64():
    glassnet.set_floatx("float64")
    try:
        model = compiled()
        assert model.weights[0].dtype == np.float64
        model.fit(X, Y, epochs=1, verbose=0)
        assert model.weights[0].dtype == np.float64
        assert model.predict(X, verbose=0).dtype == np.float64
        assert np.isfinite(model.evaluate(X, Y, verbose=0)[0])
    finally:
        glassnet.set_floatx("float32")


def test_building_a_deep_sequential_is_linear_in_its_depth():
    import time

    def build(n):
        start = time.perf_counter()
        keras.Sequential([keras.Input((8,)), *[keras.layers.Dense(8) for _ in range(n)]])
        return time.perf_counter() - start

    build(50)
    small, large = min(build(200) for _ in range(2)), min(build(800) for _ in range(2))
    # 4x the layers: about 4x the time when linear, 16x when quadratic.
    assert large < 9 * small, (small, large)


def test_inputs_given_as_a_list_of_arrays_must_match_the_models_inputs():
    model = compiled()
    with pytest.raises(ValueError, match=r"the model has 1 input\(s\) .* but x is a list of 2 "
                                         r"arrays"):
        model.predict([X, X], verbose=0)
    np.testing.assert_allclose(model.predict([X], verbose=0), model.predict(X, verbose=0))
    assert model.predict(X.tolist(), verbose=0).shape == (40, 3)  # nested lists are data


def test_predict_names_what_is_wrong_with_x():
    model = compiled()
    with pytest.raises(ValueError, match=r"predict: x is required"):
        model.predict(None)
    with pytest.raises(TypeError, match=r"x must be numeric"):
        model.predict("hello", verbose=0)
    with pytest.raises(ValueError, match=r"x is empty \(shape \(0, 6\)\): it holds no samples"):
        model.predict(np.zeros((0, 6)), verbose=0)


def test_shuffle_callbacks_and_loss_weights_are_checked():
    model = compiled()
    with pytest.raises(TypeError, match=r"`shuffle` must be True, False or 'batch'"):
        model.fit(X, Y, shuffle="yes", verbose=0)
    model.fit(X, Y, shuffle="batch", verbose=0)
    history = model.fit(X, Y, epochs=3, verbose=0,  # one callback alone, as Keras 3 allows
                        callbacks=keras.callbacks.EarlyStopping(monitor="loss", patience=0))
    assert 1 <= len(history.history["loss"]) <= 3
    with pytest.raises(TypeError, match=r"`callbacks` must be a list of Callback instances"):
        model.fit(X, Y, callbacks="early", verbose=0)
    with pytest.raises(ValueError, match=r"`loss_weights` has 2 values for a model with 1 "
                                         r"output"):
        model.compile(optimizer="adam", loss="mse", loss_weights=[1, 2])


def test_a_weight_too_large_to_allocate_names_the_layer():
    with pytest.raises(MemoryError, match=r"Dense 'huge': the weight 'kernel' of shape "
                                          r"\(4, 1000000000000\)"):
        keras.layers.Dense(10 ** 12, name="huge")(np.zeros((1, 4), "float32"))
