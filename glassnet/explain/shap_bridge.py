"""SHAP (Lundberg & Lee, 2017) on glassnet models: shap's own explainers fed by glassnet's
batched predict, and ``GradientExplainer``, shap's expected gradients on glassnet's input
gradients (shap's version needs TensorFlow or PyTorch).

Shapley values split a prediction among the features: ``phi_i`` is feature i's average
marginal contribution over all orders of adding features, so that
``sum_i phi_i = f(x) - E[f(background)]``. ``KernelExplainer`` estimates them by weighted
linear regression on coalitions (model-agnostic, any shape flattened to rows); expected
gradients average ``(x - x') * grad f(x' + t (x - x'))`` over background rows x' and t in
U(0, 1), integrated gradients with the baseline drawn from the data.

    from glassnet.explain import shap_bridge
    explainer = shap_bridge.KernelExplainer(model, background)      # a shap.KernelExplainer
    values = explainer.shap_values(x_test[:10])                     # (10, features, classes)

shap is an extra: ``pip install shap``.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.explain import _core
from glassnet.explain._predict import BatchedPredict, require


def predict_function(model, batch_size=256):
    """``f(X) -> ndarray (n, outputs)``, float64: the function shap's model-agnostic
    explainers call. Flat rows are reshaped to the model's input shape, so an image model can
    be explained on flattened pixels; at most ``batch_size`` rows reach the model at once."""
    return BatchedPredict(model, batch_size, "shap_bridge.predict_function")


def KernelExplainer(model, data, link="identity", batch_size=256, **kwargs):  # noqa: N802
    """A ``shap.KernelExplainer`` on ``model``'s batched predict and the background ``data``
    (rows, samples flattened to rows, or shap's summaries such as ``shap.kmeans``); every
    shap argument passes through."""
    shap = require("shap", "glassnet.explain.shap_bridge")
    if isinstance(data, (np.ndarray, list, tuple)):   # else shap's own (kmeans, DataFrame)
        data = np.asarray(data, dtype=np.float64)
        data = data.reshape(len(data), -1)
    return shap.KernelExplainer(predict_function(model, batch_size), data, link=link, **kwargs)


def Explainer(model, masker, batch_size=256, **kwargs):  # noqa: N802
    """A ``shap.Explainer`` on ``model``'s batched predict with ``masker`` (background rows,
    ``shap.maskers.Independent``, ``shap.maskers.Image``, ...)."""
    shap = require("shap", "glassnet.explain.shap_bridge")
    return shap.Explainer(predict_function(model, batch_size), masker, **kwargs)


class GradientExplainer:
    """Expected gradients with shap's ``GradientExplainer`` contract, on glassnet's autograd.

    With ``local_smoothing=0`` the random draws are shap's own (``rseed`` seeds NumPy's
    legacy generator, and each output reuses the draws as shap does), so the values equal
    shap's GradientExplainer on the same network in PyTorch.

    >>> import numpy as np
    >>> from glassnet import keras
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> values = GradientExplainer(model, np.zeros((4, 3), "float32")).shap_values(
    ...     np.ones((5, 3), "float32"), nsamples=20, rseed=0)
    >>> values.shape   # (samples, features, outputs), as shap 0.51
    (5, 3, 2)
    """

    def __init__(self, model, data, batch_size=50, local_smoothing=0.0):
        self.model = model
        self.data = _core.as_inputs(data, "GradientExplainer")
        self.batch_size = _core.positive_int(batch_size, "batch_size", "GradientExplainer")
        if not isinstance(local_smoothing, numbers.Real) or local_smoothing < 0:
            raise ValueError(f"GradientExplainer: `local_smoothing` must be a non-negative "
                             f"number; received {local_smoothing!r}")
        self.local_smoothing = float(local_smoothing)
        self.forward = _core.Forward(model, "GradientExplainer")
        self.predict = BatchedPredict(model, 256, "GradientExplainer")

    def _ranks(self, x, ranked_outputs, order):
        out = self.predict(x)
        if ranked_outputs is None:
            return np.tile(np.arange(out.shape[1]), (len(x), 1))
        key = {"max": -out, "min": out, "max_abs": -np.abs(out)}.get(order)
        if key is None:
            raise ValueError(f"GradientExplainer: `output_rank_order` must be 'max', 'min' or "
                             f"'max_abs'; received {order!r}")
        return np.argsort(key, axis=1, kind="stable")[:, :int(ranked_outputs)]

    def _draws(self, n, nsamples, rseed):
        """shap's draws: for each sample, for each of nsamples, a background row then t."""
        rs = np.random.RandomState(rseed)
        rows, ts = np.empty((n, nsamples), np.int64), np.empty((n, nsamples))
        for j in range(n):   # the legacy generator's scalar order, as shap draws them
            for k in range(nsamples):
                rows[j, k] = rs.choice(len(self.data))
                ts[j, k] = rs.uniform()
        return rows, ts

    def shap_values(self, X, nsamples=200, ranked_outputs=None, output_rank_order="max",
                    rseed=None):
        """Values (n, *features, outputs); with ``ranked_outputs`` the tuple
        ``(values (n, *features, ranked_outputs), indexes (n, ranked_outputs))``."""
        x = _core.as_inputs(X, "GradientExplainer")
        if x.shape[1:] != self.data.shape[1:]:
            raise ValueError(f"GradientExplainer: `X` must have samples shaped like the "
                             f"background data {self.data.shape[1:]}; received {x.shape}")
        nsamples = _core.positive_int(nsamples, "nsamples", "GradientExplainer")
        if rseed is None:
            rseed = int(np.random.default_rng().integers(0, 10**6))
        ranks = self._ranks(x, ranked_outputs, output_rank_order)
        rows, ts = self._draws(len(x), nsamples, rseed)
        feat = (1,) * (x.ndim - 1)
        xs = np.broadcast_to(x[None], (nsamples, *x.shape))
        if self.local_smoothing > 0:
            xs = xs + np.random.default_rng(rseed).normal(
                0.0, self.local_smoothing, xs.shape).astype(x.dtype)
        background = self.data[rows.T]                     # (nsamples, n, *features)
        t = ts.T.reshape(ts.T.shape + feat).astype(x.dtype)
        points = t * xs + (1 - t) * background
        delta = xs - background
        values = []
        for i in range(ranks.shape[1]):
            grads = _core.gradients(self.forward, points, ranks[:, i], None, self.batch_size)
            values.append((grads * delta).mean(axis=0))
        values = np.stack(values, axis=-1)
        return values if ranked_outputs is None else (values, ranks)

    def __call__(self, X, nsamples=200, rseed=None):
        """A ``shap.Explanation`` of every output (base values: the mean output on the
        background data)."""
        shap = require("shap", "glassnet.explain.shap_bridge")
        x = _core.as_inputs(X, "GradientExplainer")
        values = self.shap_values(x, nsamples=nsamples, rseed=rseed)
        base = np.broadcast_to(self.predict(self.data).mean(axis=0), (len(x), values.shape[-1]))
        return shap.Explanation(values, base_values=base, data=x)
