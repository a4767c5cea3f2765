"""Fake quantization: quantize then dequantize in the forward pass, the straight-through
estimator in the backward pass (Jacob et al. 2018; PyTorch's
``torch.fake_quantize_per_tensor_affine`` / ``_per_channel_affine``, the same arithmetic).

.. math::

    q = \\mathrm{rint}(x \\cdot (1 / s)) + z, \\qquad
    y = (\\mathrm{clip}(q, q_{min}, q_{max}) - z) \\, s, \\qquad
    \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y} \\,
        [q_{min} \\le q \\le q_{max}]

The rounding has derivative 0 almost everywhere, which would stop all learning; the
straight-through estimator takes it as 1 inside the grid (the gradient of the clipped
identity clip(x, s (q_min - z), s (q_max - z))) and 0 outside, where the output really is
constant. Scale and zero point are constants here (no gradient), as in PyTorch's ops.
``1 / s`` is computed in float32 first and multiplied, as PyTorch does, so that values and
rounding ties agree with it bit for bit.

>>> from glassnet.autograd import Tensor
>>> x = Tensor(np.array([-0.2, 0.3, 70.0], "float32"), requires_grad=True)
>>> y = fake_quantize_per_tensor(x, 0.25, 0, 0, 255)
>>> y.numpy().tolist()
[0.0, 0.25, 63.75]
>>> y.sum().backward(); x.grad.tolist()
[0.0, 1.0, 0.0]
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import Tensor
from glassnet.autograd.tensor import Function

__all__ = ["FakeQuantizePerChannel", "FakeQuantizePerTensor", "fake_quantize_per_channel",
           "fake_quantize_per_tensor"]


class FakeQuantizePerTensor(Function):
    """y = (clip(rint(x / s) + z, qmin, qmax) - z) * s;  dx = gy * [qmin <= rint(x/s)+z <= qmax]."""

    def __init__(self, scale, zero_point, quant_min, quant_max):
        self.scale, self.zero_point = scale, zero_point
        self.quant_min, self.quant_max = quant_min, quant_max

    def forward(self, x):
        dtype = x.dtype if x.dtype.kind == "f" else np.float32
        scale = np.asarray(self.scale, dtype)
        inv_scale = np.asarray(1, dtype) / scale
        q = np.rint(x * inv_scale) + np.asarray(self.zero_point, dtype)
        self.mask = (q >= self.quant_min) & (q <= self.quant_max)
        np.clip(q, self.quant_min, self.quant_max, out=q)
        return ((q - np.asarray(self.zero_point, dtype)) * scale).astype(dtype, copy=False)

    def backward(self, gy):
        return gy * self.mask


class FakeQuantizePerChannel(FakeQuantizePerTensor):
    """Per-channel: ``scale`` and ``zero_point`` are vectors along ``axis`` of x."""

    def __init__(self, scale, zero_point, axis, quant_min, quant_max):
        self.axis = axis
        super().__init__(scale, zero_point, quant_min, quant_max)

    def forward(self, x):
        shape = [1] * x.ndim
        shape[self.axis] = -1
        scale, zero_point = self.scale, self.zero_point
        self.scale = np.asarray(scale).reshape(shape)
        self.zero_point = np.asarray(zero_point).reshape(shape)
        try:
            return super().forward(x)
        finally:
            self.scale, self.zero_point = scale, zero_point


def _check_range(quant_min, quant_max, op):
    if not (isinstance(quant_min, (int, np.integer)) and isinstance(quant_max, (int, np.integer))
            and quant_min < quant_max):
        raise ValueError(f"{op}: expected integers quant_min < quant_max. Received: "
                         f"quant_min={quant_min!r}, quant_max={quant_max!r}")


def _check_scale(scale, op):
    scale = np.asarray(scale, np.float32)
    if not (np.isfinite(scale).all() and (scale > 0).all()):
        raise ValueError(f"{op}: scale must be positive and finite. Received: scale={scale}")
    return scale


def fake_quantize_per_tensor(x, scale, zero_point, quant_min=0, quant_max=255) -> Tensor:
    """Quantize-dequantize ``x`` on one grid; straight-through gradient (see module)."""
    op = "fake_quantize_per_tensor"
    _check_range(quant_min, quant_max, op)
    scale = _check_scale(scale, op)
    if scale.ndim:
        raise ValueError(f"{op}: scale must be a scalar. Received shape {scale.shape}")
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    return FakeQuantizePerTensor(scale, int(zero_point), int(quant_min), int(quant_max))(x)


def fake_quantize_per_channel(x, scale, zero_point, axis=-1, quant_min=-127,
                              quant_max=127) -> Tensor:
    """Quantize-dequantize ``x`` with one grid per index of ``axis`` (weights' channels)."""
    op = "fake_quantize_per_channel"
    _check_range(quant_min, quant_max, op)
    x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for an input of shape "
                         f"{tuple(x.shape)}")
    scale = _check_scale(scale, op)
    zero_point = np.asarray(zero_point, np.int64)
    channels = x.shape[axis]
    if scale.shape != (channels,) or zero_point.shape != (channels,):
        raise ValueError(f"{op}: scale and zero_point must have shape ({channels},), the "
                         f"size of axis {axis}. Received: scale {scale.shape}, zero_point "
                         f"{zero_point.shape}")
    return FakeQuantizePerChannel(scale, zero_point, axis % x.ndim, int(quant_min),
                                  int(quant_max))(x)
