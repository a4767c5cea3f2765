"""LIME (Ribeiro et al., 2016) on glassnet models: the prediction functions lime's explainers
call, with lime's contract, and explainers that need only the model.

LIME fits a sparse linear model to the model's answers on perturbations of one input
(superpixels switched off for images, features resampled for tables), weighted by
closeness to the input; its coefficients are the explanation.

- ``lime_image`` calls ``classifier_fn(images)`` with RGB images (n, H, W, 3) (it turns a
  grayscale image into RGB first) and wants (n, classes) probabilities;
- ``lime_tabular`` calls ``predict_fn(rows)`` with (n, features) and wants (n, classes)
  probabilities, or (n,) values in regression mode.

Outputs: ``output="auto"`` passes rows that are already probabilities (in [0, 1], summing to
1), turns one sigmoid column into two (1 - p, p) and applies the softmax to anything else
(logits); ``"probabilities"`` and ``"logits"`` say which it is. lime is an extra:
``pip install lime``.
"""

from __future__ import annotations

import numpy as np

from glassnet.explain._predict import BatchedPredict, input_shape, require

_OUTPUTS = ("auto", "probabilities", "logits")


def _as_probabilities(out, output, owner):
    if output not in _OUTPUTS:
        raise ValueError(f"{owner}: `output` must be one of {_OUTPUTS}; received {output!r}")
    if out.shape[1] == 1 and output != "logits":
        p = out[:, 0]
        return np.stack([1 - p, p], axis=1)           # one sigmoid unit: two classes
    if output == "probabilities" or (output == "auto" and out.min() >= 0 and out.max() <= 1
                                     and np.allclose(out.sum(axis=1), 1, atol=1e-4)):
        return out
    if out.shape[1] == 1:
        p = 1 / (1 + np.exp(-out[:, 0]))
        return np.stack([1 - p, p], axis=1)
    e = np.exp(out - out.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def classifier_fn(model, batch_size=256, output="auto"):
    """``f(images (n, H, W, 3)) -> (n, classes)`` probabilities for
    ``LimeImageExplainer.explain_instance``; a model of one input channel gets the mean of
    the three (which undoes lime's gray-to-RGB exactly)."""
    owner = "lime_bridge.classifier_fn"
    predict = BatchedPredict(model, batch_size, owner)
    shape = input_shape(model)

    def f(images):
        images = np.asarray(images, dtype=np.float32)
        if images.ndim == 4 and images.shape[-1] == 3 and shape is not None \
                and len(shape) == 3 and shape[-1] == 1:
            images = images.mean(axis=-1, keepdims=True)
        elif images.ndim == 4 and images.shape[-1] == 3 and shape is not None \
                and len(shape) == 2:
            images = images.mean(axis=-1)
        return _as_probabilities(predict(images), output, owner)

    return f


def predict_fn(model, mode="classification", batch_size=256, output="auto"):
    """``f(rows (n, features))`` for ``LimeTabularExplainer.explain_instance``: (n, classes)
    probabilities, or (n,) values with ``mode="regression"``."""
    owner = "lime_bridge.predict_fn"
    if mode not in ("classification", "regression"):
        raise ValueError(f"{owner}: `mode` must be 'classification' or 'regression'; "
                         f"received {mode!r}")
    predict = BatchedPredict(model, batch_size, owner)

    def f(rows):
        out = predict(rows)
        if mode == "regression":
            if out.shape[1] != 1:
                raise ValueError(f"{owner}: regression explains one output; the model "
                                 f"returns {out.shape[1]} per sample")
            return out[:, 0]
        return _as_probabilities(out, output, owner)

    return f


def explain_image(model, image, top_labels=5, num_samples=1000, hide_color=0,
                  random_seed=None, batch_size=256, output="auto", **kwargs):
    """lime's ``ImageExplanation`` of ``model`` on one image (H, W), (H, W, 1) or
    (H, W, 3); further arguments (``segmentation_fn``, ``num_features``, ...) go to
    ``LimeImageExplainer.explain_instance``."""
    require("lime", "glassnet.explain.lime_bridge")
    from lime import lime_image

    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[-1] != 3):
        raise ValueError(f"explain_image: expected one image (H, W), (H, W, 1) or (H, W, 3); "
                         f"received shape {image.shape}")
    explainer = lime_image.LimeImageExplainer(random_state=random_seed)
    return explainer.explain_instance(image, classifier_fn(model, batch_size, output),
                                      top_labels=top_labels, num_samples=num_samples,
                                      hide_color=hide_color, random_seed=random_seed,
                                      batch_size=batch_size, **kwargs)


class LimeTabularExplainer:
    """lime's ``LimeTabularExplainer`` bound to ``model``: ``explain_instance(row)`` needs no
    prediction function. Other arguments are lime's (``feature_names``, ``class_names``,
    ``discretize_continuous``, ``random_state``, ...).

    >>> import numpy as np
    >>> from glassnet import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    >>> data = np.random.default_rng(0).normal(size=(50, 3))
    >>> explainer = LimeTabularExplainer(model, data, random_state=0)
    >>> len(explainer.explain_instance(data[0], num_features=2, num_samples=200).as_list())
    2
    """

    def __init__(self, model, training_data, mode="classification", batch_size=256,
                 output="auto", **kwargs):
        require("lime", "glassnet.explain.lime_bridge")
        from lime import lime_tabular

        self.predict_fn = predict_fn(model, mode, batch_size, output)
        self.explainer = lime_tabular.LimeTabularExplainer(np.asarray(training_data),
                                                           mode=mode, **kwargs)

    def explain_instance(self, data_row, num_features=10, **kwargs):
        """lime's ``Explanation`` of one row (``labels``, ``top_labels``, ``num_samples``,
        ... as lime's)."""
        return self.explainer.explain_instance(np.asarray(data_row), self.predict_fn,
                                               num_features=num_features, **kwargs)
