"""``MultiHeadAttention``: Keras 3's layer ("Attention is all you need"), its weights and
masks, on the fused scaled-dot-product-attention op.

For each head h (N heads, key size H, value size Hv), with x_q (B, T, E), x_v (B, S, Ev),
x_k (B, S, Ek):

    Q_h = x_q @ Wq[:, h] + bq[h]    K_h = x_k @ Wk[:, h] + bk[h]    V_h = x_v @ Wv[:, h] + bv[h]
    P_h = softmax(Q_h @ K_h^T / sqrt(H) + M)          (B, T, S): the attention scores
    O_h = dropout(P_h) @ V_h                          (B, T, Hv)
    y   = sum_h O_h @ Wo[h] + bo                      (B, T, E) (or ``output_shape``)

M is 0 where a query may attend to a key and -inf elsewhere: the AND of the query's and
value's padding masks, ``attention_mask`` and the causal mask. A query row with no key left
gets scores 0 (and so O_h = 0), as Keras's masked softmax and PyTorch do.

Beside this file: the argument checks (``multi_head_arguments``), the projections
(``projection``), the heads layout and the products (``heads``) and the masks (``masks``).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.nn import initializers as initializers_module
from glassnet.nn import masking
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.attention import masks as masks_module
from glassnet.nn.layers.attention.heads import HeadLayout, attend, fused_attention
from glassnet.nn.layers.attention.multi_head_arguments import (
    check_attention_axes,
    check_output_shape,
    mask_of,
    resolve_axes,
    split_shapes,
    unpack_inputs,
)
from glassnet.nn.layers.attention.projection import HeadProjection
from glassnet.nn.symbolic import SymbolicTensor

_NAME = "MultiHeadAttention"
# The call options a functional model records with the call and passes again on replay (the
# model graph replays the first argument's tensors and these plain values).
_REPLAYED_OPTIONS = ("use_causal_mask", "return_attention_scores")


class MultiHeadAttention(Layer):
    """Multi-head attention (Keras 3's arguments, weights, masks and config).

    Args:
        num_heads: number of heads N.
        key_dim: size H of each head's query and key.
        value_dim: size of each head's value (default ``key_dim``).
        dropout: rate of dropout on the attention scores (while training).
        use_bias: biases in the four projections.
        output_shape: the output's trailing shape (default: the query's last dimension).
        attention_axes: the axes attention runs over, for inputs of rank > 3 (default: every
            axis but the batch and the features); the others act as batch axes.
        sliding_window: attend only to keys with |i - j| < sliding_window.
        use_gate: multiply each head's output by sigmoid(x_q @ Wg + bg) (gated attention).
        flash_attention: accepted for Keras compatibility (the computation is always the
            fused op); True refuses dropout and returned scores, as Keras.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer: for the projections (the activity regularizer penalises each
            projection's output, as Keras).
        seed: seed of the dropout's generator.

    Call arguments: ``layer(query, value, key=None, query_mask=None, value_mask=None,
    key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``. The padding masks default to the ``_keras_mask`` the inputs
    carry (``Embedding(mask_zero=True)``); ``attention_mask`` is a bool (B, T, S) array (or
    broadcastable to the scores' shape), True = may attend. The output carries the query's mask.
    A list ``[query, value, key, attention_mask]`` (the last two optional) is the form a
    functional model replays.

    Returns the output (B, T, E), and with ``return_attention_scores`` the scores
    (B, N, T, S) as well (before dropout, as Keras).

    Weights, in Keras's order and shapes: query/kernel (E, N, H), query/bias (N, H), key/...,
    value/kernel (Ev, N, Hv), value/bias (N, Hv), attention_output/kernel (N, Hv, E),
    attention_output/bias (E,).

    >>> layer = MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = np.ones((3, 5, 8), "float32")
    >>> out, scores = layer(x, x, return_attention_scores=True, use_causal_mask=True)
    >>> out.shape, scores.shape, float(scores.numpy()[0, 0, 0, 1])
    ((3, 5, 8), (3, 2, 5, 5), 0.0)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self._num_heads = check.positive_int(num_heads, "num_heads", _NAME)
        self._key_dim = check.positive_int(key_dim, "key_dim", _NAME)
        self._value_dim = check.optional_positive_int(value_dim, "value_dim", _NAME) \
            or self._key_dim
        self._dropout = check.rate(dropout, "dropout", _NAME)
        self._use_bias = check.boolean(use_bias, "use_bias", _NAME)
        self._use_gate = check.boolean(use_gate, "use_gate", _NAME)
        self._output_shape = check_output_shape(output_shape)
        self._attention_axes = check_attention_axes(attention_axes)
        self._sliding_window = check.optional_positive_int(sliding_window, "sliding_window",
                                                           _NAME)
        if flash_attention is not None:
            flash_attention = check.boolean(flash_attention, "flash_attention", _NAME)
        self._flash_attention = bool(flash_attention)
        if self._flash_attention and self._dropout > 0:
            raise ValueError(f"{_NAME}: Dropout is not supported when flash attention is "
                             f"enabled. Please set dropout to 0.0 to use flash attention.")
        self._kernel_initializer = check.component(initializers_module.get, kernel_initializer,
                                                   "kernel_initializer", _NAME)
        self._bias_initializer = check.component(initializers_module.get, bias_initializer,
                                                 "bias_initializer", _NAME)
        self._kernel_regularizer = check.component(regularizers_module.get, kernel_regularizer,
                                                   "kernel_regularizer", _NAME)
        self._bias_regularizer = check.component(regularizers_module.get, bias_regularizer,
                                                 "bias_regularizer", _NAME)
        # Keras gives the activity regularizer to the four projections, not to the output.
        self._projection_activity = check.component(
            regularizers_module.get, activity_regularizer, "activity_regularizer", _NAME)
        for arg, value in (("kernel_constraint", kernel_constraint),
                           ("bias_constraint", bias_constraint)):
            if value is not None:
                raise ValueError(f"{_NAME}: `{arg}` is not supported. Received: {arg}={value!r}")
        self.seed = check.seed(seed, _NAME)
        self._generator = None if seed is None else np.random.default_rng(seed)
        self._scale = 1.0 / math.sqrt(float(self._key_dim))
        self.supports_masking = True

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # -- building ---------------------------------------------------------------------------

    def build(self, input_shape):
        query_shape, value_shape, key_shape = split_shapes(input_shape)
        rank = len(query_shape)
        for arg, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != rank or rank < 3:
                raise ValueError(f"{_NAME} '{self.name}': query, value and key must have one "
                                 f"rank, at least 3 (batch, ..., features); received shapes "
                                 f"query={query_shape}, value={value_shape}, key={key_shape}")
            if shape[-1] is None:
                raise ValueError(f"{_NAME} '{self.name}': the last axis of `{arg}` must be "
                                 f"known; received shape {shape}")
        self._axes = resolve_axes(self._attention_axes, rank, self.name)
        self._layout = HeadLayout(self._axes, rank + 1, self._num_heads)
        self._input_rank = rank
        self._feature_sizes = (query_shape[-1], value_shape[-1], key_shape[-1])
        heads = self._num_heads
        kv_heads = self._kv_heads or heads  # fewer with grouped-query attention
        self._query_dense = self._projection((heads, self._key_dim), "query", query_shape)
        self._key_dense = self._projection((kv_heads, self._key_dim), "key", key_shape)
        if self._use_gate:
            self._gate_dense = self._projection((heads, self._value_dim), "gate", query_shape,
                                                activation="sigmoid")
        self._value_dense = self._projection((kv_heads, self._value_dim), "value", value_shape)
        out_dims = self._output_shape or (query_shape[-1],)
        self._output_dense = self._projection(
            out_dims, "attention_output", (*query_shape[:-1], heads, self._value_dim),
            bound_dims=2)

    def _projection(self, output_dims, name, input_shape, bound_dims=1, activation=None):
        layer = HeadProjection(
            output_dims, bound_dims, self._use_bias, activation, self._kernel_initializer,
            self._bias_initializer, self._kernel_regularizer, self._bias_regularizer,
            name=name, dtype=self.dtype, trainable=self.trainable,
            activity_regularizer=self._projection_activity)
        layer.build(tuple(input_shape))
        return layer

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:
            query_shape, value_shape, key_shape = split_shapes(query_shape)
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError(f"{_NAME}: All dimensions of `value` and `key`, except the last "
                             f"one, must be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        out = (*query_shape[:-1], *self._output_shape) if self._output_shape else query_shape
        if self._symbolic_scores:  # a call on keras.Input asked for the scores as well
            if len(query_shape) != 3:
                raise ValueError(f"{_NAME}: `return_attention_scores` in a call on keras.Input "
                                 f"tensors needs 3-D inputs. Received: query_shape="
                                 f"{query_shape}")
            return (out, (query_shape[0], self._num_heads, query_shape[1], value_shape[1]))
        return out

    _kv_heads = None  # key/value heads, when fewer than the query's (GroupQueryAttention)
    _symbolic_scores = False  # set while a symbolic call that returns the scores is shaped

    def check_input(self, inputs):
        query, value, key = inputs[:3]
        for arg, t, size in zip(("query", "value", "key"), (query, value, key),
                                self._feature_sizes):
            if t.ndim != self._input_rank or t.shape[-1] != size:
                raise ValueError(f"{_NAME} '{self.name}' was built for `{arg}` of rank "
                                 f"{self._input_rank} with {size} features; received shape "
                                 f"{tuple(t.shape)}")
        if tuple(value.shape[:-1]) != tuple(key.shape[:-1]):
            raise ValueError(f"{_NAME} '{self.name}': All dimensions of `value` and `key`, "
                             f"except the last one, must be equal. Received: value_shape="
                             f"{tuple(value.shape)} and key_shape={tuple(key.shape)}")
        if query.shape[0] != value.shape[0]:
            raise ValueError(f"{_NAME} '{self.name}': `query` and `value` must have one batch "
                             f"size; received shapes {tuple(query.shape)} and "
                             f"{tuple(value.shape)}")

    # -- calling ----------------------------------------------------------------------------

    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None,
                 key_mask=None, attention_mask=None, return_attention_scores=False,
                 training=None, use_causal_mask=False):
        if value is None and isinstance(query, (list, tuple)):
            query, value, key, attention_mask = unpack_inputs(query, key, attention_mask)
        if value is None:
            raise TypeError(f"{_NAME} '{self.name}': missing the `value` argument (call it as "
                            f"layer(query, value) or layer(query, value, key))")
        options = {"return_attention_scores": check.boolean(
                       return_attention_scores, "return_attention_scores", _NAME),
                   "use_causal_mask": check.boolean(use_causal_mask, "use_causal_mask", _NAME)}
        if self._flash_attention and options["return_attention_scores"]:
            raise ValueError(f"{_NAME}: Returning attention scores is not supported when flash "
                             f"attention is enabled. Please disable flash attention to access "
                             f"attention scores.")
        key_given = key is not None and key is not value
        key = value if key is None else key
        if any(isinstance(t, SymbolicTensor) for t in (query, value, key, attention_mask)):
            return self._call_on_inputs(query, value, key, attention_mask, training, options,
                                        (query_mask, value_mask, key_mask))
        masks = {"query_mask": mask_of(query, query_mask),
                 "value_mask": mask_of(value, value_mask),
                 "key_mask": mask_of(key, key_mask) if key_given else key_mask}
        outputs = super().__call__([query, value, key], training=training,
                                   attention_mask=attention_mask, **masks, **options)
        if options["return_attention_scores"]:
            outputs[1]._keras_mask = None  # the query's mask belongs to the output alone
        return outputs

    def _call_on_inputs(self, query, value, key, attention_mask, training, options, masks):
        """A call on ``keras.Input`` tensors: every tensor argument is an input of the node
        the model replays (as the list form of the call)."""
        given = [arg for arg, v in (*options.items(), *zip(
            ("query_mask", "value_mask", "key_mask"), masks))
            if v is not None and v is not False and arg not in _REPLAYED_OPTIONS]
        if given:
            raise ValueError(f"{_NAME} '{self.name}': `{given[0]}` cannot be given in a call on "
                             f"keras.Input tensors yet (the model graph replays tensor "
                             f"arguments only); call the layer inside a Layer subclass's "
                             f"`call`, or pass the mask as `attention_mask` from an Input")
        inputs = [query, value, key] + ([] if attention_mask is None else [attention_mask])
        for t in inputs:
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"{_NAME} '{self.name}': called on keras.Input tensors, every "
                                f"tensor argument must be one too; received {type(t).__name__}")
        replayed = {k: v for k, v in options.items() if k in _REPLAYED_OPTIONS and v}
        self._symbolic_scores = bool(replayed.get("return_attention_scores"))
        try:
            return super().__call__(inputs, training=training, **replayed)
        finally:
            self._symbolic_scores = False

    def call(self, inputs, training=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, use_causal_mask=False):
        query, value, key = inputs[:3]
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        gate = self._gate_dense(query) if self._use_gate else None
        q_heads, k_heads, v_heads = (self._layout.to_heads(t) for t in (q, k, v))
        if self._kv_heads and self._kv_heads != self._num_heads:
            # grouped-query attention: each key/value head serves a group of query heads
            # (heads 0, 0, 1, 1, ... as Keras's ops.repeat; the gradient sums over the group)
            groups = self._num_heads // self._kv_heads
            k_heads, v_heads = (ops.repeat(t, groups, axis=-3) for t in (k_heads, v_heads))
        rate = self._dropout if training else 0.0
        rng = self._generator or backend.generator()
        if return_attention_scores:
            out, scores = attend(q_heads, k_heads, v_heads, mask, self._scale, rate, rng)
        else:
            out, scores = fused_attention(q_heads, k_heads, v_heads, mask, self._scale, rate,
                                          rng), None
        out = self._layout.from_heads(out, q.shape)
        if gate is not None:
            out = out * gate
        out = self._output_dense(out)
        masking.set_mask(out, masking.as_bool_array(query_mask))
        if return_attention_scores:
            return out, self._layout.keras_scores(scores, q.shape, k.shape)
        return out

    def compute_mask(self, inputs, mask=None):
        """The output's mask: the query's."""
        return mask[0] if isinstance(mask, (list, tuple)) else mask

    # -- masks ------------------------------------------------------------------------------

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask, attention_mask,
                        use_causal_mask):
        """The AND of every mask, as a bool array broadcastable to the scores in the heads
        layout (B, *other axes, N, L_q, L_k), or None."""
        n_attn = len(self._axes)
        scores_rank = self._input_rank + n_attn
        xp = backend.get_array_module(query.data)  # the masks are made where the scores are

        def to_scores_rank(m):  # Keras adds the missing axes just before the query's axes
            while m.ndim < scores_rank:
                m = np.expand_dims(m, -2 * n_attn - 1)
            return m

        parts = []
        if attention_mask is not None:
            m = masks_module.on_module(masking.as_bool_array(attention_mask), xp)
            if m.ndim > scores_rank:
                raise ValueError(f"{_NAME} '{self.name}': `attention_mask` of shape {m.shape} "
                                 f"has more axes than the attention scores ({scores_rank})")
            parts.append(to_scores_rank(m))
        auto = {"query_mask": query_mask, "value_mask": value_mask, "key_mask": key_mask,
                "use_causal_mask": use_causal_mask or None,
                "sliding_window": self._sliding_window}
        if self._input_rank != 3:
            given = [arg for arg, v in auto.items() if v is not None]
            if given:
                raise ValueError(f"{_NAME} '{self.name}': `{given[0]}` needs inputs of shape "
                                 f"(batch, time, features); received query of shape "
                                 f"{tuple(query.shape)} (give an `attention_mask` instead)")
        else:
            b, t, s = query.shape[0], query.shape[1], value.shape[1]
            qm = masks_module.padding_mask(query_mask, "query_mask", _NAME, (b, t), xp)
            vm = masks_module.padding_mask(value_mask, "value_mask", _NAME, (b, s), xp)
            km = masks_module.padding_mask(key_mask, "key_mask", _NAME, (b, s), xp)
            parts += [None if qm is None else qm[:, None, :, None],
                      None if vm is None else vm[:, None, None, :],
                      None if km is None else km[:, None, None, :],
                      masks_module.causal_mask(t, s, xp) if use_causal_mask else None,
                      None if self._sliding_window is None
                      else masks_module.band_mask(t, s, self._sliding_window, xp)]
        mask = masks_module.combine(*parts)
        if mask is None:
            return None
        return self._layout.mask(mask, query.shape, value.shape, f"{_NAME} '{self.name}'")

    # -- config -----------------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)
        return {
            **config, "num_heads": self._num_heads, "key_dim": self._key_dim,
            "value_dim": self._value_dim, "dropout": self._dropout, "use_bias": self._use_bias,
            "use_gate": self._use_gate, "output_shape": self._output_shape,
            "attention_axes": self._attention_axes, "sliding_window": self._sliding_window,
            "kernel_initializer": initializers_module.serialize(self._kernel_initializer),
            "bias_initializer": initializers_module.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers_module.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers_module.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers_module.serialize(self._projection_activity),
            "kernel_constraint": None, "bias_constraint": None, "seed": self.seed,
        }
