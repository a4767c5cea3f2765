"""``Metric``: a quantity accumulated over batches (``update_state``), read with ``result``
and cleared with ``reset_state``. Metrics watch training; they are computed with NumPy
outside the autograd graph, or with CuPy where the batch is on a GPU: there their state
stays on the device too (0-d arrays), so that updating one does not wait for the step, and
``result`` is a 0-d device array that the training loop reads when the logs are read."""

from __future__ import annotations

import functools

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.autograd.variable import Variable
from glassnet.naming import snake_case


def as_array(x):
    """``x`` (a tensor, array or nested list) as an array, on the device it is on."""
    return backend.asarray(x.data if isinstance(x, Tensor) else x)


def align(t, p):
    """y_true and y_pred brought to one rank when they differ only by a trailing axis of
    size 1 ((N,) against (N, 1)), as Keras's ``squeeze_or_expand_to_same_rank``."""
    if t.ndim == p.ndim - 1 and p.shape[-1] == 1:
        return t[..., None], p
    if p.ndim == t.ndim - 1 and t.shape[-1] == 1:
        return t[..., 0], p
    return t, p


# How a metric's y_true shape must relate to its y_pred shape (Metric.shape_rule).
_EXPECTED = {
    "same": "the same shape (up to a trailing axis of size 1)",
    "sparse": "integer labels of shape y_pred.shape[:-1] (or with a last axis of size 1)",
    "batch": "the same batch size (first axis)",
}


def _shapes_fit(rule, ts, ps):
    if rule == "same":
        return ts == ps or ts == ps + (1,) or ts + (1,) == ps
    if rule == "sparse":
        return bool(ps) and (ts == ps[:-1] or ts == ps[:-1] + (1,))
    return not ts or not ps or ts[0] == ps[0]


def _weight_fits(ws, shape):
    """Whether a sample_weight of shape ``ws`` broadcasts over values of ``shape`` the way
    the metrics apply it (trailing axes of size 1 dropped, missing trailing axes added)."""
    if ws == shape[:len(ws)]:
        return True
    while len(ws) > len(shape) and ws[-1] == 1:
        ws = ws[:-1]
    return len(ws) <= len(shape) and all(a in (1, b) for a, b in zip(ws, shape))


def _owner(metric):
    return f"{type(metric).__name__} metric '{metric.name}'"


def check_weight(metric, sample_weight, shape):
    """``sample_weight`` as an array, raising a ValueError naming ``metric`` when it cannot
    weight values of ``shape``."""
    w = as_array(sample_weight)
    if not _weight_fits(w.shape, tuple(shape)):
        raise ValueError(f"{_owner(metric)}: sample_weight of shape {w.shape} is incompatible "
                         f"with the values of shape {tuple(shape)} it weights; expected a "
                         f"scalar or one weight per sample (shape {tuple(shape)[:1]})")
    return w


def _is_real(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and \
        not isinstance(value, (bool, np.bool_))


def real_number(value, arg, owner, low=None, high=None, low_open=False):
    """``value`` as a float, raising Keras-style errors unless it is a real number within
    [low, high] (or (low, high] with ``low_open``)."""
    if not _is_real(value):
        raise TypeError(f"{owner}: `{arg}` must be a number. Received: {arg}={value!r} "
                        f"(of type {type(value).__name__})")
    value = float(value)
    below = low is not None and (value <= low if low_open else value < low)
    if below or (high is not None and value > high) or value != value:
        interval = f"{'(' if low_open else '['}{low}, {high}]"
        raise ValueError(f"{owner}: `{arg}` must be in {interval}. Received: {arg}={value!r}")
    return value


class MetricValue(float):
    """A metric's result: a Python float that also answers TensorFlow's ``.numpy()``
    (``metric.result().numpy()`` in TensorFlow's guides)."""

    __slots__ = ()

    def numpy(self):
        return np.float32(self)


def _as_metric_value(result):
    @functools.wraps(result)
    def wrapped(self):
        value = result(self)
        return MetricValue(value) if type(value) is float else value

    return wrapped


def _dtype_name(dtype, metric):
    if dtype is None:
        return "float32"
    try:
        return np.dtype(getattr(dtype, "name", dtype)).name
    except TypeError:
        raise TypeError(f"{type(metric).__name__}: `dtype` must name a NumPy dtype. "
                        f"Received: dtype={dtype!r}") from None


class Metric:
    """Base class of stateful metrics."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "result" in cls.__dict__:  # every metric's float result answers .numpy()
            cls.result = _as_metric_value(cls.__dict__["result"])

    # How y_true's shape must relate to y_pred's (see _EXPECTED); checked by update_state.
    shape_rule = "same"

    def __init__(self, name=None, dtype=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{type(self).__name__}: `name` must be a string. Received: "
                            f"name={name!r} (of type {type(name).__name__})")
        self.name = name or snake_case(type(self).__name__)
        self.dtype = _dtype_name(dtype, self)
        self._variables = []
        # The built-in metrics keep their state in attributes that reset_state sets. A
        # metric written as Keras's guide writes one makes Variables after this __init__
        # returns, so its reset_state cannot run yet (and starts from the initial values).
        if type(self).reset_state.__module__.startswith("glassnet."):
            self.reset_state()

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """A state Variable of this metric (Keras 3's ``add_variable``; ``add_weight`` is
        the Keras 2 name), set back to its initial value by the default ``reset_state``.
        ``initializer``: "zeros" (also None), "ones", a number, or a callable
        ``f(shape, dtype)`` such as ``keras.initializers.Zeros()``. ``aggregation`` is
        accepted for Keras's signature (one process: nothing to aggregate)."""
        dtype = np.dtype(dtype or "float32")
        if initializer is None or (isinstance(initializer, str) and
                                   initializer.lower() in ("zeros", "ones")):
            initializer = (initializer or "zeros").lower()
        shape = (int(shape),) if np.ndim(shape) == 0 and shape != () else tuple(shape)
        if callable(initializer):
            initial = np.asarray(initializer(shape, dtype=dtype), dtype)
        elif initializer in ("zeros", "ones"):
            initial = (np.zeros if initializer == "zeros" else np.ones)(shape, dtype)
        elif isinstance(initializer, (int, float)):
            initial = np.full(shape, initializer, dtype)
        else:
            raise ValueError(f"{_owner(self)}: add_variable's initializer must be 'zeros', "
                             f"'ones', a number or a callable; received {initializer!r}")
        variable = Variable(initial, trainable=False, name=name or "variable", dtype=dtype)
        self._variables.append((variable, initial.copy()))
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None, **kwargs):
        """Keras 2's name for ``add_variable`` (``initializer`` defaults to zeros)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name,
                                 **kwargs)

    @property
    def variables(self):
        return [v for v, _ in self._variables]

    def reset_state(self):
        """Set every Variable made by ``add_variable`` back to its initial value."""
        for variable, initial in self._variables:
            variable.assign(initial)

    def reset_states(self):
        """tf.keras 2's name for ``reset_state``."""
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def check_shapes(self, y_true, y_pred):
        """y_true and y_pred as arrays, raising a ValueError naming this metric and both
        shapes when they do not fit together (a tuple comparison when they do)."""
        t, p = as_array(y_true), as_array(y_pred)
        if not _shapes_fit(self.shape_rule, t.shape, p.shape):
            raise ValueError(f"{_owner(self)}: y_true and y_pred have incompatible shapes. "
                             f"Received: y_true.shape={t.shape}, y_pred.shape={p.shape}; "
                             f"expected {_EXPECTED[self.shape_rule]}")
        return t, p

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


