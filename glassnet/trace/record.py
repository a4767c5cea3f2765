"""``Trace``: the numbers of one recorded training step, as dicts, text and Markdown."""

from __future__ import annotations

import numpy as np

from glassnet.trace import render


def _plain(value):
    """JSON-ready: arrays as nested lists, NumPy scalars as Python numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class Trace:
    """One training step: ``layers`` (dicts of arrays, input layer first), ``loss`` (float),
    ``updates`` (one dict per parameter: rule, lr, W, dW, W_new, and m, v, ... for Adam).

    ``str(trace)`` gives the formulas with their numbers; ``to_markdown()`` the same as
    tables; ``to_dict()`` plain Python (lists, floats) for JSON or a notebook.
    """

    def __init__(self, model_name, layers, loss, loss_name, optimizer, updates, applied):
        self.model_name = model_name
        self.layers = layers
        self.loss = loss
        self.loss_name = loss_name
        self.optimizer = optimizer
        self.updates = updates
        self.applied = applied

    def to_dict(self) -> dict:
        return {"model": self.model_name, "loss": self.loss, "loss_name": self.loss_name,
                "optimizer": type(self.optimizer).__name__, "applied": self.applied,
                "layers": _plain(self.layers), "updates": _plain(self.updates)}

    def to_markdown(self, precision=4) -> str:
        return render.to_markdown(self, precision)

    def to_text(self, precision=4) -> str:
        return render.to_text(self, precision)

    def __str__(self):
        return render.to_text(self)

    def __repr__(self):
        return (f"<Trace of '{self.model_name}': {len(self.layers)} layers, "
                f"loss={self.loss:.6g}>")

    def _repr_markdown_(self):  # notebooks render the tables
        return self.to_markdown()
