"""model.summary's Keras options: show_trainable, expand_nested, layer_range."""

import pytest

from glassnet import keras


def _model():
    base = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner")],
                            name="base")
    base.trainable = False
    x = keras.Input((4,), name="x")
    return keras.Model(x, keras.layers.Dense(2, name="head")(base(x)))


def _lines(**options):
    printed = []
    _model().summary(print_fn=printed.append, **options)
    return printed[0].splitlines()


def test_show_trainable_adds_keras_column():
    lines = _lines(show_trainable=True)
    assert "Trainable" in lines[2]
    rows = {line.split("│")[1].strip(): line.split("│")[4].strip()
            for line in lines if line.startswith("│")}
    assert rows == {"x (InputLayer)": "-", "base (Sequential)": "N", "head (Dense)": "Y"}
    assert "Trainable" not in _lines()[2]  # the header row


def test_expand_nested_and_layer_range():
    expanded = "\n".join(_lines(expand_nested=True))
    assert "└ inner (Dense)" in expanded
    ranged = [line for line in _lines(layer_range=["base", "head"]) if line.startswith("│")]
    assert [line.split("│")[1].strip() for line in ranged] == ["base (Sequential)",
                                                               "head (Dense)"]
    with pytest.raises(ValueError, match="'nope', which is not a layer"):
        _model().summary(layer_range=["nope", "head"])
    with pytest.raises(ValueError, match="length 2"):
        _model().summary(layer_range=["head"])
