"""What ``compile`` configures: a loss per output (weighted) and metrics per output.

Both are resolved on the first batch, when the shapes of labels and outputs are known (so
"accuracy" can become binary, categorical or sparse categorical, as in Keras).

Fusion: a model whose output is a softmax (or sigmoid) trained with categorical (or binary)
cross-entropy on probabilities is trained on the logits instead: the loss is computed from
the softmax's input with ``from_logits=True``. The gradient with respect to the logits is
then exactly (p - y) / N, one fused op, and log(0) never happens.
"""

from __future__ import annotations

import numpy as np

from glassnet import losses as losses_module
from glassnet import metrics as metrics_module
from glassnet.autograd.ops.activation import Sigmoid, Softmax


def _per_output(spec, output_names, what):
    """Spread a compile argument over the outputs: one value for all, a list, or a dict."""
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(f"compile: {what} names unknown output(s) {unknown}; the model's "
                             f"outputs are {list(output_names)}")
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)) and n > 1 and what == "loss":
        if len(spec) != n:
            raise ValueError(f"compile: {len(spec)} losses given for {n} outputs")
        return list(spec)
    return [spec] * n


def _fused_version(loss):
    if isinstance(loss, losses_module.CategoricalCrossentropy) and \
            not loss.kwargs["from_logits"]:
        return Softmax, losses_module.CategoricalCrossentropy(
            from_logits=True, label_smoothing=loss.kwargs["label_smoothing"],
            reduction=loss.reduction, name=loss.name)
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy) and \
            not loss.kwargs["from_logits"]:
        return Softmax, losses_module.SparseCategoricalCrossentropy(
            from_logits=True, reduction=loss.reduction, name=loss.name)
    if isinstance(loss, losses_module.BinaryCrossentropy) and not loss.kwargs["from_logits"]:
        return Sigmoid, losses_module.BinaryCrossentropy(
            from_logits=True, label_smoothing=loss.kwargs["label_smoothing"],
            reduction=loss.reduction, name=loss.name)
    return None, None


class CompiledLoss:
    """The total loss: sum over outputs of weight * loss(y, output)."""

    def __init__(self, loss, loss_weights, output_names):
        if loss is None:
            raise ValueError("compile: `loss` is required to train or evaluate a model")
        self.output_names = list(output_names)
        self.losses = [None if spec is None else losses_module.get(spec)
                       for spec in _per_output(loss, output_names, "loss")]
        weights = _per_output(1.0 if loss_weights is None else loss_weights, output_names,
                              "loss_weights")
        if isinstance(loss_weights, (list, tuple)) and len(output_names) > 1:
            weights = list(loss_weights)
        self.weights = [1.0 if w is None else float(w) for w in weights]
        self.fused = [_fused_version(loss) if loss is not None else (None, None)
                      for loss in self.losses]

    def __call__(self, ys, outputs, sample_weight=None):
        """The weighted total (a tensor) and each output's loss (tensors)."""
        total, parts = None, []
        for i, (loss, out) in enumerate(zip(self.losses, outputs)):
            if loss is None:
                continue
            fn = self.fused[i]
            producer = out.grad_fn
            if fn[0] is not None and type(producer) is fn[0] and \
                    getattr(producer, "axis", out.ndim - 1) == out.ndim - 1:
                value = fn[1](ys[i], producer.inputs[0], sample_weight)
            else:
                value = loss(ys[i], out, sample_weight)
            parts.append(value)
            weighted = value if self.weights[i] == 1.0 else value * self.weights[i]
            total = weighted if total is None else total + weighted
        return total, parts

    def is_sparse(self, i):
        return isinstance(self.losses[i], losses_module.SparseCategoricalCrossentropy)


class CompiledMetrics:
    """Metrics per output, resolved from the first batch's shapes, plus the loss trackers."""

    def __init__(self, metrics, output_names, losses):
        self.spec = metrics
        self.output_names = list(output_names)
        self.losses = losses
        self.per_output = None
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.output_loss_trackers = [metrics_module.Mean(name=f"{n}_loss")
                                     for n in output_names] if len(output_names) > 1 else []

    def build(self, ys, outputs):
        specs = _per_output(self.spec or [], self.output_names, "metrics")
        self.per_output = []
        for i, (spec, y, out) in enumerate(zip(specs, ys, outputs)):
            spec = [] if spec is None else (spec if isinstance(spec, (list, tuple)) else [spec])
            resolved = []
            for item in spec:
                m = metrics_module.get(item, np.shape(y), tuple(out.shape), self.losses[i])
                if len(self.output_names) > 1:
                    m.name = f"{self.output_names[i]}_{m.name}"
                resolved.append(m)
            self.per_output.append(resolved)

    @property
    def metrics(self):
        return [self.loss_tracker, *self.output_loss_trackers,
                *(m for ms in (self.per_output or []) for m in ms)]

    def reset(self):
        for m in self.metrics:
            m.reset_state()

    def update(self, loss_value, parts, ys, outputs, sample_weight, batch_size):
        self.loss_tracker.update_state(loss_value, sample_weight=batch_size)
        for tracker, part in zip(self.output_loss_trackers, parts):
            tracker.update_state(float(part.data), sample_weight=batch_size)
        if ys is None:
            return
        if self.per_output is None:
            self.build(ys, outputs)
        for ms, y, out in zip(self.per_output, ys, outputs):
            for m in ms:
                m.update_state(y, out.data, sample_weight)

    def results(self):
        return {m.name: float(m.result()) if np.ndim(m.result()) == 0 else m.result()
                for m in self.metrics}
