"""Quantization parameters: how a float range becomes a scale and a zero point, and the
observers that find the range of an activation.

Two schemes, as TFLite and ONNX Runtime use them:

- weights: symmetric int8, per output channel. For channel ``c``

  .. math::

      s_c = \\max_i |w_{ic}| / 127, \\qquad q_{ic} = \\mathrm{clip}(\\mathrm{rint}(w_{ic} / s_c),
      -127, 127)

  (-128 is left out, so that -q is representable and the range is symmetric);

- activations: asymmetric uint8, per tensor. For an observed range [lo, hi], widened to hold 0
  (zero padding and ReLU's zeros must be exact),

  .. math::

      s = (hi - lo) / 255, \\qquad z = \\mathrm{clip}(\\mathrm{rint}(-lo / s), 0, 255),
      \\qquad q = \\mathrm{clip}(\\mathrm{rint}(x / s) + z, 0, 255)

  and :math:`x \\approx s (q - z)`. A ReLU output has lo = 0, so z = 0 and all 256 levels
  cover [0, hi].

>>> scale, zero_point = activation_qparams(-1.0, 3.0)
>>> float(scale), int(zero_point)
(0.01568627543747425, 64)
>>> quantize_activation(np.array([-1.0, 0.0, 3.0], "float32"), scale, zero_point).tolist()
[0, 64, 255]
"""

from __future__ import annotations

import numpy as np

QMIN, QMAX = 0, 255          # activations: uint8
WMIN, WMAX = -127, 127       # weights: symmetric int8

__all__ = ["MinMaxObserver", "MovingAverageMinMaxObserver", "PercentileObserver",
           "activation_qparams", "dequantize", "get_observer", "quantize_activation",
           "quantize_weights"]


def activation_qparams(lo, hi):
    """(scale float32, zero_point uint8) of the uint8 grid over [min(lo, 0), max(hi, 0)].

    A range of width 0 (a tensor that was always 0) gets scale 1, so that nothing divides by 0.
    """
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"activation_qparams: the observed range must be finite. Received: "
                         f"[{lo}, {hi}] (NaN or inf in the calibration data?)")
    scale = np.float32((hi - lo) / (QMAX - QMIN)) if hi > lo else np.float32(1.0)
    zero_point = np.clip(np.rint(QMIN - lo / scale), QMIN, QMAX).astype(np.uint8)
    return scale, zero_point


def quantize_activation(x, scale, zero_point):
    """uint8 ``clip(rint(x / scale) + zero_point, 0, 255)`` (rint: halves to even, as ONNX's
    QuantizeLinear)."""
    q = np.rint(np.asarray(x, np.float32) / np.float32(scale)) + np.float32(zero_point)
    return np.clip(q, QMIN, QMAX).astype(np.uint8)


def dequantize(q, scale, zero_point=0):
    """float32 ``scale * (q - zero_point)``; ``scale`` may be per channel (last axis)."""
    return (np.asarray(q, np.float32) - np.float32(zero_point)) * np.asarray(scale, np.float32)


def quantize_weights(w, per_channel=True):
    """(int8 q, float32 scale): symmetric int8 of ``w`` with one scale per output channel
    (the last axis, Keras's layout for Dense and Conv2D kernels) or one for the whole tensor.

    >>> q, s = quantize_weights(np.array([[0.5, -2.0], [-1.0, 1.0]], "float32"))
    >>> q.tolist(), s.tolist()
    ([[64, -127], [-127, 64]], [0.007874015718698502, 0.015748031437397003])
    """
    w = np.asarray(w, np.float32)
    amax = np.abs(w).reshape(-1, w.shape[-1]).max(axis=0) if per_channel \
        else np.array([np.abs(w).max()], np.float32)
    scale = np.where(amax > 0, amax / WMAX, 1.0).astype(np.float32)  # an all-zero channel
    q = np.clip(np.rint(w / scale), WMIN, WMAX).astype(np.int8)
    return q, (scale if per_channel else np.full(w.shape[-1], scale[0], np.float32))


class MinMaxObserver:
    """The running minimum and maximum over every batch seen (post-training calibration)."""

    def __init__(self):
        self.lo, self.hi = np.inf, -np.inf

    def update(self, x):
        x = np.asarray(x)
        if x.size:
            self.lo, self.hi = min(self.lo, float(x.min())), max(self.hi, float(x.max()))

    def range(self):
        if self.lo > self.hi:
            raise ValueError("observer: no data was observed; give calibration_data with at "
                             "least one sample")
        return self.lo, self.hi

    def qparams(self):
        return activation_qparams(*self.range())


class MovingAverageMinMaxObserver(MinMaxObserver):
    """Exponential moving averages of the batch minimum and maximum (QAT's ranges, as
    TensorFlow's ``MovingAverageQuantizer`` and ``torch.ao``'s observer):
    ``lo <- lo + c (min(x) - lo)``, the first batch taken as it is."""

    def __init__(self, averaging_constant=0.01):
        super().__init__()
        if not 0 < averaging_constant <= 1:
            raise ValueError(f"MovingAverageMinMaxObserver: averaging_constant must be in "
                             f"(0, 1]. Received: averaging_constant={averaging_constant!r}")
        self.c = float(averaging_constant)

    def update(self, x):
        x = np.asarray(x)
        if not x.size:
            return
        lo, hi = float(x.min()), float(x.max())
        if self.lo > self.hi:
            self.lo, self.hi = lo, hi
        else:
            self.lo += self.c * (lo - self.lo)
            self.hi += self.c * (hi - self.hi)


class PercentileObserver(MinMaxObserver):
    """The ``percentile``-th and (100 - ``percentile``)-th percentiles of the observed values:
    a few outliers no longer stretch the grid. Keeps a seeded random sample of at most
    ``max_samples`` values per batch (so memory stays bounded and runs are reproducible)."""

    def __init__(self, percentile=99.99, max_samples=200_000, seed=0):
        super().__init__()
        if not 50 < percentile <= 100:
            raise ValueError(f"PercentileObserver: percentile must be in (50, 100]. "
                             f"Received: percentile={percentile!r}")
        self.percentile, self.max_samples = float(percentile), int(max_samples)
        self.rng = np.random.default_rng(seed)
        self.samples = []

    def update(self, x):
        x = np.asarray(x, np.float32).ravel()
        if x.size > self.max_samples:
            x = self.rng.choice(x, self.max_samples, replace=False)
        if x.size:
            self.samples.append(x)

    def range(self):
        if not self.samples:
            return super().range()
        values = np.concatenate(self.samples)
        lo, hi = np.percentile(values, [100 - self.percentile, self.percentile])
        return float(lo), float(hi)


def get_observer(observer):
    """An observer from a name ("minmax", "percentile") or a zero-argument factory."""
    if observer == "minmax":
        return MinMaxObserver()
    if observer == "percentile":
        return PercentileObserver()
    if callable(observer):
        return observer()
    raise ValueError(f"quantize: observer must be 'minmax', 'percentile' or a callable that "
                     f"returns an observer. Received: observer={observer!r}")
