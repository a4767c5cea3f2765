"""``Trainer``: what makes a model trainable, Keras's compile/fit/evaluate/predict.

Mixed into ``Model``; it works on whatever the model computes in ``call``. One training step
runs the forward pass, the compiled loss (fused with a softmax/sigmoid output, see
``compile_utils``), backward, the optimizer, and the metrics on the outputs already computed.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, optim, parallel
from glassnet import metrics as metrics_module
from glassnet.autograd.grad_mode import no_grad
from glassnet.train import callbacks as callbacks_module
from glassnet.train.compile_utils import CompiledLoss, CompiledMetrics
from glassnet.train.data_adapter import (
    ArrayBatches,
    GeneratorBatches,
    flatten_structure,
    is_generator_like,
    subset,
    with_class_weight,
)
from glassnet.train.diagnose import first_non_finite


class Trainer:
    """compile, fit, evaluate, predict and the per-batch APIs, for a ``Model``."""

    # -- compile --------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure training: optimizer, loss (per output), metrics and loss weights.

        ``run_eagerly``, ``steps_per_execution``, ``jit_compile`` and ``auto_scale_loss``
        are accepted for compatibility: glassnet always runs eagerly, one step at a time.
        """
        self.optimizer = optim.get(optimizer)
        self._loss_spec, self._metrics_spec = loss, metrics
        self._loss_weights = loss_weights
        self._compiled_loss = None
        self._compiled_metrics = None
        self.compiled = True
        # Resolve names now, so an unknown loss or metric fails at compile (as in Keras).
        if loss is not None:
            self._require_compiled("compile")
        for spec in _named_metrics(metrics):
            metrics_module.get(spec)

    def _require_compiled(self, what):
        if not self.compiled:
            raise ValueError(f"You must call compile() before {what}(): the model needs an "
                               f"optimizer and a loss, e.g. model.compile(optimizer='adam', "
                               f"loss='sparse_categorical_crossentropy', metrics=['accuracy'])")
        if self._compiled_loss is None:
            names = self.output_names
            self._compiled_loss = CompiledLoss(self._loss_spec, self._loss_weights, names)
            self._compiled_metrics = CompiledMetrics(self._metrics_spec, names,
                                                     self._compiled_loss.losses)

    @property
    def metrics(self):
        return self._compiled_metrics.metrics if self._compiled_metrics else []

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    # -- one batch ------------------------------------------------------------------------

    def _forward(self, xs, training):
        out = self(xs[0] if len(xs) == 1 else xs, training=training)
        return out if isinstance(out, list) else [out]

    def _train_batch(self, xs, ys, sw, params):
        outputs = self._forward(xs, training=True)
        total, parts = self._compiled_loss(ys, outputs, sw)
        if self._regularized:
            total = total + _sum(self.losses)
        total.backward()
        loss_value = float(total.data)
        if self._diagnose_non_finite and not np.isfinite(loss_value):
            self.non_finite_report = self._diagnose(xs, params)
        if params:
            grads = [p.grad for p in params]
            if self._keep_last_gradients:
                self._last_gradients = {id(p): g for p, g in zip(params, grads) if g is not None}
            self.optimizer.apply(grads, params)
        for p in params:
            p.grad = None
        self._compiled_metrics.update(loss_value, parts, ys, outputs, sw, len(xs[0]))

    def _test_batch(self, xs, ys, sw):
        with no_grad():
            outputs = self._forward(xs, training=False)
            total, parts = self._compiled_loss(ys, outputs, sw)
            if self._regularized:
                total = total + _sum(self.losses)
        self._compiled_metrics.update(float(total.data), parts, ys, outputs, sw, len(xs[0]))

    def _diagnose(self, xs, params):
        return first_non_finite(self, xs)

    def _all_layers(self):
        out, stack = [], list(reversed(self.layers))
        while stack:
            layer = stack.pop()
            out.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return out

    # -- data -----------------------------------------------------------------------------

    def _adapter(self, x, y, sample_weight, batch_size, shuffle, steps, what):
        if x is None:
            raise ValueError(f"{what}: x is required")
        if is_generator_like(x):
            if y is not None:
                raise ValueError(f"{what}: when x is a generator or Sequence it yields the "
                                 f"targets too; do not pass y")
            return GeneratorBatches(x, self.input_names, steps)
        xs = flatten_structure(x, self.input_names)
        ys = None
        if y is not None:
            ys = flatten_structure(y, self.output_names, "y") if len(self.output_names) > 1 \
                else [y]
        return ArrayBatches(xs, ys, sample_weight, 32 if batch_size is None else batch_size,
                            shuffle, steps)

    def _check_targets(self, batches):
        """Catch label/loss mismatches on the whole dataset before any weight changes."""
        if not isinstance(batches, ArrayBatches) or batches.ys is None:
            return
        with no_grad():
            outputs = self._forward([x[:1] for x in batches.xs], training=False)
        for i, (y, out) in enumerate(zip(batches.ys, outputs)):
            loss = self._compiled_loss.losses[i]
            if loss is None:
                continue
            probe = y[:1]
            loss(probe, out)  # shape errors with a hint
            if self._compiled_loss.is_sparse(i):
                n_classes = out.shape[-1]
                labels = y.reshape(len(y), -1) if y.ndim > 1 else y
                low, high = labels.min(), labels.max()
                if low < 0 or high >= n_classes:
                    bad = low if low < 0 else high
                    raise ValueError(
                        f"{loss.name}: labels must be in [0, {n_classes}) for a model with "
                        f"{n_classes} outputs; y contains label {bad}")

    # -- fit / evaluate / predict ---------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over the data; returns the ``History``."""
        self._require_compiled("fit")
        train = self._adapter(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, "fit")
        val = None
        if validation_split:
            if not isinstance(train, ArrayBatches):
                raise ValueError("validation_split is only supported for array inputs; pass "
                                 "validation_data for generators")
            cut = train.split(validation_split)
            val = subset(train, slice(cut, None), validation_batch_size or train.batch_size)
            train = subset(train, slice(0, cut), train.batch_size, shuffle, steps_per_epoch)
        elif validation_split != 0:
            raise ValueError(f"validation_split must be in [0, 1). Received: {validation_split}")
        if validation_data is not None:
            val = self._validation_adapter(validation_data, validation_batch_size or
                                           batch_size, validation_steps)
        if class_weight is not None:
            train = with_class_weight(train, class_weight)
        self._check_targets(train)
        verbose = 1 if verbose == "auto" else verbose
        callbacks = callbacks_module.CallbackList(
            callbacks, model=self, add_history=True, add_progbar=bool(verbose),
            verbose=verbose, epochs=epochs, steps=train.steps)
        params = self.trainable_weights
        backend.keep_freed_memory()
        self._regularized = any(p.regularizer is not None for p in self.weights) or any(
            layer.activity_regularizer is not None for layer in self._all_layers())
        self.stop_training = False
        for p in params:
            p.reuse_grad_buffer = True  # fit owns .grad between steps
        try:
            with parallel.thread_pool():
                return self._fit_loop(train, val, callbacks, params, initial_epoch, epochs,
                                      validation_freq)
        finally:
            for p in params:
                p.reuse_grad_buffer = False

    def _fit_loop(self, train, val, callbacks, params, initial_epoch, epochs, validation_freq):
        callbacks.on_train_begin()
        logs = {}
        for epoch in range(initial_epoch, epochs):
            self._compiled_metrics.reset()
            callbacks.on_epoch_begin(epoch)
            for step, (xs, ys, sw) in enumerate(train.epoch()):
                callbacks.on_train_batch_begin(step)
                self._train_batch(xs, ys, sw, params)
                logs = self._compiled_metrics.results()
                callbacks.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_batches(val, callbacks=None)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callbacks.on_train_end(logs)
        return self.history

    def _validation_adapter(self, data, batch_size, steps):
        if is_generator_like(data):
            return GeneratorBatches(data, self.input_names, steps)
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError("validation_data must be (x_val, y_val) or (x_val, y_val, "
                             "sample_weight_val)")
        x, y, *rest = data
        return self._adapter(x, y, rest[0] if rest else None, batch_size, False, steps,
                             "validation_data")

    def _evaluate_batches(self, batches, callbacks):
        self._compiled_metrics.reset()
        self._regularized = getattr(self, "_regularized", False)
        if callbacks:
            callbacks.on_test_begin()
        for step, (xs, ys, sw) in enumerate(batches.epoch()):
            if callbacks:
                callbacks.on_test_batch_begin(step)
            self._test_batch(xs, ys, sw)
            if callbacks:
                callbacks.on_test_batch_end(step, self._compiled_metrics.results())
        logs = self._compiled_metrics.results()
        if callbacks:
            callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss (and metrics) on the data: a scalar, a list, or a dict with return_dict."""
        self._require_compiled("evaluate")
        batches = self._adapter(x, y, sample_weight, batch_size, False, steps, "evaluate")
        self._check_targets(batches)
        self._regularized = any(p.regularizer is not None for p in self.weights)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks_module.CallbackList(callbacks, model=self, add_progbar=bool(verbose),
                                            verbose=verbose, steps=batches.steps, mode="test")
        with parallel.thread_pool():
            logs = self._evaluate_batches(batches, cbs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs on ``x``, batch by batch, as NumPy arrays."""
        if is_generator_like(x):
            batches = GeneratorBatches(x, self.input_names, steps)
        else:
            xs = flatten_structure(x, self.input_names)
            batches = ArrayBatches(xs, None, None, 32 if batch_size is None else batch_size,
                                   False, steps)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks_module.CallbackList(callbacks, model=self, add_progbar=bool(verbose),
                                            verbose=verbose, steps=batches.steps,
                                            mode="predict") if (callbacks or verbose) else None
        if cbs:
            cbs.on_predict_begin()
        chunks = []
        with no_grad(), parallel.thread_pool():
            for step, (xs, _, _) in enumerate(batches.epoch()):
                if cbs:
                    cbs.on_predict_batch_begin(step)
                outputs = self._forward(xs, training=False)
                chunks.append([o.data for o in outputs])
                if cbs:
                    cbs.on_predict_batch_end(step, {"outputs": outputs})
        if cbs:
            cbs.on_predict_end()
        if not chunks:
            raise ValueError("predict: the data is empty")
        joined = [np.concatenate(parts) if len(parts) > 1 else parts[0]
                  for parts in zip(*chunks)]
        return joined if len(joined) > 1 else joined[0]

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("train_on_batch")
        batches = self._adapter(x, y, sample_weight, len(np.asarray(
            flatten_structure(x, self.input_names)[0])), False, None, "train_on_batch")
        if class_weight is not None:
            batches = with_class_weight(batches, class_weight)
        self._regularized = any(p.regularizer is not None for p in self.weights)
        self._compiled_metrics.reset()
        with parallel.thread_pool():
            for xs, ys, sw in batches.epoch():
                self._train_batch(xs, ys, sw, self.trainable_weights)
        return _result(self._compiled_metrics.results(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        n = len(np.asarray(flatten_structure(x, self.input_names)[0]))
        batches = self._adapter(x, y, sample_weight, n, False, None, "test_on_batch")
        self._regularized = any(p.regularizer is not None for p in self.weights)
        with parallel.thread_pool():
            return _result(self._evaluate_batches(batches, None), return_dict)

    def predict_on_batch(self, x):
        """The outputs on one batch (NumPy)."""
        with no_grad():
            out = self(x, training=False)
        return [o.numpy() for o in out] if isinstance(out, list) else out.numpy()


def _named_metrics(metrics):
    """The metric names in a compile ``metrics`` argument (list, dict of lists, or one)."""
    items = metrics.values() if isinstance(metrics, dict) else [metrics]
    for item in items:
        for spec in (item if isinstance(item, (list, tuple)) else [item]):
            if isinstance(spec, str):
                yield spec


def _sum(terms):
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def _result(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
