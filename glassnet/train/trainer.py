"""``Trainer``: what makes a model trainable, Keras's compile/fit/evaluate/predict.

Mixed into ``Model``; it works on whatever the model computes in ``call``. The loops here
feed batches, run callbacks and open the fast kernels (``kernels.training`` for fit,
``kernels.inference`` for evaluate and predict); what one batch does is ``train_step`` /
``test_step`` / ``predict_step`` (``steps.py``), which a subclass may override.
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet import backend, checks, kernels, optim
from glassnet import metrics as metrics_module
from glassnet.autograd.grad_mode import no_grad
from glassnet.train import arguments, placement
from glassnet.train import callbacks as callbacks_module
from glassnet.train.compile_utils import CompiledLoss, CompileMetrics, StepMetrics
from glassnet.train.data_adapter import (
    ArrayBatches,
    GeneratorBatches,
    check_dataset_batch_size,
    flatten_structure,
    is_generator_like,
    subset,
    with_class_weight,
)
from glassnet.train.diagnose import first_non_finite
from glassnet.train.graph import adjust_rank
from glassnet.train.steps import Steps, pack_x_y_sample_weight


class Trainer(Steps):
    """compile, fit, evaluate, predict and the per-batch APIs, for a ``Model``."""

    _compiled_loss = None
    _step_metrics = None
    _shuffle_rng = None  # the generator fit shuffles with (saved with the model)
    _initial_epoch = None  # set by a callback's on_train_begin to resume at that epoch

    # -- compile --------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configure training: optimizer, loss (per output), metrics and loss weights.

        ``loss`` may be left out when the model computes its own (``compute_loss`` or
        ``train_step`` overridden, or regularization terms only). ``steps_per_execution``,
        ``jit_compile`` and ``auto_scale_loss`` are accepted for compatibility (glassnet
        always runs eagerly, one step at a time) and warn when set to anything else.
        """
        arguments.ignored("compile", steps_per_execution=(steps_per_execution, 1),
                          jit_compile=(jit_compile is True, False),
                          auto_scale_loss=(auto_scale_loss, True))
        self.optimizer = optim.get(optimizer)
        self._loss_spec, self._metrics_spec = loss, metrics
        self._weighted_metrics_spec = weighted_metrics
        self._loss_weights = arguments.loss_weights(loss_weights, self.output_names)
        self.compiled = True
        # Resolve names now, so an unknown loss or metric fails at compile (as in Keras).
        names = self.output_names
        self._compiled_loss = CompiledLoss(loss, loss_weights, names) if loss is not None \
            else None
        losses = self._compiled_loss.losses if self._compiled_loss else [None] * len(names)
        self._step_metrics = StepMetrics(
            CompileMetrics(metrics, weighted_metrics, names, losses), names)
        for spec in [*_named_metrics(metrics), *_named_metrics(weighted_metrics)]:
            metrics_module.get(spec)

    def to(self, device):
        """Move the model to ``device`` (``"gpu"``, ``"gpu:1"``, ``"cpu"``): its weights
        (``Layer.to``) and its optimizer's state; ``fit``, ``evaluate`` and ``predict`` then
        run there, copying each batch over once. Returns the model.

        >>> import glassnet
        >>> m = glassnet.keras.Sequential([glassnet.keras.layers.Dense(2)])
        >>> m.to("cpu") is m
        True
        """
        super().to(device)
        optimizer = getattr(self, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "to"):
            optimizer.to(device)
        return self

    def _require_compiled(self, what):
        if not self.compiled:
            raise ValueError(f"You must call compile() before {what}(): the model needs an "
                             f"optimizer and a loss, e.g. model.compile(optimizer='adam', "
                             f"loss='sparse_categorical_crossentropy', metrics=['accuracy'])")

    # -- one batch, for the diagnosis of non-finite losses ---------------------------------

    def _forward(self, xs, training):
        return self._prediction_list(self(xs[0] if len(xs) == 1 else xs, training=training))

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
        batch_size = checks.integer(batch_size, "batch_size", what, 1, allow_none=True)
        if is_generator_like(x):
            if y is not None:
                raise ValueError(f"{what}: when x is a generator or Sequence it yields the "
                                 f"targets too; do not pass y")
            if sample_weight is not None:
                raise ValueError(f"{what}: when x is a generator or Sequence it yields the "
                                 f"sample weights too; do not pass sample_weight")
            check_dataset_batch_size(x, batch_size, what)
            return GeneratorBatches(x, self.input_names, steps, self.output_names)
        xs = flatten_structure(x, self.input_names)
        ys = None
        if y is not None:
            ys = flatten_structure(y, self.output_names, "y") if len(self.output_names) > 1 \
                else [y]
        return ArrayBatches(xs, ys, arguments.sample_weight(sample_weight, what),
                            32 if batch_size is None else batch_size, shuffle, steps,
                            rng=self._shuffle_generator() if shuffle else None,
                            input_dtypes=self._input_dtypes(len(xs)))

    def _input_dtypes(self, n):
        """The dtype of each keras.Input (a functional model's), for integer data to keep."""
        graph = getattr(self, "_graph", None)
        if graph is None or len(graph.inputs) != n:
            return None
        return [t.dtype for t in graph.inputs]

    def _shuffle_generator(self):
        if self._shuffle_rng is None:  # drawn from glassnet.seed's generator: reproducible
            self._shuffle_rng = np.random.Generator(np.random.PCG64(
                backend.generator().integers(2 ** 63)))
        return self._shuffle_rng

    def _check_data(self, batches, what):
        """Catch data/model and label/loss mismatches on the whole dataset before any weight
        changes, naming the user's shapes."""
        if not isinstance(batches, ArrayBatches):
            return
        inputs = self.inputs
        if inputs:
            for t, x, name in zip(inputs, batches.xs, self.input_names):
                expected = tuple(t.shape[1:])
                got = tuple(adjust_rank(x, t.shape).shape[1:])
                if len(expected) != len(got) or any(e is not None and e != g
                                                    for e, g in zip(expected, got)):
                    raise ValueError(
                        f"{what}: the model's input '{name}' expects data of shape "
                        f"{(None, *expected)}, but x has shape {tuple(x.shape)}")
        if self._compiled_loss is not None and batches.ys is None and what != "predict":
            raise ValueError(
                f"{what}: the model was compiled with a loss that needs targets, but no y was "
                f"given: call {what}(x, y)")
        if batches.ys is None or self._compiled_loss is None:
            return
        try:
            with no_grad():
                outputs = self._forward([x[:1] for x in batches.xs], training=False)
        except ValueError as error:
            shapes = ", ".join(str(tuple(x.shape)) for x in batches.xs)
            raise ValueError(f"{what}: the model cannot take x of shape {shapes}: "
                             f"{error}") from None
        for i, (y, out) in enumerate(zip(batches.ys, outputs)):
            loss = self._compiled_loss.losses[i]
            if loss is None:
                continue
            loss(y[:1], out)  # shape errors with a hint
            if self._compiled_loss.is_sparse(i):
                n_classes = out.shape[-1]
                labels = y.reshape(len(y), -1) if y.ndim > 1 else y
                low, high = labels.min(), labels.max()
                if low < 0 or high >= n_classes:
                    bad = low if low < 0 else high
                    raise ValueError(
                        f"{loss.name}: labels must be in [0, {n_classes}) for a model with "
                        f"{n_classes} outputs; y contains label {bad}")

    def _batches_as_data(self, batches):
        """The batches as the tuples a step receives: (x,), (x, y) or (x, y, sw)."""
        single_in, single_out = len(self.input_names) == 1, len(self.output_names) == 1
        device = placement.model_device(self)
        gpu = placement.on_gpu(device)
        for xs, ys, sw in batches.epoch():
            x = xs[0] if single_in else xs
            y = None if ys is None else (ys[0] if single_out else ys)
            data = pack_x_y_sample_weight(x, y, sw)
            yield placement.batch_to_device(data, device) if gpu else data

    # -- fit / evaluate / predict ---------------------------------------------------------

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Train for ``epochs`` passes over the data; returns the ``History``."""
        self._require_compiled("fit")
        epochs = checks.integer(epochs, "epochs", "fit", 0)
        initial_epoch = checks.integer(initial_epoch, "initial_epoch", "fit", 0)
        steps_per_epoch = checks.integer(steps_per_epoch, "steps_per_epoch", "fit", 1,
                                            allow_none=True)
        validation_steps = checks.integer(validation_steps, "validation_steps", "fit", 1,
                                             allow_none=True)
        validation_freq = checks.integer(validation_freq, "validation_freq", "fit", 1)
        validation_split = arguments.fraction(validation_split, "validation_split", "fit")
        verbose = arguments.verbose(verbose, "fit")
        class_weight = arguments.class_weight(class_weight)
        shuffle = arguments.shuffle(shuffle)
        callbacks = arguments.callbacks(callbacks, callbacks_module.Callback)
        train = self._adapter(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, "fit")
        val = None
        if validation_split:
            if not isinstance(train, ArrayBatches):
                raise ValueError("fit: validation_split is only supported for array inputs; "
                                 "pass validation_data for generators")
            cut = train.split(validation_split)
            val = subset(train, slice(cut, None), validation_batch_size or train.batch_size)
            train = subset(train, slice(0, cut), train.batch_size, shuffle, steps_per_epoch,
                           rng=train.rng)
        if validation_data is not None:
            val = self._validation_adapter(validation_data, validation_batch_size or
                                           batch_size, validation_steps)
        if class_weight is not None:
            train = with_class_weight(train, class_weight)
        self._check_data(train, "fit")
        callbacks = callbacks_module.CallbackList(
            callbacks, model=self, add_history=True, add_progbar=bool(verbose),
            verbose=verbose, epochs=epochs, steps=train.steps)
        params = self.trainable_weights
        self._has_regularization = self._has_added_metrics = None
        self.stop_training = False
        # a subclassed model not yet built makes its weights in the first step: read them then
        self._step_params = params or None
        device = placement.model_device(self)
        try:
            with kernels.training(params, device=device), backend.device(device):
                return self._fit_loop(train, val, callbacks, initial_epoch, epochs,
                                      validation_freq)
        finally:
            self._step_params = None

    def _fit_loop(self, train, val, callbacks, initial_epoch, epochs, validation_freq):
        self._initial_epoch = None
        callbacks.on_train_begin()
        if self._initial_epoch is not None:  # BackupAndRestore resumes at its epoch (Keras)
            initial_epoch, self._initial_epoch = self._initial_epoch, None
        logs = {}
        metrics = self._step_metrics
        # On a GPU the batch logs stay on the device unless a callback reads every batch's.
        gpu = placement.on_gpu(placement.model_device(self))
        batch_logs_read = gpu and callbacks.has_hook("on_train_batch_end")
        for epoch in range(initial_epoch, epochs):
            metrics.reset()
            callbacks.on_epoch_begin(epoch)
            steps_run = 0
            for step, data in enumerate(self._batches_as_data(train)):
                callbacks.on_train_batch_begin(step)
                logs = _flat(self.train_step(data))
                if gpu:
                    backend.note_memory()  # for memory_info()'s peak
                    if batch_logs_read:
                        logs = placement.host_logs(logs)
                callbacks.on_train_batch_end(step, logs)
                steps_run += 1
                if self.stop_training:
                    break
            if getattr(train, "exhausted", False):
                warnings.warn("fit: your input ran out of data; interrupting training. Make "
                              "sure the dataset or generator can yield at least "
                              "`steps_per_epoch * epochs` batches", UserWarning, stacklevel=3)
                self.stop_training = True
                if steps_run == 0:
                    break
            epoch_logs = placement.host_logs(logs) if gpu else dict(logs)
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_batches(val, callbacks=callbacks)  # test hooks too
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            logs = epoch_logs  # Keras 3 ends training with the last epoch's logs, val_ too
            if self.stop_training:
                break
        callbacks.on_train_end(logs)
        return self.history

    def _validation_adapter(self, data, batch_size, steps):
        if is_generator_like(data):
            return GeneratorBatches(data, self.input_names, steps, self.output_names)
        if not isinstance(data, (tuple, list)) or len(data) not in (2, 3):
            raise ValueError("fit: validation_data must be (x_val, y_val) or (x_val, y_val, "
                             "sample_weight_val)")
        x, y, *rest = data
        return self._adapter(x, y, rest[0] if rest else None, batch_size, False, steps,
                             "validation_data")

    def _evaluate_batches(self, batches, callbacks):
        """Run test_step over ``batches`` on a fresh copy of the metrics; the logs."""
        logs = {}
        with self._own_metrics(), no_grad():
            if callbacks:
                callbacks.on_test_begin()
            for step, data in enumerate(self._batches_as_data(batches)):
                if callbacks:
                    callbacks.on_test_batch_begin(step)
                logs = _flat(self.test_step(data))
                if callbacks and callbacks.has_hook("on_test_batch_end"):
                    logs = placement.host_logs(logs)
                    callbacks.on_test_batch_end(step, logs)
            logs = placement.host_logs(logs)
            if callbacks:
                callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss (and metrics) on the data: a scalar, a list, or a dict with return_dict."""
        self._require_compiled("evaluate")
        steps = checks.integer(steps, "steps", "evaluate", 1, allow_none=True)
        verbose = arguments.verbose(verbose, "evaluate")
        callbacks = arguments.callbacks(callbacks, callbacks_module.Callback)
        batches = self._adapter(x, y, sample_weight, batch_size, False, steps, "evaluate")
        self._check_data(batches, "evaluate")
        self._has_regularization = self._has_added_metrics = None
        cbs = callbacks_module.CallbackList(callbacks, model=self, add_progbar=bool(verbose),
                                            verbose=verbose, steps=batches.steps, mode="test")
        with kernels.inference(placement.model_device(self)):
            logs = self._evaluate_batches(batches, cbs)
        return _result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs on ``x``, batch by batch, as NumPy arrays."""
        steps = checks.integer(steps, "steps", "predict", 1, allow_none=True)
        batch_size = checks.integer(batch_size, "batch_size", "predict", 1, allow_none=True)
        verbose = arguments.verbose(verbose, "predict")
        callbacks = arguments.callbacks(callbacks, callbacks_module.Callback)
        if x is None:
            raise ValueError("predict: x is required")
        if is_generator_like(x):
            check_dataset_batch_size(x, batch_size, "predict")
            batches = GeneratorBatches(x, self.input_names, steps, self.output_names)
        else:
            xs = flatten_structure(x, self.input_names)
            batches = ArrayBatches(xs, None, None, 32 if batch_size is None else batch_size,
                                   False, steps, input_dtypes=self._input_dtypes(len(xs)))
            self._check_data(batches, "predict")
        cbs = callbacks_module.CallbackList(callbacks, model=self, add_progbar=bool(verbose),
                                            verbose=verbose, steps=batches.steps,
                                            mode="predict") if (callbacks or verbose) else None
        if cbs:
            cbs.on_predict_begin()
        chunks = []
        with no_grad(), kernels.inference(placement.model_device(self)):
            for step, data in enumerate(self._batches_as_data(batches)):
                if cbs:
                    cbs.on_predict_batch_begin(step)
                outputs = self.predict_step(data)
                keys = list(outputs) if isinstance(outputs, dict) else None  # dict outputs
                outputs = list(outputs.values()) if keys else \
                    outputs if isinstance(outputs, (list, tuple)) else [outputs]
                chunks.append([o.data if hasattr(o, "data") else backend.asarray(o)
                               for o in outputs])
                if cbs:
                    cbs.on_predict_batch_end(step, {"outputs": outputs})
        if cbs:
            cbs.on_predict_end()
        if not chunks:
            raise ValueError("predict: the data is empty")
        # On a GPU the batches are joined there and copied back once.
        joined = [backend.to_host(backend.get_array_module(parts[0]).concatenate(parts)
                                  if len(parts) > 1 else parts[0])
                  for parts in zip(*chunks)]
        if keys:
            return dict(zip(keys, joined))
        return joined if len(joined) > 1 else joined[0]

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """One gradient step on one batch; returns the loss (and metrics) of that batch."""
        self._require_compiled("train_on_batch")
        n = len(np.asarray(flatten_structure(x, self.input_names)[0]))
        batches = self._adapter(x, y, sample_weight, n, False, None, "train_on_batch")
        if class_weight is not None:
            batches = with_class_weight(batches, arguments.class_weight(class_weight))
        self._has_regularization = self._has_added_metrics = None
        self._step_metrics.reset()
        logs = {}
        params = self.trainable_weights
        self._step_params = params or None  # unbuilt: the weights its first call makes
        device = placement.model_device(self)
        try:
            with kernels.training(params, keep_memory=False, device=device), \
                    backend.device(device):
                for data in self._batches_as_data(batches):
                    logs = _flat(self.train_step(data))
        finally:
            self._step_params = None
        return _result(placement.host_logs(logs), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) on one batch, without training."""
        self._require_compiled("test_on_batch")
        n = len(np.asarray(flatten_structure(x, self.input_names)[0]))
        batches = self._adapter(x, y, sample_weight, n, False, None, "test_on_batch")
        self._has_regularization = self._has_added_metrics = None
        with kernels.inference(placement.model_device(self)):
            return _result(self._evaluate_batches(batches, None), return_dict)

    def predict_on_batch(self, x):
        """The outputs on one batch (NumPy)."""
        device = placement.model_device(self)
        if placement.on_gpu(device):
            x = placement.batch_to_device(x, device)
        with no_grad():
            out = self(x, training=False)
        if isinstance(out, dict):
            return {k: o.numpy() for k, o in out.items()}
        return [o.numpy() for o in out] if isinstance(out, list) else out.numpy()


def _named_metrics(metrics):
    """The metric names in a compile ``metrics`` argument (list, dict of lists, or one)."""
    items = metrics.values() if isinstance(metrics, dict) else [metrics]
    for item in items:
        for spec in (item if isinstance(item, (list, tuple)) else [item]):
            if isinstance(spec, str):
                yield spec


def _flat(logs):
    """A step's logs with nested dicts (Keras 3's ``compile_metrics`` result, returned by a
    custom step as ``{m.name: m.result() for m in self.metrics}``) merged in, and 0-d
    arrays as floats."""
    if not any(isinstance(v, dict) for v in logs.values()):
        return logs
    flat = {}
    for k, v in logs.items():
        if isinstance(v, dict):
            flat.update(v)
        else:
            flat[k] = v
    return {k: v if backend.on_device(v) else float(v) if np.ndim(v) == 0 else v
            for k, v in flat.items()}


def _result(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values
