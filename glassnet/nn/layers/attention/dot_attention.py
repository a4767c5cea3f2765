"""Single-head attention over a query and a value sequence: ``Attention`` (Luong's dot
product, or the "concat" score) and ``AdditiveAttention`` (Bahdanau's), as Keras 3.

With query q (B, Tq, d), value v (B, Tv, dv) and key k (B, Tv, d) (default: the value):

    scores  S = score(q, k)                                   (B, Tq, Tv)
    masked  S' = S - 1e9 where the value is padding (or a later step, causal), else S
    weights P = softmax(S') along Tv, then dropout while training
    output  O = P @ v, zeroed at padded query steps           (B, Tq, dv)

The scores (Keras's formulas): "dot" S = q @ k^T (times a learned scalar with
``use_scale``); "concat" S = c * sum_d tanh(s * (q_i + k_j))_d (c learned, s learned with
``use_scale``, else 1); additive S = sum_d (w * tanh(q_i + k_j))_d (w (d,) learned with
``use_scale``, else 1).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.nn import masking
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.attention import masks as masks_module
from glassnet.nn.symbolic import SymbolicTensor

# Keras's bias on masked scores: it subtracts, so a row with every value masked keeps the
# order of its scores (a near-uniform softmax) rather than becoming 0/0.
_MASKED_OFFSET = 1e9
# The call options a functional model records with the call and passes again on replay (the
# model graph replays the first argument's tensors and these plain values).
_REPLAYED_OPTIONS = ("use_causal_mask",)


class Attention(Layer):
    """Dot-product attention layer (Luong-style), called on ``[query, value]`` or
    ``[query, value, key]``.

    Args:
        use_scale: learn a scalar ``scale`` multiplying the scores (initially 1).
        score_mode: "dot" (q @ k^T) or "concat" (sum of tanh(q_i + k_j), weighted by a
            learned scalar ``concat_score_weight``).
        dropout: rate of dropout on the attention weights while training.
        seed: seed of the dropout's generator.

    Call arguments: ``layer([query, value(, key)], mask=[query_mask, value_mask],
    training=None, return_attention_scores=False, use_causal_mask=False)``. The masks
    default to the ``_keras_mask`` the inputs carry; padded values get no weight, padded
    query steps give 0 and carry the query's mask on.

    Returns the output (B, Tq, dv), and with ``return_attention_scores`` the attention
    weights (B, Tq, Tv) as well (after dropout, as Keras).

    >>> q = np.ones((2, 3, 4), "float32"); v = np.ones((2, 5, 4), "float32")
    >>> out, w = Attention()([q, v], return_attention_scores=True, use_causal_mask=True)
    >>> out.shape, w.numpy()[0, 0].round(2).tolist()
    ((2, 3, 4), [1.0, 0.0, 0.0, 0.0, 0.0])
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        self.use_scale = check.boolean(use_scale, "use_scale", cls)
        self.score_mode = check.one_of(score_mode, ("dot", "concat"), "score_mode", cls)
        self.dropout = check.rate(dropout, "dropout", cls)
        self.seed = check.seed(seed, cls)
        self._generator = None if seed is None else np.random.default_rng(seed)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        self.scale = self.add_weight("scale", (), "ones") if self.use_scale else None
        self.concat_score_weight = self.add_weight("concat_score_weight", (), "ones") \
            if self.score_mode == "concat" else None

    # -- calling ----------------------------------------------------------------------------

    def __call__(self, inputs, mask=None, training=None, return_attention_scores=False,
                 use_causal_mask=False):
        cls = type(self).__name__
        self._validate_inputs(inputs, mask)
        return_attention_scores = check.boolean(return_attention_scores,
                                                "return_attention_scores", cls)
        use_causal_mask = check.boolean(use_causal_mask, "use_causal_mask", cls)
        if any(isinstance(t, SymbolicTensor) for t in inputs):
            given = [arg for arg, v in (("mask", mask),
                                        ("return_attention_scores", return_attention_scores),
                                        ("use_causal_mask", use_causal_mask))
                     if v is not None and v is not False and arg not in _REPLAYED_OPTIONS]
            if given:
                raise ValueError(f"{cls} '{self.name}': `{given[0]}` cannot be given in a call "
                                 f"on keras.Input tensors yet (the model graph replays tensor "
                                 f"arguments only); call the layer inside a Layer subclass's "
                                 f"`call`")
        outputs = super().__call__(list(inputs), training=training, mask=mask,
                                   return_attention_scores=return_attention_scores,
                                   use_causal_mask=use_causal_mask)
        if return_attention_scores:
            outputs[1]._keras_mask = None  # the query's mask belongs to the output alone
        return outputs

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        scores = self._calculate_scores(query, key)
        xp = backend.get_array_module(scores.data)  # the masks are made where the scores are
        query_mask = value_mask = None
        if mask:
            query_mask, value_mask = (masks_module.on_module(masking.as_bool_array(m), xp)
                                      for m in mask[:2])
        scores_mask = None
        if value_mask is not None:
            scores_mask = np.expand_dims(value_mask, -2)  # (B, 1, Tv)
        if use_causal_mask:
            scores_mask = masks_module.combine(
                scores_mask, masks_module.causal_mask(*scores.shape[-2:], xp=xp))
        if scores_mask is not None:
            scores = ops.where(scores_mask, scores, scores - _MASKED_OFFSET)
        weights = ops.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ops.dropout(weights, self.dropout, training=True,
                                  generator=self._generator)
        output = ops.matmul(weights, value)
        if query_mask is not None:
            output = ops.where(np.expand_dims(query_mask, -1), output, 0.0)
        if return_attention_scores:
            return output, weights
        return output

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
            return scores if self.scale is None else scores * self.scale
        pairs = ops.expand_dims(query, -2) + ops.expand_dims(key, -3)  # (B, Tq, Tv, d)
        if self.scale is not None:
            pairs = pairs * self.scale
        return self.concat_score_weight * ops.sum(ops.tanh(pairs), axis=-1)

    def compute_mask(self, inputs, mask=None):
        """The output's mask: the query's."""
        if not mask or mask[0] is None:
            return None
        return mask[0]

    # -- shapes -----------------------------------------------------------------------------

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        query_shape, value_shape = input_shape[0], input_shape[1]
        return (*tuple(query_shape)[:-1], tuple(value_shape)[-1])

    def check_input(self, inputs):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) > 2 else value
        cls = type(self).__name__
        if min(query.ndim, value.ndim, key.ndim) < 2:
            raise ValueError(f"{cls} '{self.name}': query, value and key must be (batch, time, "
                             f"features); received shapes {_shapes(inputs)}")
        if query.shape[-1] != key.shape[-1]:
            raise ValueError(f"{cls} '{self.name}': query and key must have the same last "
                             f"dimension; received shapes {_shapes(inputs)}")
        if key.shape[-2] != value.shape[-2]:
            raise ValueError(f"{cls} '{self.name}': key and value must have the same number "
                             f"of steps; received shapes {_shapes(inputs)}")

    def _validate_inputs(self, inputs, mask=None):
        cls = type(self).__name__
        if not isinstance(inputs, (list, tuple)) or (
                inputs and isinstance(inputs[0], (int, np.integer, type(None)))):
            raise ValueError(f"{cls} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: "
                             f"inputs={_brief(inputs)}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{cls} layer accepts inputs list of length 2 or 3, namely "
                             f"[query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{cls} layer mask must be a list, namely [query_mask, "
                                 f"value_mask]. Received: mask={_brief(mask)}.")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{cls} layer accepts mask list of length 2 or 3. Received: "
                                 f"mask of length {len(mask)}.")

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive attention layer (Bahdanau-style): scores sum_d (w * tanh(q_i + k_j))_d with a
    learned ``scale`` w of shape (d,) (glorot_uniform) when ``use_scale`` (the default).

    Called as :class:`Attention`.

    >>> layer = AdditiveAttention()
    >>> layer([np.ones((2, 3, 4)), np.ones((2, 5, 4))]).shape, layer.scale.shape
    ((2, 3, 4), (4,))
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        if dim is None:
            raise ValueError(f"AdditiveAttention '{self.name}': the last axis of the query "
                             f"must be known; received shape {tuple(input_shape[0])}")
        self.scale = self.add_weight("scale", (dim,), "glorot_uniform") \
            if self.use_scale else None
        self.concat_score_weight = None

    def _calculate_scores(self, query, key):
        pairs = ops.tanh(ops.expand_dims(query, -2) + ops.expand_dims(key, -3))
        if self.scale is not None:
            pairs = pairs * self.scale
        return ops.sum(pairs, axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


def _shapes(inputs):
    return [tuple(t.shape) for t in inputs]


def _brief(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
