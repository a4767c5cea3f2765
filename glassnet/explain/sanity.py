"""The sanity checks of Adebayo et al. (2018), "Sanity Checks for Saliency Maps": an
explanation that does not change when the model's weights or the training labels are
randomised explains the input, not the model.

- Cascading randomisation: the layers' weights are replaced by fresh initial ones from the
  output layer down, one more layer at each step.
- Independent randomisation: one layer at a time, the others trained.
- Label randomisation: the same architecture trained on shuffled labels.

Each compares the attributions with the trained model's by the Spearman rank correlation of
their absolute values per sample (averaged over the samples), or of the signed values
(``absolute=False``; the paper reports both: the absolute value hides a flipped sign, and on
inputs with a constant background, such as MNIST's zeros, it ranks every method that
multiplies by the input alike before and after); a method passes when the
correlation falls (below ``threshold``) once every layer is randomised, and for the
label-randomised model.
"""

from __future__ import annotations

import numpy as np

from glassnet.io.clone import clone_model
from glassnet.io.compile_config import compile_config, compile_from_config


def _ranks(a):
    """Each row's ranks (0-based), tied values sharing their average rank, in one sort of
    every row together (sorted by row, then by value)."""
    m, n = a.shape
    rows = np.repeat(np.arange(m), n)
    order = np.lexsort((a.ravel(), rows))
    values, rows_sorted = a.ravel()[order], rows[order]
    starts = np.r_[True, (values[1:] != values[:-1]) | (rows_sorted[1:] != rows_sorted[:-1])]
    group = np.cumsum(starts) - 1
    position = np.arange(m * n) - rows_sorted * n  # the rank within its row, ties broken
    first = position[starts]
    average = first + (np.bincount(group) - 1) / 2.0
    ranks = np.empty(m * n)
    ranks[order] = average[group]
    return ranks.reshape(m, n)


def spearman(a, b, absolute=True):
    """The mean over samples of the Spearman rank correlation of |a| and |b| (of a and b
    themselves with ``absolute=False``; each sample flattened; ties share their average
    rank). A constant map correlates 0."""
    ra, rb = (_ranks((np.abs(v) if absolute else np.asarray(v)).reshape(len(v), -1))
              for v in (a, b))
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    denominator = np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
    rho = np.divide((ra * rb).sum(axis=1), denominator, out=np.zeros(len(ra)),
                    where=denominator > 0)
    return float(rho.mean())


class SanityReport:
    """Correlations with the trained model's attributions: ``cascading`` and
    ``independent`` as [(layer name, rho)], ``labels`` a number or None."""

    def __init__(self, method, cascading, independent, labels, threshold):
        self.method, self.threshold = method, threshold
        self.cascading, self.independent, self.labels = cascading, independent, labels

    @property
    def passes(self):
        """Whether the attributions lose their likeness once the model is randomised."""
        ok = bool(self.cascading) and abs(self.cascading[-1][1]) < self.threshold
        return ok and (self.labels is None or abs(self.labels) < self.threshold)

    def __repr__(self):
        steps = ", ".join(f"{name}: {rho:.2f}" for name, rho in self.cascading)
        labels = "" if self.labels is None else f"; shuffled labels: {self.labels:.2f}"
        return (f"<SanityReport {self.method}: cascading {steps}{labels}; "
                f"{'passes' if self.passes else 'fails'}>")


def _explain(method, model, x, target, kwargs):
    return np.asarray(method(model).attribute(x, target=target, **kwargs))


def sanity_check(method, model, x, target=None, y=None, fit_kwargs=None, threshold=0.5,
                 absolute=True, **attribute_kwargs):
    """Run the checks for ``method`` (an attribution class, e.g. ``Saliency``, or any
    callable from a model to an object with ``attribute``) on ``model`` and inputs ``x``.

    Args:
        target: passed to ``attribute`` (an int or one per sample).
        y: training labels for the label randomisation, which trains a fresh copy of the
            model (compiled as ``model`` is) on ``x`` with ``y`` shuffled; left out when None.
        fit_kwargs: for that training (default ``epochs=5, verbose=0``).
        threshold: the |rho| below which a randomised model counts as explained differently.
        absolute: rank |attribution| (True) or the signed attribution.

    >>> import numpy as np
    >>> from glassnet import keras
    >>> from glassnet.explain import Saliency
    >>> keras.utils.set_random_seed(0)
    >>> model = keras.Sequential([keras.Input((6,)),
    ...                           keras.layers.Dense(8, activation="tanh", name="hidden"),
    ...                           keras.layers.Dense(2, name="scores")])
    >>> report = sanity_check(Saliency, model, np.ones((4, 6), "float32"), target=0)
    >>> [name for name, _ in report.cascading]  # from the output down
    ['scores', 'hidden']
    """
    layers = [layer for layer in model.layers if layer.weights]
    if not layers:
        raise ValueError("sanity_check: the model has no layers with weights to randomise")
    x = np.asarray(x, dtype=np.float32)
    original = _explain(method, model, x, target, attribute_kwargs)
    fresh = clone_model(model)  # the same architecture, weights drawn by the initializers
    fresh_layers = {layer.name: layer for layer in fresh.layers}
    trained = model.get_weights()
    cascading, independent = [], []
    try:
        for layer in reversed(layers):  # from the output down, one more layer each step
            layer.set_weights(fresh_layers[layer.name].get_weights())
            cascading.append((layer.name, spearman(
                original, _explain(method, model, x, target, attribute_kwargs), absolute)))
        model.set_weights(trained)
        for layer in reversed(layers):
            saved = layer.get_weights()
            layer.set_weights(fresh_layers[layer.name].get_weights())
            independent.append((layer.name, spearman(
                original, _explain(method, model, x, target, attribute_kwargs), absolute)))
            layer.set_weights(saved)
    finally:
        model.set_weights(trained)
    labels = None
    if y is not None:
        if not getattr(model, "compiled", False):
            raise ValueError("sanity_check: label randomisation retrains the model as it was "
                             "compiled; compile it first (or leave y out)")
        shuffled = np.random.default_rng(0).permutation(np.asarray(y))
        # compiled as the model is, with an optimizer of its own
        compile_from_config(fresh, compile_config(model), None, "sanity_check")
        fresh.fit(x, shuffled, **({"epochs": 5, "verbose": 0} | (fit_kwargs or {})))
        labels = spearman(original, _explain(method, fresh, x, target, attribute_kwargs),
                          absolute)
    name = getattr(method, "__name__", type(method).__name__)
    return SanityReport(name, cascading, independent, labels, threshold)

