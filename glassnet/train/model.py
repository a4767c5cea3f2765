"""``Model``: a layer that also trains: compile, fit, evaluate, predict.

Three ways to make one, as in Keras: ``Sequential([...])``; the functional
``Model(inputs, outputs)``; or subclassing ``Model`` and writing ``call``.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, optim
from glassnet.autograd.grad_mode import no_grad
from glassnet.nn import layer as layer_module
from glassnet.nn.layer import Layer
from glassnet.train import callbacks as callbacks_module
from glassnet.train.compile_utils import CompiledLoss, CompiledMetrics
from glassnet.train.data_adapter import (
    ArrayBatches,
    GeneratorBatches,
    flatten_structure,
    is_generator_like,
)
from glassnet.train.functional import FunctionalGraph
from glassnet.train.summary import format_summary


class Model(Layer):
    """A trainable stack or graph of layers.

    >>> import numpy as np
    >>> from glassnet.nn.layers import Dense, Input
    >>> x = Input(shape=(4,))
    >>> model = Model(x, Dense(2, activation="softmax")(Dense(8, activation="relu")(x)))
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> history = model.fit(np.zeros((8, 4)), np.zeros(8), epochs=1, verbose=0)
    >>> sorted(history.history)
    ['loss']
    """

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._graph = None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): both are required for a functional "
                                 "model; to subclass Model, define call() instead")
            self._graph = FunctionalGraph(inputs, outputs)
            self._layers = self._graph.layers
            self.built = True
        self.compiled = False
        self.optimizer = None
        self.stop_training = False
        self.history = None
        self._diagnose_non_finite = False
        self._keep_last_gradients = False
        self.non_finite_report = None

    # -- structure ------------------------------------------------------------------------

    def call(self, inputs, training=None):
        if self._graph is None:
            raise NotImplementedError(
                f"{type(self).__name__}: a subclassed Model must define call(inputs); or "
                f"build the model as Model(inputs, outputs) or Sequential([...])")
        return self._graph.run(inputs, training)

    @property
    def layers(self):
        return list(self._graph.layers) if self._graph is not None else self._sublayers()

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by ``index`` in ``layers``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"get_layer: index {index} is out of range for a model of "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: '{name}'. Existing layers are: "
                         f"{[layer.name for layer in layers]}")

    @property
    def input_names(self):
        return self._graph.input_names if self._graph is not None else ["input"]

    @property
    def output_names(self):
        return self._graph.output_names if self._graph is not None else ["output"]

    @property
    def inputs(self):
        return self._graph.inputs if self._graph is not None else None

    @property
    def outputs(self):
        return self._graph.outputs if self._graph is not None else None

    def _convert_inputs(self, inputs):
        if isinstance(inputs, dict):
            inputs = flatten_structure(inputs, self.input_names)
        if isinstance(inputs, (list, tuple)) and len(inputs) == 1 and \
                len(self.input_names) == 1:
            inputs = inputs[0]
        return super()._convert_inputs(inputs)

    def summary(self, line_length=None, print_fn=None):
        """Print Keras's table: layer name and type, output shape, parameter count."""
        rows = [(f"{layer.name} ({type(layer).__name__})", shape, _count(layer))
                for layer, shape in self._summary_layers()]
        text = format_summary(self, rows, line_length)
        (print_fn or print)(text)

    def _summary_layers(self):
        if self._graph is not None:
            shapes = {}
            for t in [*self._graph.inputs, *self._graph.nodes]:
                shapes.setdefault(t.layer, t.shape)
            return [(layer, shapes[layer]) for layer in self._graph.layers]
        return [(layer, getattr(layer, "_output_shape", "?")) for layer in self.layers]

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
        """Name the first layer whose output, else whose gradient, is not finite."""
        with no_grad(), layer_module.trace_calls() as calls:
            self._forward(xs, training=True)
        for layer, out in calls:
            values = out if isinstance(out, list) else [out]
            if layer is not self and any(not np.isfinite(v.data).all() for v in values):
                return f"the output of layer '{layer.name}' ({type(layer).__name__}) became " \
                       f"non-finite"
        for layer in self._all_layers():
            for p in layer._own_parameters():
                if p.grad is not None and not np.isfinite(p.grad).all():
                    return f"the gradient of layer '{layer.name}' ({type(layer).__name__}) " \
                           f"became non-finite"
        return "the loss became non-finite while every layer output was finite: check the " \
               "labels and the loss"

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
            val = _subset(train, slice(cut, None), validation_batch_size or train.batch_size)
            train = _subset(train, slice(0, cut), train.batch_size, shuffle, steps_per_epoch)
        elif validation_split != 0:
            raise ValueError(f"validation_split must be in [0, 1). Received: {validation_split}")
        if validation_data is not None:
            val = self._validation_adapter(validation_data, validation_batch_size or
                                           batch_size, validation_steps)
        if class_weight is not None:
            train = _with_class_weight(train, class_weight)
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
        with no_grad():
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
            batches = _with_class_weight(batches, class_weight)
        self._regularized = any(p.regularizer is not None for p in self.weights)
        self._compiled_metrics.reset()
        for xs, ys, sw in batches.epoch():
            self._train_batch(xs, ys, sw, self.trainable_weights)
        return _result(self._compiled_metrics.results(), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        n = len(np.asarray(flatten_structure(x, self.input_names)[0]))
        batches = self._adapter(x, y, sample_weight, n, False, None, "test_on_batch")
        self._regularized = any(p.regularizer is not None for p in self.weights)
        return _result(self._evaluate_batches(batches, None), return_dict)

    def predict_on_batch(self, x):
        """The outputs on one batch (NumPy)."""
        with no_grad():
            out = self(x, training=False)
        return [o.numpy() for o in out] if isinstance(out, list) else out.numpy()

    # -- saving ---------------------------------------------------------------------------

    def save(self, filepath):
        """Save architecture, weights, compile settings and optimizer state (``.keras``)."""
        from glassnet.io import save_model

        save_model(self, filepath)

    def save_weights(self, filepath):
        """Save the weights to ``.weights.npz`` (or ``.weights.h5`` with h5py)."""
        from glassnet.io import save_weights

        save_weights(self, filepath)

    def load_weights(self, filepath):
        from glassnet.io import load_weights

        load_weights(self, filepath)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}


def _count(layer):
    return sum(p.size for p in layer.weights) if layer.built else 0


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


def _subset(batches, part, batch_size, shuffle=False, steps=None):
    ys = None if batches.ys is None else [y[part] for y in batches.ys]
    sw = None if batches.sw is None else batches.sw[part]
    return ArrayBatches([x[part] for x in batches.xs], ys, sw, batch_size, shuffle, steps)


def _with_class_weight(batches, class_weight):
    """Fold a {class: weight} mapping into per-sample weights (labels or one-hot rows)."""
    if not isinstance(batches, ArrayBatches) or batches.ys is None:
        raise ValueError("class_weight needs array inputs with targets y")
    y = batches.ys[0]
    labels = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(len(y))
    labels = np.round(labels).astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"class_weight has no weight for class(es) {missing}")
    lookup = np.zeros(int(max(max(class_weight), labels.max())) + 1, np.float32)
    for k, w in class_weight.items():
        lookup[int(k)] = w
    weights = lookup[labels]
    if batches.sw is not None:
        weights = weights * batches.sw
    return ArrayBatches(batches.xs, batches.ys, weights, batches.batch_size, batches.shuffle,
                        batches.steps)

