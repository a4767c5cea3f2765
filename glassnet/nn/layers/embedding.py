"""Embedding (integer ids -> learned vectors) and Masking (skip padded timesteps).

Both start a masked sequence: ``Embedding(..., mask_zero=True)`` marks id 0 as padding and
``Masking(mask_value)`` marks the steps whose every feature equals ``mask_value``; the mask
rides on the output (``_keras_mask``) to the recurrent, pooling and attention layers after.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.autograd.tensor import Tensor
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer


class Embedding(Layer):
    """Row ``i`` of a (input_dim, output_dim) table for each id ``i``:
    ``outputs[..., :] = embeddings[inputs[...], :]``.

    The gradient of the table is a scatter-add of the output gradient into the rows that
    were read (a row read twice gets the sum); no one-hot matrix is ever made.

    Args:
        input_dim: vocabulary size (ids 0 .. input_dim - 1).
        output_dim: size of each vector.
        embeddings_initializer: default "uniform" (-0.05, 0.05), as Keras.
        embeddings_regularizer: optional penalty on the table.
        mask_zero: id 0 is padding: the output carries a mask, False where the id is 0 (so
            ``input_dim`` should count it: vocabulary + 1).
        input_length: Keras 2's fixed sequence length, checked when given.

    >>> layer = Embedding(10, 3, mask_zero=True)
    >>> out = layer(np.array([[1, 2, 0]]))
    >>> out.shape, out._keras_mask.numpy().tolist()
    ((1, 3, 3), [[True, True, False]])
    """

    _casts_integers = False  # ids stay integers

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 weights=None, input_length=None, **kwargs):
        super().__init__(**kwargs)
        self.input_dim = check.positive_int(input_dim, "input_dim", "Embedding")
        self.output_dim = check.positive_int(output_dim, "output_dim", "Embedding")
        self.embeddings_initializer = check.component(
            initializers_module.get, embeddings_initializer, "embeddings_initializer",
            "Embedding")
        self.embeddings_regularizer = check.component(
            regularizers_module.get, embeddings_regularizer, "embeddings_regularizer",
            "Embedding")
        if embeddings_constraint is not None:
            raise ValueError("Embedding: `embeddings_constraint` is not supported. Received: "
                             f"embeddings_constraint={embeddings_constraint!r}")
        self.mask_zero = check.boolean(mask_zero, "mask_zero", "Embedding")
        self.input_length = check.optional_positive_int(input_length, "input_length",
                                                        "Embedding")
        self.supports_masking = self.mask_zero
        self._initial_weights = weights

    def build(self, input_shape):
        self.embeddings = self.add_weight(
            "embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer,
            self.embeddings_regularizer)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def check_input(self, inputs):
        if self.input_length is not None and inputs.ndim >= 2 \
                and inputs.shape[1] != self.input_length:
            raise ValueError(f"Embedding '{self.name}': expected sequences of input_length="
                             f"{self.input_length}, received input of shape "
                             f"{tuple(inputs.shape)}")

    def call(self, inputs):
        ids = _ids(inputs, self.name)
        if ids.size:
            low, high = int(ids.min()), int(ids.max())
            if low < 0 or high >= self.input_dim:
                bad = low if low < 0 else high
                raise ValueError(f"Embedding '{self.name}': ids must be in [0, {self.input_dim}"
                                 f"), the layer's input_dim; received id {bad}")
        return ops.take(self.embeddings, ids, axis=0)

    def compute_mask(self, inputs, mask=None):
        if not self.mask_zero:
            return None
        return Tensor._from_op(_ids(inputs, self.name) != 0, None)

    def compute_output_shape(self, input_shape):
        return (*input_shape, self.output_dim)

    def get_config(self):
        config = {**super().get_config(), "input_dim": self.input_dim,
                  "output_dim": self.output_dim,
                  "embeddings_initializer": initializers_module.serialize(
                      self.embeddings_initializer),
                  "embeddings_regularizer": regularizers_module.serialize(
                      self.embeddings_regularizer),
                  "mask_zero": self.mask_zero}
        if self.input_length is not None:
            config["input_length"] = self.input_length
        return config


def _ids(inputs, name):
    data = inputs.data if isinstance(inputs, Tensor) else backend.asarray(inputs)
    if data.dtype.kind in "iu":
        return data
    if data.dtype.kind == "f":
        ids = data.astype(np.int64)
        # (checked on the CPU only: on a GPU the check would copy a flag to the host and
        # wait for the GPU on every call)
        if not backend.on_device(data) and not np.array_equal(ids, data):
            raise ValueError(f"Embedding '{name}': expected integer ids, received "
                             f"non-integer values such as {data[ids != data].flat[0]}")
        return ids
    raise TypeError(f"Embedding '{name}': expected integer ids, received an array of dtype "
                    f"{data.dtype}")


class Masking(Layer):
    """Marks the timesteps whose every feature equals ``mask_value`` as padding:
    ``mask[b, t] = any(inputs[b, t, :] != mask_value)`` and ``outputs = inputs * mask``.

    >>> x = np.array([[[1.0, 2.0], [0.0, 0.0]]])
    >>> Masking()(x)._keras_mask.numpy().tolist()
    [[True, False]]
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = check.number(mask_value, "mask_value", "Masking")

    def call(self, inputs):
        keep = np.any(_values(inputs) != self.mask_value, axis=-1, keepdims=True)
        return inputs * keep.astype(inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return Tensor._from_op(np.any(_values(inputs) != self.mask_value, axis=-1), None)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


def _values(x):
    return x.data if isinstance(x, Tensor) else backend.asarray(x)


class ReversibleEmbedding(Embedding):
    """An ``Embedding`` that can also run backwards, from vectors to logits over the
    vocabulary (Keras 3's, for language models with tied input and output embeddings):

        forward:  y = E[ids]                    (..., output_dim)
        reverse:  logits = h @ E^T              (..., input_dim), or h @ R with
                  ``tie_weights=False`` (R: its own (output_dim, input_dim) weight)
        with ``logit_soft_cap`` c:  logits = c * tanh(logits / c)

    Args: as ``Embedding``, plus ``tie_weights`` (default True), ``reverse_dtype`` (the
    dtype of the reverse product) and ``logit_soft_cap``. Call ``layer(h, reverse=True)``.

    >>> layer = ReversibleEmbedding(10, 4)
    >>> h = layer(np.array([[1, 2]]))
    >>> h.shape, layer(h, reverse=True).shape
    ((1, 2, 4), (1, 2, 10))
    """

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim, embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        owner = "ReversibleEmbedding"
        self.tie_weights = check.boolean(tie_weights, "tie_weights", owner)
        self.reverse_dtype = None if reverse_dtype is None else np.dtype(reverse_dtype).name
        self.logit_soft_cap = None if logit_soft_cap is None else check.number(
            logit_soft_cap, "logit_soft_cap", owner, low=0, low_open=True)

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                "reverse_embeddings", (self.output_dim, self.input_dim),
                self.embeddings_initializer)

    def check_input(self, inputs):
        if not getattr(self._activity, "reverse", False):
            super().check_input(inputs)

    def __call__(self, inputs, *args, reverse=False, **kwargs):
        # the direction is read by check_input, compute_mask and (on keras.Input tensors)
        # compute_output_shape, within this thread's call
        self._activity.reverse = check.boolean(reverse, "reverse", "ReversibleEmbedding")
        try:
            return super().__call__(inputs, *args, reverse=reverse, **kwargs)
        finally:
            self._activity.reverse = False

    def call(self, inputs, reverse=False):
        if not reverse:
            return super().call(inputs)
        if inputs.shape[-1] != self.output_dim:
            raise ValueError(f"ReversibleEmbedding '{self.name}': reverse=True expects vectors "
                             f"of size output_dim={self.output_dim}; received input of shape "
                             f"{tuple(inputs.shape)}")
        kernel = ops.transpose(self.embeddings) if self.tie_weights else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs, kernel = ops.cast(inputs, self.reverse_dtype), ops.cast(kernel,
                                                                            self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            logits = ops.tanh(logits / self.logit_soft_cap) * self.logit_soft_cap
        return logits

    def compute_mask(self, inputs, mask=None):
        if getattr(self._activity, "reverse", False):
            return None
        return super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=False):
        if reverse or getattr(self._activity, "reverse", False):
            return (*tuple(input_shape)[:-1], self.input_dim)
        return super().compute_output_shape(input_shape)

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}
