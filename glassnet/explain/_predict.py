"""A glassnet model as the NumPy function the explanation libraries call: rows in, float64
scores out, in bounded batches, inference mode, shapes checked against the model's input."""

from __future__ import annotations

import numpy as np

from glassnet.explain import _core


def input_shape(model):
    """The model's per-sample input shape, or None when it does not declare one."""
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1:
        return None
    shape = tuple(inputs[0].shape[1:])
    return None if any(d is None for d in shape) else shape


def require(package, owner):
    """Import an optional library, or fail with one line naming its install."""
    try:
        return __import__(package)
    except ImportError:
        raise ImportError(f"{owner} needs {package}: pip install {package} "
                          f"(or pip install 'glassnet[explain]')") from None


class BatchedPredict:
    """``f(X) -> (n, outputs)`` float64 for ``model``: flat rows are reshaped to the model's
    input shape (shap and lime hand tabular rows), and at most ``batch_size`` rows go
    through the model at once."""

    def __init__(self, model, batch_size=256, owner="predict_function"):
        self.forward = _core.Forward(model, owner)
        self.batch_size = _core.positive_int(batch_size, "batch_size", owner)
        self.shape = input_shape(model)
        self.owner = owner

    def _rows(self, x):
        x = np.asarray(getattr(x, "values", x))   # a pandas DataFrame gives its values
        if x.dtype.kind not in "fiub":
            raise TypeError(f"{self.owner}: expected numeric rows; received dtype {x.dtype}")
        x = x.astype(np.float32)
        if self.shape is None or x.shape[1:] == self.shape:
            return x
        if x.ndim >= 2 and int(np.prod(x.shape[1:])) == int(np.prod(self.shape)):
            return x.reshape((len(x), *self.shape))
        raise ValueError(f"{self.owner}: the model expects samples of shape {self.shape}; "
                         f"received data of shape {x.shape}")

    def __call__(self, x):
        x = self._rows(x)
        outs = []
        for lo in range(0, len(x), self.batch_size):
            out = self.forward(x[lo:lo + self.batch_size], None, 1)
            outs.append(np.asarray(out.numpy() if hasattr(out, "numpy") else out,
                                   dtype=np.float64))
        out = np.concatenate(outs) if outs else np.zeros((0, 1))
        return out.reshape(len(out), -1)
