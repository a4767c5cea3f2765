"""Bad input to fit/evaluate/predict: each a clear error naming the argument and shapes,
raised before any weight changes."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.keras import layers

X = np.random.default_rng(0).random((40, 6)).astype(np.float32)
Y = np.arange(40) % 3


def compiled(loss="sparse_categorical_crossentropy"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(6,)),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=loss)
    return model


def unchanged(model, before):
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


@pytest.mark.parametrize("x,y,message", [
    (X, Y[:30], r"same number of samples: x has 40 samples \(shape \(40, 6\)\), y has 30"),
    (X, np.where(Y == 2, 3, Y), r"labels must be in \[0, 3\) for a model with 3 outputs; "
                                r"y contains label 3"),
    (X, np.eye(3)[Y], r"These look like one-hot labels: use categorical_crossentropy, or pass "
                      r"labels.argmax\(-1\)"),
    (X[:, :5], Y, r"fit: the model's input '.*' expects data of shape \(None, 6\), but x has "
                  r"shape \(40, 5\)"),
    (np.where(np.arange(240).reshape(40, 6) == 7, np.nan, X), Y,
     r"x contains NaN or inf \(first at index \(1, 1\)\)"),
    (np.zeros((0, 6)), np.zeros(0), r"x is empty \(shape \(0, 6\)\)"),
])
def test_fit_rejects_bad_data_before_training(x, y, message):
    model = compiled()
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.fit(x, y, epochs=1, verbose=0)
    assert unchanged(model, before)


def test_integer_labels_with_a_categorical_loss_suggest_the_fix():
    model = compiled("categorical_crossentropy")
    with pytest.raises(ValueError, match=r"look like integer class labels: use "
                                         r"sparse_categorical_crossentropy, or one-hot encode "
                                         r"them with to_categorical\(y, 3\)"):
        model.fit(X, Y, epochs=1, verbose=0)


def test_fit_before_compile_batch_size_and_validation_split():
    model = keras.Sequential([layers.Dense(3, input_shape=(6,))])
    with pytest.raises(ValueError, match=r"You must call compile\(\) before fit\(\)"):
        model.fit(X, Y, verbose=0)
    model = compiled()
    for bad in (0, -4, 2.5):
        with pytest.raises(ValueError if bad != 2.5 else TypeError,
                           match=rf"`batch_size` must be None or a positive integer. "
                                 rf"Received: batch_size={bad}"):
            model.fit(X, Y, batch_size=bad, verbose=0)
    for bad in (1.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"`validation_split` must be in \[0, 1\)"):
            model.fit(X, Y, validation_split=bad, verbose=0)


def test_first_layer_shape_mismatch_without_an_input_layer():
    model = keras.Sequential([layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.zeros((40, 3)), verbose=0)
    with pytest.raises(ValueError, match=r"fit: the model's input '.*' expects data of shape "
                                         r"\(None, 6\), but x has shape \(40, 4\)"):
        model.fit(X[:, :4], np.zeros((40, 3)), verbose=0)


def test_generators_that_yield_nothing_or_wrong_things():
    model = compiled()
    with pytest.raises(ValueError, match="yielded no batches"):
        model.fit(iter([]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"must yield \(x, y\)"):
        model.fit(iter([X]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match="do not pass y"):
        model.fit(iter([(X, Y)]), Y, verbose=0)
