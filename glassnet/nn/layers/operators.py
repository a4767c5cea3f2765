"""``TensorOperator``: Python's operators between model tensors (``a + b``, ``-a``, ``a @ b``,
``a[:, -1]``, and the unpacking of a layer's several outputs: ``out, h, c = lstm(x)``) as a
layer of the functional graph that saves with the model.

A ``Lambda`` would hold a Python function, which a saved file must never carry; this layer
holds only the operator's name, its constant operands and, for indexing, the key, all of
which are data.
"""

from __future__ import annotations

import operator as python_operator

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.layer import Layer

OPERATORS = {
    "add": python_operator.add, "subtract": python_operator.sub,
    "multiply": python_operator.mul, "divide": python_operator.truediv,
    "power": python_operator.pow, "matmul": python_operator.matmul,
    "negative": python_operator.neg, "get_item": python_operator.getitem,
}


class TensorOperator(Layer):
    """``OPERATORS[operator](*operands)``, the operands at ``places`` being the layer's
    inputs (in order) and the others ``constants``; ``get_item`` indexes its input by ``key``.

    >>> from glassnet.nn.layers import Input
    >>> x = Input(shape=(3, 4))
    >>> last = x[:, -1]
    >>> type(last.layer).__name__, last.shape, last.layer.get_config()["operator"]
    ('TensorOperator', (None, 4), 'get_item')
    """

    def __init__(self, operator, constants=(), places=(0,), key=None, **kwargs):
        super().__init__(**kwargs)
        if operator not in OPERATORS:
            raise ValueError(f"TensorOperator: unknown operator {operator!r}; expected one of "
                             f"{sorted(OPERATORS)}")
        self.operator = operator
        self.constants = [_constant(c) for c in constants]
        self.places = [int(p) for p in places]
        self.key = _decode_key(key) if isinstance(key, dict) else key
        self.supports_masking = True

    def call(self, inputs):
        if self.operator == "get_item":
            return inputs[self.key]
        values = list(self.constants)
        for place, value in zip(self.places, inputs if len(self.places) > 1 else [inputs]):
            values[place] = value
        return OPERATORS[self.operator](*values)

    def compute_mask(self, inputs, mask=None):
        if self.operator != "get_item":
            return mask[0] if isinstance(mask, list) else mask  # elementwise: steps stay
        if isinstance(inputs, (list, tuple)):  # one of a layer's outputs: its own mask
            return mask[self.key] if isinstance(mask, list) else None
        return None  # indexing a tensor may take its time axis away

    def get_config(self):
        return {**super().get_config(), "operator": self.operator,
                "constants": [_encode_constant(c) for c in self.constants],
                "places": self.places, "key": _encode_key(self.key)}


def _constant(value):
    if isinstance(value, dict) and "array" in value:
        return np.asarray(value["array"], dtype=value.get("dtype", "float32"))
    return value


def _encode_constant(value):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        return {"array": value.tolist(), "dtype": value.dtype.name}
    return value


def _encode_key(key):
    """An index key as JSON data: ints stay ints; slices, ``...``, ``None`` (a new axis),
    tuples and integer arrays become tagged dicts."""
    if key is None:
        return {"newaxis": True}
    if key is Ellipsis:
        return {"ellipsis": True}
    if isinstance(key, slice):
        return {"slice": [key.start, key.stop, key.step]}
    if isinstance(key, tuple):
        return {"tuple": [_encode_key(k) for k in key]}
    if isinstance(key, (list, np.ndarray)):
        return {"index": np.asarray(key).tolist()}
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    raise TypeError(f"TensorOperator: cannot index a model tensor with {key!r}")


def _decode_key(data):
    if isinstance(data, int) and not isinstance(data, bool):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError(f"TensorOperator: malformed index key {data!r}")
    (tag, value), = data.items()
    if tag == "newaxis":
        return None
    if tag == "ellipsis":
        return Ellipsis
    if tag == "slice" and isinstance(value, list) and len(value) == 3 and all(
            v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
        return slice(*value)
    if tag == "tuple" and isinstance(value, list):
        return tuple(_decode_key(k) if isinstance(k, (dict, int)) else _bad(k) for k in value)
    if tag == "index" and isinstance(value, list):
        index = np.asarray(value)
        if index.dtype.kind in "iub":
            return index
    return _bad(data)


def _bad(data):
    raise ValueError(f"TensorOperator: malformed index key {data!r}")
