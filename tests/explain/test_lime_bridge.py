"""The lime bridge on real trained models: lime_tabular on a breast-cancer MLP and
lime_image on an MNIST CNN, each with the prediction contract lime expects; hiding the
superpixels LIME found lowers the class probability more than hiding others."""

import sys

import numpy as np
import pytest

pytest.importorskip("lime")

from glassnet import keras  # noqa: E402
from glassnet.explain import lime_bridge  # noqa: E402


@pytest.fixture(scope="module")
def cancer():
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = data.data.astype("float32")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2)])            # logits
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x[:450], data.target[:450], epochs=20, batch_size=32, verbose=0)
    accuracy = model.evaluate(x[450:], data.target[450:], verbose=0, return_dict=True)
    assert accuracy["accuracy"] > 0.9
    return model, x, list(data.feature_names)


def test_predict_fn_gives_lime_probabilities_or_values(cancer):
    model, x, _ = cancer
    p = lime_bridge.predict_fn(model)(x[:7].astype("float64"))
    assert p.shape == (7, 2) and np.allclose(p.sum(axis=1), 1) and (p >= 0).all()
    logits = model.predict(x[:7], verbose=0)
    np.testing.assert_allclose(p.argmax(1), logits.argmax(1))
    one = keras.Sequential([keras.Input((30,)), keras.layers.Dense(1)])
    values = lime_bridge.predict_fn(one, mode="regression")(x[:5])
    assert values.shape == (5,)
    with pytest.raises(ValueError, match="regression explains one output"):
        lime_bridge.predict_fn(model, mode="regression")(x[:5])
    with pytest.raises(ValueError, match="`mode` must be"):
        lime_bridge.predict_fn(model, mode="ranking")


def test_lime_tabular_explains_the_models_probability_locally(cancer):
    model, x, names = cancer
    explainer = lime_bridge.LimeTabularExplainer(model, x[:450], feature_names=names,
                                                 class_names=["malignant", "benign"],
                                                 random_state=0)
    row = x[460]
    explanation = explainer.explain_instance(row, num_features=5, num_samples=1500)
    features = explanation.as_list()
    assert len(features) == 5 and all(isinstance(w, float) for _, w in features)
    probability = lime_bridge.predict_fn(model)(row[None])[0, 1]
    assert abs(explanation.predict_proba[1] - probability) < 1e-6
    # the local linear model, at the instance, is near the model's probability
    assert abs(explanation.local_pred[0] - probability) < 0.25


def test_lime_image_finds_superpixels_the_cnn_needs(mnist_cnn):
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    model, x, _ = mnist_cnn
    classify = lime_bridge.classifier_fn(model)
    rgb = np.repeat(x[:2], 3, axis=-1)                 # what lime hands the function
    np.testing.assert_allclose(classify(rgb), model.predict(x[:2], verbose=0), rtol=1e-5)
    drops = []
    for image in x[:3]:
        segmenter = SegmentationAlgorithm("slic", n_segments=25, compactness=0.1,
                                          start_label=0)
        explanation = lime_bridge.explain_image(model, image, top_labels=1, num_samples=300,
                                                random_seed=0, segmentation_fn=segmenter)
        label = explanation.top_labels[0]
        assert label == model.predict(image[None], verbose=0).argmax()
        weights = dict(explanation.local_exp[label])
        segments = explanation.segments
        best = max(weights, key=weights.get)
        worst = min(weights, key=weights.get)
        # the image with the best (or worst) superpixel hidden, as lime hides it
        hidden = np.stack([image[..., 0] * (segments != s) for s in (-1, best, worst)])
        p = classify(np.repeat(hidden[..., None], 3, axis=-1))[:, label]
        drops.append((p[0] - p[1], p[0] - p[2]))
    drops = np.array(drops)
    assert drops[:, 0].mean() > drops[:, 1].mean()


def test_lime_errors_and_missing_extra(monkeypatch, mnist_cnn):
    model, x, _ = mnist_cnn
    with pytest.raises(ValueError, match=r"expected one image \(H, W\)"):
        lime_bridge.explain_image(model, x[:2])
    with pytest.raises(ValueError, match="`output` must be one of"):
        lime_bridge.classifier_fn(model, output="scores")(np.repeat(x[:1], 3, axis=-1))
    monkeypatch.setitem(sys.modules, "lime", None)
    with pytest.raises(ImportError, match="needs lime: pip install lime"):
        lime_bridge.explain_image(model, x[0])
