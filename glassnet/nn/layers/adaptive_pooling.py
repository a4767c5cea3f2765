"""Adaptive pooling (Keras 3.15, PyTorch's AdaptiveAvgPool / AdaptiveMaxPool): pool to a
fixed ``output_size`` whatever the input size.

Along an axis of length L pooled to O outputs, output i reads the window
    [start_i, end_i) = [floor(i * L / O), ceil((i + 1) * L / O))
(windows of nearly equal size, overlapping when O does not divide L). A mean or maximum over
a box is the mean or maximum over each of its axes in turn, so the pooling runs one axis at
a time: gather each output's window along the axis as (O, K) indices (K the longest window;
a shorter one repeats its last index), then reduce over K: the maximum, or the sum weighted
by 1 / (end_i - start_i) on real entries and 0 on repeats. The gradients are those of the
gather, product and reduction (no hand-written backward, no loop over positions).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.nn.layer import Layer
from glassnet.nn.layers.convolutional import _data_format
from glassnet.nn.layers.convolutional3d import expect_ndim


def adaptive_windows(length, out):
    """(indices (out, K), weights (out, K)): each output's window along an axis of
    ``length``, padded by repeating its last index; weights 1/size on real entries, else 0.

    >>> adaptive_windows(5, 3)[0].tolist()
    [[0, 1, 1], [1, 2, 3], [3, 4, 4]]
    """
    i = np.arange(out)
    start, end = (i * length) // out, -(-((i + 1) * length) // out)
    k = np.arange((end - start).max())
    real = start[:, None] + k[None, :] < end[:, None]
    indices = np.minimum(start[:, None] + k[None, :], end[:, None] - 1)
    weights = real / (end - start)[:, None]
    return indices, weights


class _AdaptivePooling(Layer):
    rank = 2
    mode = "average"

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        layer = type(self).__name__
        if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
            output_size = (output_size,) * self.rank
        elif not isinstance(output_size, (tuple, list)):
            raise TypeError(f"{layer}: `output_size` must be an integer or a tuple of "
                            f"{self.rank} integers. Received: output_size={output_size!r} of "
                            f"type {type(output_size).__name__}")
        output_size = tuple(output_size)
        if len(output_size) != self.rank or any(
                isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0
                for v in output_size):
            raise ValueError(f"{layer}: `output_size` must be a positive integer or a tuple "
                             f"of {self.rank} positive integers. Received: "
                             f"output_size={output_size!r}")
        self.output_size = tuple(int(v) for v in output_size)
        self.data_format = _data_format(data_format, layer)

    def _spatial_axes(self):
        first = 2 if self.data_format == "channels_first" else 1
        return range(first, first + self.rank)

    def check_input(self, inputs):
        expect_ndim(self, inputs.shape, self.rank + 2)

    def call(self, inputs):
        y = inputs
        xp = backend.get_array_module(inputs.data)
        for axis, out in zip(self._spatial_axes(), self.output_size):
            indices, weights = adaptive_windows(y.shape[axis], out)
            if xp is not np:  # the windows (from the shapes alone) go where the data is
                indices, weights = xp.asarray(indices), xp.asarray(weights)
            windows = ops.take(y, indices, axis=axis)  # axis -> (out, K)
            if self.mode == "max":
                y = ops.max(windows, axis=axis + 1)
            else:
                w = weights.reshape(weights.shape + (1,) * (windows.ndim - axis - 2))
                y = ops.sum(windows * w.astype(windows.dtype), axis=axis + 1)
        return y

    def compute_output_shape(self, input_shape):
        shape = list(input_shape)
        for axis, out in zip(self._spatial_axes(), self.output_size):
            shape[axis] = out
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class AdaptiveAveragePooling1D(_AdaptivePooling):
    """Mean over ``output_size`` nearly equal windows of a sequence.

    >>> AdaptiveAveragePooling1D(2)(np.arange(5.0).reshape(1, 5, 1)).numpy().ravel().tolist()
    [1.0, 3.0]
    """

    rank = 1


class AdaptiveMaxPooling1D(_AdaptivePooling):
    """Maximum over ``output_size`` nearly equal windows of a sequence."""

    rank, mode = 1, "max"


class AdaptiveAveragePooling2D(_AdaptivePooling):
    """Mean over an ``output_size`` = (h, w) grid of nearly equal windows of an image.

    >>> AdaptiveAveragePooling2D((2, 3))(np.zeros((4, 7, 9, 3))).shape
    (4, 2, 3, 3)
    """


class AdaptiveMaxPooling2D(_AdaptivePooling):
    """Maximum over an ``output_size`` = (h, w) grid of nearly equal windows of an image."""

    mode = "max"


class AdaptiveAveragePooling3D(_AdaptivePooling):
    """Mean over an ``output_size`` = (d, h, w) grid of nearly equal windows of a volume."""

    rank = 3


class AdaptiveMaxPooling3D(_AdaptivePooling):
    """Maximum over an ``output_size`` = (d, h, w) grid of nearly equal windows of a volume."""

    rank, mode = 3, "max"
