"""Argument checks shared by every package that takes numbers from a user (metrics, data
tools, the training loop), worded as Keras words them: the owner, the argument, what was
expected and what was received.

A value of the wrong type (a string, a float, a bool) is a TypeError; a whole number out of
range is a ValueError.

>>> integer(3, "k", "TopK")
3
>>> integer(0, "k", "TopK")
Traceback (most recent call last):
...
ValueError: TopK: `k` must be a positive integer. Received: k=0
"""

from __future__ import annotations

import numpy as np


def integer(value, arg, owner, minimum=1, allow_none=False):
    """``value`` as an int if it is a whole number >= ``minimum`` (or None, if allowed)."""
    if value is None and allow_none:
        return None
    words = {1: "a positive integer", 0: "a non-negative integer"}.get(
        minimum, f"an integer >= {minimum}")
    expected = f"None or {words}" if allow_none else words
    if not isinstance(value, (int, np.integer)) and hasattr(value, "__index__") \
            and not isinstance(value, np.ndarray):
        try:  # a 0-d integer tensor (a Dataset's cardinality() // 5) is a whole number
            value = value.__index__()
        except TypeError:
            pass
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{owner}: `{arg}` must be {expected}. Received: {arg}={value!r} "
                        f"(of type {type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{owner}: `{arg}` must be {expected}. Received: {arg}={value!r}")
    return int(value)
