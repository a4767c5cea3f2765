"""``InputSpec``: what a layer declares about its inputs (rank, dtype, known axes), checked
by ``Layer.__call__`` before ``call`` with Keras's error texts.

>>> spec = InputSpec(ndim=3, axes={-1: 8})
>>> assert_input_compatibility(spec, [np.zeros((2, 4, 8))], "attention")
>>> assert_input_compatibility(spec, [np.zeros((2, 8))], "attention")
Traceback (most recent call last):
...
ValueError: Input 0 of layer "attention" is incompatible with the layer: expected ndim=3, \
found ndim=2. Full shape received: (2, 8)
"""

from __future__ import annotations

import numpy as np


class InputSpec:
    """The rank, dtype and axis sizes a layer accepts (Keras's arguments: ``dtype``,
    ``shape`` (None for a free axis), ``ndim``, ``max_ndim``, ``min_ndim``, ``axes``
    ({axis: size}), ``allow_last_axis_squeeze``, ``name``, ``optional``)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = None if dtype is None else np.dtype(dtype).name
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.name, self.optional = name, bool(optional)
        self.allow_last_axis_squeeze = bool(allow_last_axis_squeeze)
        try:
            self.axes = {int(k): v for k, v in (axes or {}).items()}
        except (ValueError, TypeError, AttributeError):
            raise TypeError(f"InputSpec: `axes` must be a dict with integer keys. Received: "
                            f"axes={axes!r}") from None
        if self.axes and self.ndim is not None:
            top = max(self.axes)
            if top > self.ndim - 1:
                raise ValueError(f"Axis {top} is greater than the maximum allowed value: "
                                 f"{self.ndim - 1}")

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape),
                                         ("ndim", self.ndim), ("max_ndim", self.max_ndim),
                                         ("min_ndim", self.min_ndim), ("axes", self.axes or None))
                 if v is not None]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise Keras's ValueError when ``inputs`` (a tensor or a list) break ``input_spec``
    (an InputSpec or a list of them, one per input; None entries check nothing)."""
    if not input_spec:
        return
    specs, inputs = _as_list(input_spec), _as_list(inputs)
    if len(specs) > 1 and len(inputs) != len(specs):
        raise ValueError(f'Layer "{layer_name}" expects {len(specs)} input(s), but it received '
                         f"{len(inputs)} input tensors.")
    for index, (spec, x) in enumerate(zip(specs, inputs)):
        if spec is None or x is None and spec.optional:
            continue
        shape = tuple(getattr(x, "shape", np.shape(x)))
        ndim = len(shape)
        where = f'Input {index} of layer "{layer_name}" is incompatible with the layer:'
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f"{where} expected ndim={spec.ndim}, found ndim={ndim}. Full shape "
                             f"received: {shape}")
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f"{where} expected max_ndim={spec.max_ndim}, found ndim={ndim}")
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f"{where} expected min_ndim={spec.min_ndim}, found ndim={ndim}. "
                             f"Full shape received: {shape}")
        dtype = getattr(x, "dtype", None)
        if spec.dtype is not None and dtype is not None and np.dtype(dtype).name != spec.dtype:
            raise ValueError(f"{where} expected dtype={spec.dtype}, found dtype="
                             f"{np.dtype(dtype).name}")
        for axis, value in spec.axes.items():
            if value is not None and -ndim <= axis < ndim and shape[axis] not in (value, None):
                raise ValueError(f"{where} expected axis {axis} of input shape to have value "
                                 f"{value}, but received input with shape {shape}")
        if spec.shape is not None and ndim == len(spec.shape):
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(f"{where} expected shape={spec.shape}, found shape={shape}")