class Mean(Metric):
    """The (weighted) mean of the values given to ``update_state(values, sample_weight)``."""

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        if isinstance(values, float) and (sample_weight is None or
                                          isinstance(sample_weight, (int, float))):
            # one number per batch (the loss tracker): no arrays needed
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total += values * weight
            self.count += weight
            return
        values = as_array(values).astype(np.float64)
        if backend.on_device(values):
            self._update_on_device(values, sample_weight)
            return
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        check_weight(self, sample_weight, values.shape)
        w = np.broadcast_to(_weights_for(sample_weight, values), values.shape)
        self.total += float((values * w).sum())
        self.count += float(w.sum())

    def _update_on_device(self, values, sample_weight):
        """The same sums kept as 0-d device arrays (no ``float()``: it would wait for the
        GPU). A scalar weight multiplies on the host side of the expression; an array
        weight is brought to the values' device."""
        if sample_weight is None or _is_real(sample_weight):
            weight = 1.0 if sample_weight is None else float(sample_weight)
            self.total = self.total + values.sum() * weight
            self.count = self.count + values.size * weight
            return
        check_weight(self, sample_weight, values.shape)
        w = _weights_for(sample_weight, values)
        if not backend.on_device(w):
            w = backend.to_device(w, backend.device_of(values))
        w = backend.get_array_module(values).broadcast_to(w, values.shape)
        self.total = self.total + (values * w).sum()
        self.count = self.count + w.sum()

    def __call__(self, values, sample_weight=None):
        self.update_state(values, sample_weight)
        return self.result()

    def result(self):
        if backend.on_device(self.total) or backend.on_device(self.count):
            # count is 0 only while total is (every weight 0): total / tiny is then 0 too
            xp = backend.get_array_module(self.total, self.count)
            return self.total / xp.maximum(self.count, np.finfo(np.float64).tiny)
        return self.total / self.count if self.count else 0.0


class Sum(Mean):
    """The (weighted) sum of the values given to ``update_state(values, sample_weight)``.

    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    16.0
    """

    def result(self):
        return self.total


def _weights_for(sample_weight, values):
    w = as_array(sample_weight).astype(np.float64)
    while w.ndim > values.ndim and w.shape[-1] == 1:
        w = w[..., 0]
    while w.ndim < values.ndim:
        w = w[..., None]
    return w


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)``, a per-sample metric function."""

    fn = None
    # A user's function may relate the shapes any way; the built-in metrics are stricter.
    shape_rule = "batch"

    def __init__(self, fn=None, name=None, dtype=None, **kwargs):
        """``MeanMetricWrapper(fn, name=None, dtype=None, **kwargs)`` as Keras; the built-in
        subclasses carry their ``fn`` and take ``name`` first (``MeanSquaredError("mse")``)."""
        if isinstance(fn, str) and type(self).fn is not None:
            fn, name, dtype = None, fn, name if dtype is None else dtype
        if fn is not None and not callable(fn):
            raise TypeError(f"MeanMetricWrapper: `fn` must be a function (y_true, y_pred) -> "
                            f"values. Received: fn={fn!r}")
        self._fn = fn
        self.kwargs = kwargs
        super().__init__(name=name or getattr(fn, "__name__", None), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self.check_shapes(y_true, y_pred)
        fn = self._fn or type(self).fn
        if fn is None:
            raise TypeError(f"{_owner(self)}: no metric function; pass one as "
                            f"MeanMetricWrapper(fn)")
        super().update_state(fn(y_true, y_pred, **self.kwargs), sample_weight)

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {**super().get_config(), **self.kwargs}
