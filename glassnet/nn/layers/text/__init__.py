"""Text preprocessing layers: ``TextVectorization`` (strings to token indices or bag-of-words
vectors), ``StringLookup`` and ``IntegerLookup`` (tokens to vocabulary indices), with Keras's
semantics in Python and NumPy alone."""

from glassnet.nn.layers.text.lookup import IntegerLookup, StringLookup
from glassnet.nn.layers.text.text_vectorization import TextVectorization

__all__ = ["IntegerLookup", "StringLookup", "TextVectorization"]
