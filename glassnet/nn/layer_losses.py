"""What a layer adds to training besides its output: ``losses`` / ``add_loss`` (Keras) and
``add_metric`` (tf.keras 2), mixed into ``Layer``.

Terms a layer adds inside ``call`` (a tensor) belong to that call: they are per thread and
last until the layer's next call, like the activity penalties. A function of no arguments
(``model.add_loss(lambda: ops.mean(layer.kernel))``) is kept and called each time ``losses``
is read, as tf.keras 2 does. A symbolic tensor (``model.add_loss(ops.mean(x))`` on a
functional model's ``keras.Input``) is handed to the model, which computes it with its
outputs at every step (see ``train.graph``).

>>> import numpy as np
>>> from glassnet.nn.layer import Layer
>>> class Watched(Layer):
...     def call(self, x):
...         self.add_metric(x.mean(), name="mean_activation")
...         return x
>>> layer = Watched()
>>> _ = layer(np.ones((2, 2), "float32"))
>>> [(name, float(v)) for name, v in layer._metric_values()]
[('mean_activation', 1.0)]
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.autograd.tensor import Tensor
from glassnet.nn.symbolic import SymbolicTensor


def _layers_inside(layer):
    """``layer`` and every layer inside it, however deep, each once."""
    seen, stack, found = set(), [layer], []
    while stack:
        current = stack.pop()
        if id(current) not in seen:
            seen.add(id(current))
            found.append(current)
            stack.extend(reversed(current._sublayers()))
    return found


class LossesAndMetrics:
    """``losses``, ``add_loss`` and ``add_metric`` for ``Layer``."""

    @property
    def losses(self):
        """Regularization terms: one per regularized weight, the activity penalties and the
        terms ``add_loss`` added (in the latest call, or as functions), of this layer and
        those inside."""
        terms = [p.regularizer(p) for p in self.weights if p.regularizer is not None]
        for layer in _layers_inside(self):
            terms.extend(getattr(layer._activity, "terms", ()))
            terms.extend(layer._call_losses())
            terms.extend(layer._as_loss(fn()) for fn in layer.__dict__.get("_loss_functions",
                                                                           ()))
        return terms

    def _call_losses(self):
        """The terms this layer's latest call added (a model adds its graph's)."""
        return getattr(self._activity, "added", ())

    def _call_metrics(self):
        """(name, value) of the metrics this layer's latest call added."""
        return getattr(self._activity, "metric_values", ())

    def add_loss(self, loss):
        """Add a term to the training loss (Keras's ``add_loss``): a tensor (summed to a
        scalar) from inside ``call``; a function of no arguments returning one (called each
        time ``losses`` is read); or, on a functional model, a symbolic tensor computed from
        its inputs and outputs (tf.keras 2's ``model.add_loss(ops.mean(x))``).

        >>> from glassnet.nn.layer import Layer
        >>> class ActivityRegularization(Layer):
        ...     def call(self, x):
        ...         self.add_loss(1e-2 * ops.sum(x * x))
        ...         return x
        >>> layer = ActivityRegularization()
        >>> _ = layer(np.ones((2, 2), "float32"))
        >>> [round(float(t), 3) for t in layer.losses]
        [0.04]
        """
        if isinstance(loss, (list, tuple)):  # tf.keras 2 takes a list of terms
            for term in loss:
                self.add_loss(term)
            return
        if isinstance(loss, SymbolicTensor):
            self._add_symbolic_output(loss, "add_loss", None)
            return
        if callable(loss) and not isinstance(loss, Tensor):
            self._as_loss(loss())  # refused now, not at the first step, if it is no number
            self.__dict__.setdefault("_loss_functions", []).append(loss)
        else:
            if not hasattr(self._activity, "added"):
                self._activity.added = []
            self._activity.added.append(self._as_loss(loss))
        self._adds_losses = True

    def _as_loss(self, loss):
        if not isinstance(loss, Tensor):
            try:
                loss = Tensor(backend.asarray(loss, dtype=self.dtype))
            except (TypeError, ValueError):
                raise TypeError(f"{type(self).__name__} '{self.name}': add_loss expects a "
                                f"tensor or a number; received {type(loss).__name__}") from None
        return ops.sum(loss) if loss.ndim else loss

    def add_metric(self, value, name=None, aggregation="mean"):
        """Log ``value`` (a tensor, averaged over its elements) in ``fit``/``evaluate``
        under ``name``, averaged over the epoch (tf.keras 2's ``add_metric``): from inside
        ``call``, or on a functional model a symbolic tensor of its inputs and outputs."""
        if aggregation not in ("mean", None):
            raise ValueError(f"{type(self).__name__} '{self.name}': add_metric supports only "
                             f"aggregation='mean'. Received: aggregation={aggregation!r}")
        if name is None:
            raise ValueError("Please provide a name for your metric like "
                             "`self.add_metric(tf.reduce_sum(inputs), name='mean_activation')`")
        if not isinstance(name, str) or not name:
            raise TypeError(f"{type(self).__name__} '{self.name}': add_metric's name must be "
                            f"a non-empty str. Received: name={name!r}")
        if isinstance(value, SymbolicTensor):
            self._add_symbolic_output(value, "add_metric", name)
            return
        if not isinstance(value, Tensor):
            try:
                value = backend.asarray(value, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{type(self).__name__} '{self.name}': add_metric expects a "
                                f"tensor or a number; received {type(value).__name__}") from None
        if not hasattr(self._activity, "metric_values"):
            self._activity.metric_values = []
        self._activity.metric_values.append((name, value))
        self._adds_metrics = True

    def _metric_values(self):
        """(name, value) of each ``add_metric`` of the latest calls, here and inside."""
        found = []
        for layer in _layers_inside(self):
            found.extend(layer._call_metrics())
        return found

    def _forget_call_terms(self):
        """At the start of a call: the previous call's added losses and metrics go."""
        # The thread's own attributes, read from its __dict__: a getattr that misses on a
        # threading.local raises and catches an AttributeError, a microsecond per call.
        activity = self._activity.__dict__
        if activity.get("added"):
            activity["added"] = []
        if activity.get("metric_values"):
            activity["metric_values"] = []

    def _add_symbolic_output(self, tensor, what, name):
        raise ValueError(f"{type(self).__name__} '{self.name}': {what} received a symbolic "
                         f"tensor (from keras.Input); only a functional Model built on those "
                         f"inputs can add one (model.{what}(...)). Inside a layer's call(), "
                         f"{what} the value computed from the real inputs")
