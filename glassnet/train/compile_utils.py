"""What ``compile`` configures: a loss per output (weighted) and metrics per output.

Both are resolved on the first batch, when the shapes of labels and outputs are known (so
"accuracy" can become binary, categorical or sparse categorical, as in Keras).

Fusion: a model whose output is a softmax (or sigmoid) trained with categorical (or binary)
cross-entropy on probabilities is trained on the logits instead: the loss is computed from
the softmax's input with ``from_logits=True``. The gradient with respect to the logits is
then exactly (p - y) / N, one fused op, and log(0) never happens.
"""

from __future__ import annotations

import copy

import numpy as np

from glassnet import backend
from glassnet import losses as losses_module
from glassnet import metrics as metrics_module
from glassnet.autograd.ops.activation import Sigmoid, Softmax
from glassnet.losses.base import masked_sample_weight


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
    if isinstance(spec, (list, tuple)) and n > 1 and spec and \
            all(s is None or isinstance(s, (list, tuple)) for s in spec):
        # Keras's nested form, metrics=[[for output 1], [for output 2]]
        if len(spec) != n:
            raise ValueError(f"compile: {what} as a list of lists needs one list per output "
                             f"({n}); received {len(spec)}")
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
                    getattr(out, "_keras_mask", None) is None and \
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


class CompileMetrics:
    """Keras 3's ``compile_metrics``: one metric that holds the compiled metrics of every
    output, resolved from the first batch's shapes; ``result()`` is a dict of their results.

    ``metrics`` are computed unweighted and ``weighted_metrics`` with the batch's
    ``sample_weight``, as Keras does.
    """

    name = "compile_metrics"

    def __init__(self, metrics, weighted_metrics, output_names, losses):
        self.spec, self.weighted_spec = metrics, weighted_metrics
        self.output_names = list(output_names)
        self.losses = losses
        self.per_output = None  # [[(metric, weighted), ...] per output]
        self.copies = False  # whether user metric instances are copied (evaluate's sets)

    def fresh(self):
        """An unused copy (same metrics, own state), for one call of evaluate."""
        copy_ = CompileMetrics(self.spec, self.weighted_spec, self.output_names, self.losses)
        copy_.copies = True
        if self.per_output is not None:
            copy_.per_output = [[(copy.deepcopy(m), w) for m, w in ms]
                                for ms in self.per_output]
            copy_.reset_state()
        return copy_

    def build(self, ys, outputs):
        plain = _per_output(self.spec or [], self.output_names, "metrics")
        weighted = _per_output(self.weighted_spec or [], self.output_names, "weighted_metrics")
        self.per_output = []
        for i, (y, out) in enumerate(zip(ys, outputs)):
            resolved = []
            for specs, is_weighted in ((plain[i], False), (weighted[i], True)):
                specs = [] if specs is None else \
                    (specs if isinstance(specs, (list, tuple)) else [specs])
                for item in specs:
                    m = metrics_module.get(item, np.shape(y), tuple(out.shape), self.losses[i])
                    if m is item:
                        # The user's own instance: fit counts on it (as Keras, so it can be
                        # read after training), each evaluate on a copy of its own; both
                        # start from zero, so none carries another's counts.
                        if self.copies or any(m is other for other, _ in resolved):
                            m = copy.deepcopy(m)
                        m.reset_state()
                    if len(self.output_names) > 1:
                        m.name = f"{self.output_names[i]}_{m.name}"
                    if is_weighted and isinstance(item, str):
                        m.name = f"weighted_{m.name}"
                    resolved.append((m, is_weighted))
            self.per_output.append(resolved)

    @property
    def metrics(self):
        return [m for ms in (self.per_output or []) for m, _ in ms]

    def update_state(self, y_true, y_pred, sample_weight=None):
        ys = y_true if len(self.output_names) > 1 else [y_true]
        outputs = y_pred if len(self.output_names) > 1 else [y_pred]
        if self.per_output is None:
            self.build(ys, outputs)
        for ms, y, out in zip(self.per_output, ys, outputs):
            pred = out.data if hasattr(out, "data") else out
            mask = getattr(out, "_keras_mask", None)
            if mask is None:
                for m, is_weighted in ms:
                    m.update_state(y, pred, sample_weight if is_weighted else None)
                continue
            # Padded timesteps count in no metric (Keras weighs them 0, weighted or not).
            masked = masked_sample_weight(sample_weight, mask, "sum")
            plain = masked_sample_weight(None, mask, "sum")
            for m, is_weighted in ms:
                m.update_state(y, pred, masked if is_weighted else plain)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def result(self):
        return {m.name: _number(m.result()) for m in self.metrics}


def _number(value):
    if value.__class__ is float or backend.on_device(value):  # a device value is read later
        return value
    return float(value) if np.ndim(value) == 0 else value


class StepMetrics:
    """The metrics one fit or evaluate call accumulates: the loss (and each output's loss
    for several outputs) and the compiled metrics. ``evaluate`` works on a fresh set, so
    threads evaluating one model never share state."""

    def __init__(self, compile_metrics, output_names):
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.output_loss_trackers = [metrics_module.Mean(name=f"{n}_loss")
                                     for n in output_names] if len(output_names) > 1 else []
        self.compile_metrics = compile_metrics
        self.last_output_losses = None  # set by compute_loss, read by the default steps
        # tf.keras 2's add_metric: one Mean per name, made at its first value.
        self.added_metrics = {}
        self.started = False  # whether a batch was counted (Keras lists the output losses)

    def fresh(self):
        return StepMetrics(self.compile_metrics.fresh(), self.compile_metrics.output_names)

    @property
    def metrics(self):
        """Keras 3's order: the loss, ``compile_metrics``, then each output's loss (once a
        batch has made them), then tf.keras 2's added metrics."""
        return [self.loss_tracker, self.compile_metrics,
                *(self.output_loss_trackers if self.started else []),
                *self.added_metrics.values()]

    def update_added(self, values):
        """Average each ``(name, value)`` of ``add_metric`` into its Mean (over the value's
        elements, then over the batches)."""
        for name, value in values:
            metric = self.added_metrics.get(name)
            if metric is None:
                metric = self.added_metrics[name] = metrics_module.Mean(name=name)
            metric.update_state(value.data if hasattr(value, "data") else value)

    def reset(self):
        self.loss_tracker.reset_state()
        for m in self.output_loss_trackers:
            m.reset_state()
        self.compile_metrics.reset_state()
        for m in self.added_metrics.values():
            m.reset_state()
