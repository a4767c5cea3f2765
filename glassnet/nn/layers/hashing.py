"""``Hashing`` and ``HashedCrossing``: categorical values (strings or integers) hashed into a
fixed number of bins, the "hashing trick" (Keras's ``keras.layers.Hashing`` and
``keras.layers.HashedCrossing``), bin for bin as TensorFlow computes them:

    Hashing:         bin(v) = h(text(v)) mod num_bins       (h: FarmHash64, or SipHash-2-4
                                                              keyed by ``salt``)
    with mask_value: bin(v) = 0 if v == mask_value else 1 + h(text(v)) mod (num_bins - 1)
    HashedCrossing:  bin(v_1, ..., v_k) = cat(...cat(cat(K, f(v_1)), f(v_2))..., f(v_k))
                                          mod num_bins

where text(v) is a string's bytes or an integer's decimal digits (floats are truncated to
integers first), f(v) is FarmHash64 of a string or an integer's own 64 bits, cat is
``fingerprint_cat64`` and K = 0xDECAFCAFFE. See ``hash_functions``.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn.layer import Layer
from glassnet.nn.layers.category_encoding import encode_categorical, encoded_shape, no_sparse
from glassnet.nn.layers.hash_functions import (
    CROSS_HASH_KEY,
    fingerprint_cat64,
    hash_values,
)

__all__ = ["HashedCrossing", "Hashing"]


def _values(x, owner, name):
    """An input as a NumPy array of hashable values: text as str, numbers as int64."""
    array = np.asarray(x.data if isinstance(x, Tensor) else x)
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{owner} '{name}': received NaN or infinite values; expected "
                             f"strings or integers")
        return array.astype(np.int64)  # TensorFlow hashes floats as their int64 cast
    if array.dtype.kind in "iub":
        return array
    if array.dtype.kind == "S":
        return array.astype(object)
    if array.dtype.kind in "UO":
        if array.dtype.kind == "O" and not all(isinstance(v, (str, bytes))
                                               for v in array.ravel().tolist()):
            raise TypeError(f"{owner} '{name}': expected strings or integers; received an "
                            f"object array holding other values")
        return array
    raise TypeError(f"{owner} '{name}': expected strings or integers; received an array of "
                    f"dtype {array.dtype}")


def _as_array(inputs):
    if isinstance(inputs, Tensor):
        return inputs
    if isinstance(inputs, (list, tuple)):
        return np.asarray([x.data if isinstance(x, Tensor) else x for x in inputs])
    return np.asarray(inputs)


class Hashing(Layer):
    """Hashes strings or integers into ``num_bins`` bins (see the module docstring).

    Args:
        num_bins: the number of bins, the ``mask_value``'s bin 0 included.
        mask_value: a value sent to bin 0 (the others then share bins 1 .. num_bins - 1).
        salt: an int or two ints: hash with SipHash-2-4 keyed by it instead of FarmHash64.
        output_mode: "int" (bin indices, int64), "one_hot", "multi_hot" or "count".
        sparse: accepted as False only (glassnet has no sparse tensors).

    >>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy().ravel().tolist()
    [1, 0, 1, 1, 2]
    """

    _accepts_strings = True
    _casts_integers = False

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:  # int64 ids by default, floats for the encodings
            kwargs["dtype"] = "int64" if output_mode == "int" else None
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins <= 0:
            raise ValueError(f"Hashing: The `num_bins` for `Hashing` cannot be `None` or "
                             f"non-positive values. Received: num_bins={num_bins}.")
        if output_mode == "int" and self.dtype not in (np.int32, np.int64):
            raise ValueError(f"Hashing: When `output_mode=\"int\"`, `dtype` should be an "
                             f"integer type, 'int32' or 'int64'. Received: "
                             f"dtype={kwargs['dtype']}")
        modes = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in modes:
            raise ValueError(f"Hashing: Invalid value for argument `output_mode`. Expected "
                             f"one of {modes}. Received: output_mode={output_mode}")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.output_mode = output_mode
        self.sparse = no_sparse(sparse, "Hashing")
        self.salt = None
        if salt is not None:
            def is_int(v):
                return isinstance(v, (int, np.integer)) and not isinstance(v, bool)

            if isinstance(salt, (tuple, list)) and len(salt) == 2 and all(map(is_int, salt)):
                self.salt = [int(s) for s in salt]
            elif is_int(salt):
                self.salt = [int(salt), int(salt)]
            else:
                raise ValueError(f"Hashing: The `salt` argument for `Hashing` can only be a "
                                 f"tuple of size 2 integers, or a single integer. Received: "
                                 f"salt={salt}.")
        self.strong_hash = self.salt is not None

    def _convert_inputs(self, inputs):
        return _as_array(inputs)  # a list of strings is one input, as in Keras

    def _bins(self, values):
        bins = self.num_bins
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            # (an int array against a str mask compares as all False, not elementwise)
            masked = np.broadcast_to(np.asarray(values == self.mask_value), values.shape)
        ids = (hash_values(values, self.salt) % np.uint64(bins)).astype(np.int64)
        if masked is not None:
            ids = np.where(masked, 0, ids + 1)
        return ids

    def call(self, inputs):
        values = _values(inputs, "Hashing", self.name)
        if self.output_mode == "one_hot" and values.ndim and values.shape[-1] == 1:
            values = values[..., 0]
        out = encode_categorical(self._bins(values), self.output_mode, self.num_bins,
                                 self.dtype, owner=f"Hashing '{self.name}'")
        return Tensor._from_op(out, None)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if not input_shape:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}


class HashedCrossing(Layer):
    """Crosses two or more categorical features by hashing each combination into
    ``num_bins`` bins, as ``tf.sparse.cross_hashed`` (see the module docstring).

    The features are scalars: each input has shape (), (batch,) or (batch, 1), all alike.

    Args:
        num_bins: the number of bins.
        output_mode: "int" (bin indices, int64) or "one_hot".
        sparse: accepted as False only (glassnet has no sparse tensors).

    >>> layer = HashedCrossing(num_bins=5)
    >>> layer((np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])))
    tensor([1, 4, 1, 1, 3])
    """

    _accepts_strings = True
    _casts_integers = False

    def __init__(self, num_bins, output_mode="int", sparse=False, **kwargs):
        if output_mode == "int" and kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64"
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(
                num_bins, (int, np.integer)) or num_bins <= 0:
            raise ValueError(f"HashedCrossing: `num_bins` must be a positive integer. "
                             f"Received: num_bins={num_bins!r}")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"Unknown value for `output_mode` argument of HashedCrossing. "
                             f"Allowed values are: ('int', 'one_hot'). Received: "
                             f"output_mode={output_mode}")
        self.num_bins = int(num_bins)
        self.output_mode = output_mode
        self.sparse = no_sparse(sparse, "HashedCrossing")

    def _convert_inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"HashedCrossing '{self.name}': `HashedCrossing` should be called "
                             f"on a list or tuple of inputs. Received: inputs={inputs!r}")
        if len(inputs) < 2:
            raise ValueError(f"HashedCrossing '{self.name}': `HashedCrossing` should be called "
                             f"on at least two inputs. Received: inputs={inputs!r}")
        return [x.data if isinstance(x, Tensor) else np.asarray(x) for x in inputs]

    def check_input(self, inputs):
        shapes = [tuple(x.shape) for x in inputs]
        first = shapes[0]
        if len(first) > 2 or (len(first) == 2 and first[-1] != 1):
            raise ValueError(f"HashedCrossing '{self.name}': All `HashedCrossing` inputs should "
                             f"have shape `()`, `(batch_size)` or `(batch_size, 1)`. Received "
                             f"shapes {shapes}")
        if any(s != first for s in shapes[1:]):
            raise ValueError(f"HashedCrossing '{self.name}': All `HashedCrossing` inputs should "
                             f"have equal shape. Received shapes {shapes}")
        for x in inputs:
            # A model casts its inputs to float32 at its edge: whole numbers are integers.
            whole = x.dtype.kind == "f" and np.isfinite(x).all() and (x == np.round(x)).all()
            if not whole and x.dtype.kind not in "iuUSO" or x.dtype.kind == "O" and not all(
                    isinstance(v, (str, bytes)) for v in x.ravel().tolist()):
                raise ValueError(f"HashedCrossing '{self.name}': All `HashedCrossing` inputs "
                                 f"should have an integer or string dtype. Received dtypes "
                                 f"{[str(x.dtype) for x in inputs]}")

    def call(self, inputs):
        crossed = np.full(inputs[0].shape, CROSS_HASH_KEY, dtype=np.uint64)
        for x in inputs:  # one pass per feature, each over the whole batch
            if x.dtype.kind in "iuf":  # an integer feature enters as its own 64 bits
                feature = x.astype(np.int64).view(np.uint64)
            else:
                feature = hash_values(x)
            crossed = fingerprint_cat64(crossed, feature)
        ids = (crossed % np.uint64(self.num_bins)).astype(np.int64)
        return Tensor._from_op(encode_categorical(ids, self.output_mode, self.num_bins,
                                                  self.dtype, owner=f"HashedCrossing "
                                                  f"'{self.name}'"), None)

    def compute_output_shape(self, input_shape):
        if not (isinstance(input_shape, (list, tuple)) and len(input_shape) >= 2
                and all(isinstance(s, (list, tuple)) for s in input_shape)):
            raise ValueError(f"HashedCrossing '{self.name}': Expected as input a list/tuple of "
                             f"2 tensors. Received input_shape={input_shape}")
        return encoded_shape(tuple(input_shape[0]), self.output_mode, self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins,
                "output_mode": self.output_mode, "sparse": self.sparse}
