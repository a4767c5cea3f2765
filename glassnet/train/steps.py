"""One step of training, evaluation and prediction, as Keras 3's public, overridable methods.

``fit`` calls ``train_step(data)`` for every batch, ``evaluate`` calls ``test_step(data)``
and ``predict`` calls ``predict_step(data)``, where ``data`` is what the dataset yields:
``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``. A subclass may override any of them (the
Keras guide "Customizing what happens in fit()"), and ``compute_loss`` and
``compute_metrics`` are the pieces the default steps are made of:

    y_pred = self(x, training=True)                       # forward
    loss = self.compute_loss(x, y, y_pred, sample_weight) # compiled loss + self.losses
    loss.backward()                                       # backpropagation
    self.optimizer.apply(grads, self.trainable_weights)   # gradient descent
    return self.compute_metrics(x, y, y_pred, sample_weight)

Metric state belongs to the call: ``fit`` uses the model's own metrics, and every
``evaluate`` (also the validation inside ``fit``) works on a fresh copy, so threads
evaluating one model never mix their counts. ``self.metrics`` is the current call's.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import warnings

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor

# (model, StepMetrics) of the evaluate call running in this thread, if any.
_call_metrics = contextvars.ContextVar("glassnet_call_metrics", default=None)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch ``(x,)``, ``(x, y)``, ``(x, y, sw)`` or ``x``
    (Keras's ``keras.utils.unpack_x_y_sample_weight``).

    >>> unpack_x_y_sample_weight(([1.0], [0]))
    ([1.0], [0], None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`, found a tuple of {len(data)} elements")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch tuple a step receives: ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)

# per Model subclass: whether its compute_loss takes `training` (read once per class)
_COMPUTE_LOSS_TAKES_TRAINING = {}


class Steps:
    """``train_step``, ``test_step``, ``predict_step``, ``compute_loss``, ``compute_metrics``
    and the Keras 2 spellings ``compiled_loss`` / ``compiled_metrics``, for a ``Model``."""

    _step_params = None  # the trainable weights, fixed for the length of a fit call
    _has_regularization = None  # whether self.losses can be non-empty (per call)
    _has_added_metrics = None  # whether a layer inside calls add_metric (per call)
    _warned_no_weights = False

    # -- the steps ------------------------------------------------------------------------

    def train_step(self, data):
        """Forward, loss, backward and one optimizer update on one batch; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
        params = self._step_params if self._step_params is not None else \
            self.trainable_weights
        if params or loss.requires_grad:
            loss.backward()
        elif not self._warned_no_weights:  # as Keras: train nothing, say so once
            self._warned_no_weights = True
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        # On a GPU the loss stays there (a 0-d array): reading it would wait for the step.
        loss_value = loss.data if backend.on_device(loss.data) else float(loss.data)
        if self._diagnose_non_finite and not np.isfinite(float(loss_value)):
            self.non_finite_report = self._diagnose(self._as_input_list(x), params)
        if params:
            grads = [p.grad for p in params]
            if self._keep_last_gradients:
                self._last_gradients = {id(p): g for p, g in zip(params, grads) if g is not None}
            self.optimizer.apply(grads, params)
        for p in params:
            p.grad = None
        self._track_loss(loss_value, x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """The loss and metrics of one batch, in inference mode; returns the logs."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._track_loss(loss.data if backend.on_device(loss.data) else float(loss.data), x)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """The model's outputs on one batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # -- their pieces ---------------------------------------------------------------------

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """``compute_loss``, also when a subclass overrides it with Keras 3.0's signature
        (no ``training``), as Keras checks the override before passing it."""
        takes = _COMPUTE_LOSS_TAKES_TRAINING.get(type(self))
        if takes is None:
            params = inspect.signature(type(self).compute_loss).parameters
            takes = "training" in params or any(p.kind is p.VAR_KEYWORD
                                                for p in params.values())
            _COMPUTE_LOSS_TAKES_TRAINING[type(self)] = takes
        if takes:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss: the compiled loss of every output (weighted by ``loss_weights``)
        plus the model's regularization penalties (``self.losses``), the one place where
        they are added, for training and evaluation alike."""
        terms = []
        compiled = self._compiled_loss
        if compiled is not None:
            if y is None:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': the loss "
                    f"{_loss_names(compiled)} needs targets, but the data has no y: pass "
                    f"fit(x, y) / evaluate(x, y), or have the dataset yield (x, y)")
            ys = self._as_output_list(y)
            outputs = self._prediction_list(y_pred)
            total, parts = compiled(ys, outputs, sample_weight)
            self._current_metrics().last_output_losses = parts
            terms.append(total)
        if self._regularized():
            terms.extend(self.losses)
        if not terms:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`, "
                             "or add losses in the model (a regularizer, or override "
                             "compute_loss)")
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics with one batch; returns every metric's result."""
        state = self._current_metrics()
        if y is not None:
            predictions = self._prediction_list(y_pred) if isinstance(y_pred, dict) else y_pred
            if isinstance(y_pred, dict) and len(predictions) == 1:
                predictions = predictions[0]
            state.compile_metrics.update_state(self._as_output_list(y, single=True),
                                               predictions, sample_weight)
        if self._adds_metrics_inside():
            state.update_added(self._metric_values())
        return self.get_metrics_result(state)

    def get_metrics_result(self, state=None):
        """{name: value} of the current call's metrics, the compiled ones flattened."""
        state = state or self._current_metrics()
        logs = {"loss": state.loss_tracker.result()}
        for tracker in state.output_loss_trackers:
            logs[tracker.name] = tracker.result()
        logs.update(state.compile_metrics.result())
        logs.update((m.name, m.result()) for m in state.added_metrics.values())
        return {k: _log_value(v) for k, v in logs.items()}

    def zero_grad(self):
        """Forget the gradients of every trainable weight (PyTorch's name, as Keras 3)."""
        for p in self.trainable_weights:
            p.grad = None

    # -- Keras 2 spellings used by custom train_steps ---------------------------------------

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """tf.keras 2's ``self.compiled_loss(y, y_pred, regularization_losses=self.losses)``."""
        if self._compiled_loss is None:
            raise ValueError("compiled_loss: the model was compiled without a loss")
        outputs = self._prediction_list(y_pred)
        total, _ = self._compiled_loss(self._as_output_list(y), outputs, sample_weight)
        for term in regularization_losses or []:
            total = total + term
        # As tf.keras 2's LossesContainer: the "loss" logged for the step is this call's.
        self._current_metrics().loss_tracker.update_state(float(total.data),
                                                          sample_weight=len(outputs[0]))
        return total

    @property
    def compiled_metrics(self):
        """tf.keras 2's ``self.compiled_metrics.update_state(y, y_pred)``."""
        return self._current_metrics().compile_metrics

    @property
    def metrics(self):
        """The current call's metrics: the loss tracker(s), then ``compile_metrics``."""
        state = self._current_metrics(create=False)
        return state.metrics if state is not None else []

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    # -- helpers --------------------------------------------------------------------------

    def _current_metrics(self, create=True):
        active = _call_metrics.get()
        if active is not None and active[0] is self:
            return active[1]
        if self._step_metrics is None and create:
            self._require_compiled("train_step")
        return self._step_metrics

    @contextlib.contextmanager
    def _own_metrics(self):
        """Run the block (one evaluate call) on a fresh copy of the metrics."""
        token = _call_metrics.set((self, self._step_metrics.fresh()))
        try:
            yield _call_metrics.get()[1]
        finally:
            _call_metrics.reset(token)

    def _track_loss(self, loss_value, x):
        state = self._current_metrics()
        n = len(x[0]) if isinstance(x, (list, tuple)) and len(self.input_names) > 1 \
            else len(x)
        state.loss_tracker.update_state(loss_value, sample_weight=n)
        state.started = True
        parts = state.last_output_losses
        if parts is not None:
            for tracker, part in zip(state.output_loss_trackers, parts):
                value = part.data if backend.on_device(part.data) else float(part.data)
                tracker.update_state(value, sample_weight=n)
            state.last_output_losses = None

    def _regularized(self):
        flag = self._has_regularization
        if flag is None:
            flag = any(p.regularizer is not None for p in self.weights) or any(
                layer.activity_regularizer is not None or getattr(layer, "_adds_losses", False)
                for layer in [self, *self._all_layers()])
            self._has_regularization = flag
        return flag

    def _adds_metrics_inside(self):
        flag = self._has_added_metrics
        if flag is None:
            flag = any(getattr(layer, "_adds_metrics", False)
                       for layer in [self, *self._all_layers()])
            self._has_added_metrics = flag
        return flag

    # -- tf.keras 2's model.add_loss / add_metric on symbolic tensors -----------------------

    def _add_symbolic_output(self, tensor, what, name):
        graph = getattr(self, "_graph", None)
        if graph is None:
            return super()._add_symbolic_output(tensor, what, name)
        kind = "loss" if what == "add_loss" else "metric"
        graph.add_extra(kind, name, tensor)
        if kind == "loss":
            self._adds_losses = True
        else:
            self._adds_metrics = True
        self._has_regularization = self._has_added_metrics = None

    def _call_losses(self):
        own = super()._call_losses()
        graph = getattr(self, "_graph", None)
        if graph is None or not graph.extras:
            return own
        return [*own, *(self._as_loss(v) for kind, _, v in graph.extra_values()
                        if kind == "loss")]

    def _call_metrics(self):
        own = super()._call_metrics()
        graph = getattr(self, "_graph", None)
        if graph is None or not graph.extras:
            return own
        return [*own, *((name, v) for kind, name, v in graph.extra_values()
                        if kind == "metric")]

    def _as_input_list(self, x):
        return x if isinstance(x, (list, tuple)) and len(self.input_names) > 1 else [x]

    def _prediction_list(self, y_pred):
        """The model's outputs as a list in ``output_names`` order (a dict's by key)."""
        if isinstance(y_pred, dict):
            return [y_pred[n] for n in self.output_names]
        return y_pred if isinstance(y_pred, list) else [y_pred]

    def _as_output_list(self, y, single=False):
        if not isinstance(y, (list, tuple, dict)):  # one output: the common case, no lookup
            return y if single else [y]
        names = self.output_names
        if len(names) == 1:
            return y if single else [y]
        if isinstance(y, dict):
            return [y[n] for n in names]
        return list(y)


def _log_value(v):
    """A metric's result as a log value: a Python float, or on a GPU a 0-d device array (read
    when the logs are, see ``placement``)."""
    if v.__class__ is float:
        return v
    data = v.data if isinstance(v, Tensor) else v
    if backend.on_device(data):
        return data
    return float(v) if np.ndim(v) == 0 else v


def _loss_names(compiled):
    names = [loss.name for loss in compiled.losses if loss is not None]
    return ", ".join(f"'{n}'" for n in names)
