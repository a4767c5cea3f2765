"""``CategoryEncoding``: integer token ids as one-hot, multi-hot or count vectors (Keras's
``keras.layers.CategoryEncoding``), and ``encode_categorical``, the encoding that
``Discretization`` and ``Hashing`` share with it.

For ids ``t`` of shape (..., n) and a depth ``d`` (the number of tokens or bins):

    one_hot:    out[..., j, k] = [t[..., j] == k]            (a trailing axis of 1 is replaced)
    multi_hot:  out[..., k]    = [k in t[..., :]]
    count:      out[..., k]    = sum_j [t[..., j] == k] * w[..., j]   (w = 1 or count_weights)

The per-row counts are one ``bincount`` over ``row * d + t``; nothing loops over samples.
"multi_hot" and "count" always reduce the last axis, as Keras documents and its
``compute_output_shape`` says (Keras 3's eager code reduces axis 1 of a rank-3 input instead).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer

__all__ = ["MAX_ENCODED_ELEMENTS", "CategoryEncoding", "encode_categorical", "encoded_shape",
           "no_sparse"]

# The most elements one encoded output may have (1 GiB of float32): a depth read from a saved
# config (num_tokens=10**12) is refused before it is allocated, not met by a MemoryError.
MAX_ENCODED_ELEMENTS = 1 << 28


def encode_categorical(ids, output_mode, depth, dtype, count_weights=None,
                       owner="encode_categorical"):
    """``ids`` (an int array, every value in [0, depth)) in ``output_mode`` ("int",
    "one_hot", "multi_hot" or "count"), as an array of ``dtype``; ``owner`` names the layer
    in the error for an output beyond ``MAX_ENCODED_ELEMENTS``.

    >>> encode_categorical(np.array([[0, 1, 1], [3, 3, 2]]), "count", 4, "float32")
    array([[1., 2., 0., 0.],
           [0., 0., 1., 2.]], dtype=float32)
    """
    dtype = np.dtype(dtype)
    if output_mode == "int":
        return ids.astype(dtype, copy=False)
    if ids.ndim == 0:  # a scalar is one sample of one token
        ids = ids.reshape(1)
        count_weights = None if count_weights is None else count_weights.reshape(1)
    vectors = ids.size if output_mode == "one_hot" else ids.size // max(ids.shape[-1], 1)
    if vectors * depth > MAX_ENCODED_ELEMENTS:
        raise ValueError(f"{owner}: encoding ids of shape {ids.shape} as {output_mode} vectors "
                         f"of depth {depth} would make {vectors * depth} elements, more than "
                         f"the {MAX_ENCODED_ELEMENTS} allowed; use a smaller depth or "
                         f"output_mode='int' with an Embedding")
    xp = backend.get_array_module(ids)  # the encoding is computed where the ids are
    if output_mode == "one_hot":
        if ids.ndim > 1 and ids.shape[-1] == 1:
            ids = ids[..., 0]
        return (ids[..., None] == xp.arange(depth)).astype(dtype)
    rows = ids.reshape(-1, ids.shape[-1])
    flat = (xp.arange(len(rows))[:, None] * depth + rows).ravel()
    weights = None
    if output_mode == "count" and count_weights is not None:
        weights = backend.asarray(count_weights, dtype=np.float64).ravel()
    counts = np.bincount(flat, weights=weights, minlength=len(rows) * depth)
    counts = counts.reshape(*ids.shape[:-1], depth)
    if output_mode == "multi_hot":
        return (counts > 0).astype(dtype)
    return counts.astype(dtype)


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``encode_categorical`` for ids of ``input_shape``."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if not input_shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    return input_shape[:-1] + (depth,)


def no_sparse(sparse, owner):
    """``sparse`` checked: glassnet has no sparse tensors, so True is refused, not ignored."""
    sparse = check.boolean(sparse, "sparse", owner)
    if sparse:
        raise ValueError(f"{owner}: `sparse=True` cannot be used with backend glassnet "
                         f"(it has no sparse tensors; Keras supports it on TensorFlow only). "
                         f"Received: sparse=True")
    return sparse


def integer_ids(inputs, owner, name):
    """The token ids of ``inputs`` (a tensor of ints, or of whole-number floats) as int64."""
    data = backend.asarray(inputs.data if isinstance(inputs, Tensor) else inputs)
    if data.dtype.kind == "f" and not backend.on_device(data):  # (no host sync on a GPU)
        if not np.isfinite(data).all() or (data != np.round(data)).any():
            raise ValueError(f"{owner} '{name}': expected integer token ids; received floats "
                             f"that are not whole numbers (e.g. "
                             f"{data[data != np.round(data)].ravel()[:3].tolist()})")
    elif data.dtype.kind not in "iub":
        raise TypeError(f"{owner} '{name}': expected integer token ids; received an array of "
                        f"dtype {data.dtype}")
    return data.astype(np.int64)


class CategoryEncoding(Layer):
    """Encodes integer token ids in [0, num_tokens) as one-hot, multi-hot or count vectors
    (see the module docstring for the formulas).

    Args:
        num_tokens: the number of distinct tokens, the depth of the output vectors.
        output_mode: "multi_hot" (default; Keras 2's "binary"), "one_hot" or "count".
        sparse: accepted as False only (glassnet has no sparse tensors).

    Call arguments:
        inputs: int tensor of ids (..., n).
        count_weights: weights of each id for ``output_mode="count"``, shaped as ``inputs``.

    >>> CategoryEncoding(4)(np.array([[0, 1], [3, 3]])).numpy().tolist()
    [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
    """

    _casts_integers = False  # ids stay integers

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        if "max_tokens" in kwargs:  # Keras 2's name
            max_tokens = kwargs.pop("max_tokens")
            if num_tokens is not None and num_tokens != max_tokens:
                raise ValueError(f"CategoryEncoding: `num_tokens` and its old name "
                                 f"`max_tokens` disagree. Received: num_tokens={num_tokens}, "
                                 f"max_tokens={max_tokens}")
            num_tokens = max_tokens
        super().__init__(**kwargs)
        if output_mode == "binary":  # Keras 2's name
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"CategoryEncoding: Unknown arg for output_mode: {output_mode!r}. "
                             f"Expected one of 'count', 'one_hot', 'multi_hot'")
        if num_tokens is None:
            raise ValueError("CategoryEncoding: num_tokens must be set to use this layer. If "
                             "the number of tokens is not known beforehand, use the "
                             "IntegerLookup layer instead.")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, (int, np.integer)):
            raise TypeError(f"CategoryEncoding: `num_tokens` must be an integer. Received: "
                            f"num_tokens={num_tokens!r}")
        if num_tokens < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1. Received: "
                             f"num_tokens={num_tokens}.")
        self.num_tokens = int(num_tokens)
        self.output_mode = output_mode
        self.sparse = no_sparse(sparse, "CategoryEncoding")

    def call(self, inputs, count_weights=None):
        ids = integer_ids(inputs, "CategoryEncoding", self.name)
        # (the range is checked on the CPU only: on a GPU it would wait for the GPU each call)
        if ids.size and not backend.on_device(ids) and (ids.min() < 0 or
                                                        ids.max() >= self.num_tokens):
            bad = ids[(ids < 0) | (ids >= self.num_tokens)]
            raise ValueError(f"CategoryEncoding '{self.name}': Input values must be in the "
                             f"range 0 <= values < num_tokens with num_tokens="
                             f"{self.num_tokens}. Received out-of-range values "
                             f"{np.unique(bad)[:10].tolist()}")
        weights = None
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(f"CategoryEncoding '{self.name}': `count_weights` is not used "
                                 f"when `output_mode` is not `'count'`. Received "
                                 f"`count_weights={count_weights}`.")
            weights = backend.asarray(count_weights.data if isinstance(count_weights, Tensor)
                                      else count_weights, dtype=self.dtype)
            if weights.shape != ids.shape:
                raise ValueError(f"CategoryEncoding '{self.name}': `count_weights` must have "
                                 f"the shape of the inputs {ids.shape}; received shape "
                                 f"{weights.shape}")
        out = encode_categorical(ids, self.output_mode, self.num_tokens, self.dtype, weights,
                                 f"CategoryEncoding '{self.name}'")
        return Tensor._from_op(out, None)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}
