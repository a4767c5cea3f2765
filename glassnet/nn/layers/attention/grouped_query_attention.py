"""``GroupQueryAttention`` (Ainslie et al., 2023): multi-head attention where the N query
heads share G < N key/value heads, each key/value head serving N / G consecutive query heads.

For query head h, with g(h) = h // (N / G):

    P_h = softmax(Q_h @ K_g(h)^T / sqrt(H) + M),   O_h = dropout(P_h) @ V_g(h)

G = 1 is multi-query attention, G = N is ``MultiHeadAttention``. The computation is
``MultiHeadAttention``'s with the key and value heads repeated (heads 0, 0, 1, 1, ...), so the
gradient of a shared head is the sum over its group.
"""

from __future__ import annotations

import numpy as np  # noqa: F401 - the doctest uses it

from glassnet.nn import validation as check
from glassnet.nn.layers.attention.multi_head_arguments import split_shapes
from glassnet.nn.layers.attention.multi_head_attention import MultiHeadAttention

_NAME = "GroupQueryAttention"


class GroupedQueryAttention(MultiHeadAttention):
    """Grouped-query attention with Keras 3's arguments, weights and config
    (``keras.layers.GroupQueryAttention``).

    Args:
        head_dim: size H of each head's query, key and value.
        num_query_heads: N.
        num_key_value_heads: G; must divide N.
        the rest: as ``MultiHeadAttention`` (dropout, use_bias, sliding_window,
            flash_attention, initializers, regularizers, use_gate, seed).

    Inputs (batch, time, features); the output has the query's features. Weights:
    query/kernel (E, N, H), key/kernel (E, G, H), value/kernel (E, G, H),
    attention_output/kernel (N, H, E), and their biases.

    >>> layer = GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    >>> x = np.ones((2, 5, 8), "float32")
    >>> layer(x, x).shape, layer.count_params()
    ((2, 5, 8), 424)
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        queries = check.positive_int(num_query_heads, "num_query_heads", _NAME)
        kv_heads = check.positive_int(num_key_value_heads, "num_key_value_heads", _NAME)
        if queries % kv_heads:
            raise ValueError(f"{_NAME}: `num_query_heads` must be divisible by "
                             f"`num_key_value_heads`. Received: num_query_heads={queries}, "
                             f"num_key_value_heads={kv_heads}")
        super().__init__(queries, check.positive_int(head_dim, "head_dim", _NAME),
                         dropout=dropout, use_bias=use_bias, sliding_window=sliding_window,
                         flash_attention=flash_attention,
                         kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer,
                         bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer,
                         kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
                         use_gate=use_gate, seed=seed, **kwargs)
        self._kv_heads = kv_heads

    head_dim = property(lambda self: self._key_dim)
    num_query_heads = property(lambda self: self._num_heads)
    num_key_value_heads = property(lambda self: self._kv_heads)

    def build(self, input_shape):
        shapes = split_shapes(input_shape)
        if any(len(shape) != 3 for shape in shapes):
            raise ValueError(f"{_NAME} '{self.name}': query, value and key must be "
                             f"(batch, time, features); received shapes "
                             f"{[tuple(s) for s in shapes]}")
        super().build(input_shape)

    def get_config(self):
        config = super().get_config()
        for key in ("num_heads", "key_dim", "value_dim", "output_shape", "attention_axes"):
            config.pop(key)
        return {**config, "head_dim": self._key_dim, "num_query_heads": self._num_heads,
                "num_key_value_heads": self._kv_heads}


GroupQueryAttention = GroupedQueryAttention
