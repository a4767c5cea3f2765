"""Attention layers: ``MultiHeadAttention`` (Keras 3's, on the fused attention op), the
grouped-query ``GroupQueryAttention``, and the single-head ``Attention`` (Luong, dot product)
and ``AdditiveAttention`` (Bahdanau)."""

from glassnet.nn.layers.attention.dot_attention import AdditiveAttention, Attention
from glassnet.nn.layers.attention.grouped_query_attention import (
    GroupedQueryAttention,
    GroupQueryAttention,
)
from glassnet.nn.layers.attention.multi_head_attention import MultiHeadAttention

__all__ = ["AdditiveAttention", "Attention", "GroupQueryAttention", "GroupedQueryAttention",
           "MultiHeadAttention"]
