"""glassnet.viz's plots on a small trained CNN: each writes a valid, non-blank PNG and
returns the figure; bad input names what is wrong."""

import numpy as np
import pytest

from glassnet import keras, viz

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((64, 12, 12, 1)).astype("float32")
    y = (x[:, :6].mean(axis=(1, 2, 3)) > x[:, 6:].mean(axis=(1, 2, 3))).astype("int64")
    model = keras.Sequential([keras.Input((12, 12, 1)),
                              keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax",
                                                                         name="out")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    return model, history, x, y


def _check_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG, path
    pixels = np.asarray(Image.open(path).convert("L"), float)
    assert pixels.std() > 1.0, f"{path} looks blank"


def test_every_plot_writes_a_png_that_is_not_blank(trained, tmp_path):
    model, history, x, y = trained
    figures = {
        "history": viz.plot_history(history, tmp_path / "history.png"),
        "activations": viz.plot_activations(model, x[:1], "conv", tmp_path / "act.png"),
        "dense": viz.plot_activations(model, x[:1], "out", tmp_path / "dense.png"),
        "filters": viz.plot_filters(model.get_layer("conv"), tmp_path / "filters.png"),
        "weights": viz.plot_weight_histograms(
            model, tmp_path / "weights.png",
            gradients=[np.ones(w.shape) for w in model.weights]),
        "confusion": viz.plot_confusion_matrix(y, model.predict(x, verbose=0),
                                               tmp_path / "confusion.png",
                                               class_names=["left", "right"]),
        "attribution": viz.plot_attribution(x[0], np.abs(x[0] - 0.5),
                                            tmp_path / "attribution.png"),
    }
    for name, figure in figures.items():
        assert figure.axes, name
    for path in tmp_path.glob("*.png"):
        _check_png(path)
    assert len(list(tmp_path.glob("*.png"))) == 7


def test_plots_name_what_is_wrong(trained):
    model, history, x, _ = trained
    with pytest.raises(ValueError, match="no metric 'auc'"):
        viz.plot_history(history, metrics=["auc"])
    with pytest.raises(ValueError, match="a batch of 1"):
        viz.plot_activations(model, x[:2], "conv")
    with pytest.raises(ValueError, match="2-D convolution"):
        viz.plot_filters(model.get_layer("out"))
    with pytest.raises(ValueError, match="3 labels but 2 predictions"):
        viz.plot_confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="differ from the image"):
        viz.plot_attribution(x[0], np.ones((5, 5)))
