"""``Normalization``: features shifted and scaled by a mean and variance, given or learned by
``adapt`` (Keras's ``keras.layers.Normalization``), and the batch reader that the numeric
preprocessing layers (``Normalization``, ``Discretization``) adapt from.

``adapt`` reads the data batch by batch and merges the statistics of each batch into the
running ones with Chan's parallel algorithm (float64 accumulators): for counts n_a, n_b,
means m_a, m_b and sums of squared deviations M_a, M_b,

    n = n_a + n_b,   m = m_a + (m_b - m_a) n_b / n,   M = M_a + M_b + (m_b - m_a)^2 n_a n_b / n

so the variance ``M / n`` of a dataset read in many batches equals the one-pass value without
the cancellation of ``E[x^2] - E[x]^2``.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.data.dataset import Dataset
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer

EPSILON = 1e-7  # Keras's backend.epsilon(): the smallest standard deviation divided by

__all__ = ["Normalization", "numeric_batches"]


def _x_of(batch):
    """The inputs of a batch: ``(x, y)`` and ``(x, y, sample_weight)`` give ``x`` (Keras)."""
    if isinstance(batch, tuple):
        batch = batch[0]
    return batch.data if isinstance(batch, Tensor) else batch


def _positive_or_none(value, arg, owner):
    if value is not None and (isinstance(value, bool) or not isinstance(
            value, (int, np.integer)) or value <= 0):
        raise ValueError(f"{owner}.adapt: `{arg}` must be None or a positive integer. "
                         f"Received: {arg}={value!r}")
    return value


def numeric_batches(data, batch_size, steps, owner, rebatch_vectors=False):
    """The batches (NumPy arrays) ``adapt`` reads from ``data``, with whether ``data`` was one
    array: an array or tensor (cut into ``batch_size`` rows if given, else whole); a
    ``Dataset`` (its elements; the first of ``(x, y)``; with ``rebatch_vectors`` a dataset of
    unbatched vectors is batched by 128, as Keras's Normalization does); any other iterable
    (a list, a generator, a ``PyDataset``): each item one batch. ``steps`` batches at most."""
    _positive_or_none(steps, "steps", owner)
    _positive_or_none(batch_size, "batch_size", owner)
    if isinstance(data, (np.ndarray, Tensor)):
        array = _x_of(data)
        if array.size == 0:
            raise ValueError(f"{owner}.adapt: received empty data (shape {array.shape}); "
                             f"adapt needs samples to learn from")
        if batch_size is None or array.ndim == 0:
            return [array], True
        batches = (array[i:i + batch_size] for i in range(0, len(array), batch_size))
        return (batches if steps is None else itertools.islice(batches, steps)), False
    if isinstance(data, Dataset):
        if rebatch_vectors:
            spec = data.element_spec
            spec = spec[0] if isinstance(spec, tuple) else spec
            if len(getattr(spec, "shape", ())) == 1:
                data = data.batch(128)
        data = data.take(steps) if steps is not None else data
        return (_x_of(b) for b in data.as_numpy_iterator()), False
    if isinstance(data, (str, bytes, dict)) or not hasattr(data, "__iter__"):
        raise TypeError(f"{owner}.adapt: expected a NumPy array, a tensor, a Dataset or an "
                        f"iterable of batches; received {type(data).__name__}")
    batches = (_x_of(b) for b in data)
    return (batches if steps is None else itertools.islice(batches, steps)), False


def _float_batch(batch, owner):
    array = np.asarray(batch)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{owner}.adapt: expected numeric batches; received an array of dtype "
                        f"{array.dtype}")
    return array.astype(np.float64, copy=False)


class Normalization(Layer):
    """Shifts and scales inputs by a per-feature mean and variance:

    .. math:: y = (x - \\mu) / \\max(\\sqrt{\\sigma^2}, 10^{-7})
              \\qquad (\\text{invert}: y = \\mu + x \\max(\\sqrt{\\sigma^2}, 10^{-7}))

    The statistics are given (``mean``, ``variance``, broadcast to the kept axes) or learned by
    ``adapt(data)``; learned ones are the layer's non-trainable weights ``mean``, ``variance``
    (and Keras's ``count``), so they are saved with the model.

    Args:
        axis: the axis or axes that keep a separate mean and variance per index (default the
            last: per feature); ``None``: one scalar mean and variance for everything.
        mean, variance: the statistics, given together (same shape).
        invert: apply the inverse map, turning normalized values back into data.

    >>> layer = Normalization(axis=None)
    >>> layer.adapt(np.array([1., 2., 3., 4., 5.], "float32"))
    >>> [round(v, 4) for v in layer(np.array([1., 2., 3.], "float32")).numpy().tolist()]
    [-1.4142, -0.7071, 0.0]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None or isinstance(axis, (tuple, list)) and not axis:
            axis = ()
        elif isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
            axis = (int(axis),)
        else:
            axis = check.axis(axis, "axis", "Normalization")
            axis = axis if isinstance(axis, tuple) else (axis,)
        self.axis = axis
        self.invert = check.boolean(invert, "invert", "Normalization")
        self.supports_masking = True
        if (mean is not None) != (variance is not None):
            raise ValueError(f"Normalization: When setting values directly, both `mean` and "
                             f"`variance` must be set. Received: mean={mean} and "
                             f"variance={variance}")
        if mean is not None:
            mean_array, variance_array = (self._statistic(v, n)
                                          for v, n in ((mean, "mean"), (variance, "variance")))
            if mean_array.shape != variance_array.shape:
                raise ValueError(f"Normalization: When setting values directly, `mean` and "
                                 f"`variance` must have the same shape. Received: mean shape "
                                 f"{mean_array.shape} and variance shape "
                                 f"{variance_array.shape}")
            if mean_array.ndim > len(self.axis):
                raise ValueError(f"Normalization: The rank of `mean` must be less than or "
                                 f"equal to the number of axes ({len(self.axis)}). Received: "
                                 f"mean shape {mean_array.shape} for axis {self.axis}")
            if (variance_array < 0).any():
                raise ValueError(f"Normalization: `variance` must be non-negative. Received: "
                                 f"variance={variance}")
        self.input_mean, self.input_variance = mean, variance
        self._mean = self._variance = self._scale = None  # the broadcast constants of call

    @staticmethod
    def _statistic(value, name):
        try:
            array = np.asarray(value.data if isinstance(value, Tensor) else value,
                               dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Normalization: `{name}` must be a number or an array of "
                            f"numbers. Received: {name}={value!r}") from None
        if not np.isfinite(array).all():
            raise ValueError(f"Normalization: `{name}` must be finite. Received: "
                             f"{name}={value!r}")
        return array

    # -- shapes and weights -------------------------------------------------------------------

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"Normalization '{self.name}': All `axis` values must be in the "
                             f"range [-ndim, ndim). Received inputs with ndim={ndim}, while "
                             f"axis={self.axis}")
        keep = tuple(sorted(a % ndim for a in self.axis))
        for d in keep:
            if input_shape[d] is None:
                raise ValueError(f"Normalization '{self.name}': All `axis` values to be kept "
                                 f"must have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={input_shape}, with unknown axis at index {d}")
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        self._stat_shape = tuple(input_shape[d] for d in keep)
        self._built_shape = input_shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", self._stat_shape, "zeros",
                                              trainable=False)
            self.adapt_variance = self.add_weight("variance", self._stat_shape, "ones",
                                                  trainable=False)
            self.count = self.add_weight("count", (), "zeros", trainable=False,
                                         dtype="int32")
            return
        # Given statistics: their axes align with the kept axes from the right (Keras).
        mean, variance = (self._statistic(v, n) for v, n in
                          ((self.input_mean, "mean"), (self.input_variance, "variance")))
        expanded = [1] * ndim
        for i in range(1, mean.ndim + 1):
            expanded[keep[-i]] = mean.shape[-i]
        try:
            mean, variance = (np.broadcast_to(v.reshape(expanded), self._broadcast_shape)
                              for v in (mean, variance))
        except ValueError:
            raise ValueError(f"Normalization '{self.name}': `mean` and `variance` of shape "
                             f"{self._statistic(self.input_mean, 'mean').shape} cannot be "
                             f"broadcast to the kept axes {keep} of inputs of shape "
                             f"{input_shape} (expected sizes {self._stat_shape})") from None
        self._set_constants(mean, variance)

    def _set_constants(self, mean, variance):
        self._mean = backend.asarray(mean, dtype=self.dtype)  # on the weights' device
        self._variance = backend.asarray(variance, dtype=self.dtype)
        self._scale = np.maximum(np.sqrt(self._variance), self.dtype.type(EPSILON))

    def check_input(self, inputs):
        shape = tuple(inputs.shape)
        if not self._keep_axis:  # one mean and variance for everything: any shape takes them
            return
        if len(shape) != len(self._built_shape) or any(
                shape[d] != self._built_shape[d] for d in self._keep_axis):
            raise ValueError(f"Normalization '{self.name}' was built for inputs of shape "
                             f"{self._built_shape} (axis={self.axis}), received input of "
                             f"shape {shape}")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    @property
    def mean(self):
        """The mean in the inputs' broadcast shape (Keras's ``layer.mean``), once built."""
        return self._broadcast_statistic(0)

    @property
    def variance(self):
        """The variance in the inputs' broadcast shape (Keras's ``layer.variance``)."""
        return self._broadcast_statistic(1)

    def _broadcast_statistic(self, which):
        if not self.built:
            return None
        if self.input_mean is None:
            weight = (self.adapt_mean, self.adapt_variance)[which]
            return Tensor._from_op(weight.data.reshape(self._broadcast_shape), None)
        return Tensor._from_op(self._mean if which == 0 else self._variance, None)

    # -- adapt --------------------------------------------------------------------------------

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the mean and variance of ``data`` (an array, a tensor, a ``Dataset`` of
        batches, or an iterable of batches; ``steps`` batches at most) for each index of the
        kept axes, and store them in the layer's weights."""
        if self.input_mean is not None:
            raise ValueError(f"Normalization '{self.name}': cannot adapt a layer constructed "
                             f"with `mean` and `variance`; create it without them to learn "
                             f"them from data")
        batches, whole = numeric_batches(data, batch_size, steps, "Normalization",
                                         rebatch_vectors=True)
        count = total_mean = total_m2 = None
        for batch in batches:
            x = _float_batch(batch, "Normalization")
            if not self.built:
                self.build(x.shape)
            self._check_adapt_shape(x.shape)
            n = math.prod(x.shape[d] for d in self._reduce_axis)
            if n == 0:
                continue
            mean = x.mean(axis=self._reduce_axis)
            m2 = ((x - x.mean(axis=self._reduce_axis, keepdims=True)) ** 2).sum(
                axis=self._reduce_axis)
            if count is None:
                count, total_mean, total_m2 = n, mean, m2
                continue
            delta = mean - total_mean
            merged = count + n
            total_mean = total_mean + delta * (n / merged)
            total_m2 = total_m2 + m2 + delta ** 2 * (count * n / merged)
            count = merged
        if count is None:
            raise ValueError("Normalization.adapt: received no data (an empty dataset or "
                             "iterable); expected at least one non-empty batch")
        if not np.isfinite(total_mean).all() or not np.isfinite(total_m2).all():
            raise ValueError("Normalization.adapt: the data holds NaN or infinite values")
        self.adapt_mean.assign(total_mean.reshape(self._stat_shape).astype(self.dtype))
        self.adapt_variance.assign((total_m2 / count).reshape(self._stat_shape)
                                   .astype(self.dtype))
        self.count.assign(np.int32(min(count, np.iinfo(np.int32).max)))

    def _check_adapt_shape(self, shape):
        if len(shape) != len(self._built_shape) or any(
                shape[d] != self._built_shape[d] for d in self._keep_axis):
            raise ValueError(f"Normalization '{self.name}': The layer was built with "
                             f"input_shape={self._built_shape}, but adapt() is being called "
                             f"with data with an incompatible shape, data.shape={shape}")

    # -- the map ------------------------------------------------------------------------------

    def call(self, inputs):
        if self.input_mean is None:  # the weights may have been loaded or set since
            self._set_constants(self.adapt_mean.data.reshape(self._broadcast_shape),
                                self.adapt_variance.data.reshape(self._broadcast_shape))
        elif type(self._mean) is not type(inputs.data):
            # given statistics are made on the host when built: moved once to the inputs'
            self._moved_to(backend.device_of(inputs.data))
        if self.invert:
            return inputs * self._scale + self._mean
        return (inputs - self._mean) / self._scale

    def _moved_to(self, device):
        if self._mean is not None:
            self._set_constants(backend.to_device(self._mean, device),
                                backend.to_device(self._variance, device))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": _listed(self.input_mean), "variance": _listed(self.input_variance)}


def _listed(value):
    if value is None:
        return None
    return np.asarray(value.data if isinstance(value, Tensor) else value).tolist()
