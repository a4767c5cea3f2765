"""``tf.strings``: the string functions text pipelines use, over NumPy arrays of ``str``.

Text stays a NumPy array (a Tensor holds numbers): ``np.char`` does the case and whitespace
work in C; a regular expression runs per string with Python's ``re`` (NumPy has no vectorized
regex), which is what a text standardizer costs in any pure-Python tool.

>>> import glassnet as tf
>>> tf.strings.regex_replace(tf.strings.lower(["Great<br />Film!"]), "<br />", " ").tolist()
['great film!']
"""

from __future__ import annotations

import re

import numpy as np

__all__ = ["as_string", "length", "lower", "reduce_join", "regex_full_match", "regex_replace",
           "strip", "to_number", "upper"]


def _text(x, name):
    """``x`` (a str, list or array of str or bytes) as an array of str."""
    array = np.asarray(x.numpy() if hasattr(x, "numpy") else x)
    if array.dtype.kind == "S" or (array.dtype == object and array.size
                                   and isinstance(array.flat[0], bytes)):
        array = np.char.decode(array.astype(bytes), "utf-8", "replace")
    if array.dtype.kind not in "UO" or (array.dtype == object and array.size and not all(
            isinstance(s, str) for s in array.flat)):
        raise TypeError(f"tf.strings.{name}: expected strings, received an array of dtype "
                        f"{array.dtype}")
    return array.astype(str)


def lower(input, encoding="", name=None):  # noqa: A002 - TensorFlow's argument name
    """Each string in lower case."""
    return np.char.lower(_text(input, "lower"))


def upper(input, encoding="", name=None):  # noqa: A002
    """Each string in upper case."""
    return np.char.upper(_text(input, "upper"))


def strip(input, name=None):  # noqa: A002
    """Each string without leading and trailing whitespace."""
    return np.char.strip(_text(input, "strip"))


def length(input, unit="BYTE", name=None):  # noqa: A002
    """The length of each string: UTF-8 bytes (``unit="BYTE"``, TensorFlow's default) or
    characters (``"UTF8_CHAR"``), as int32."""
    text = _text(input, "length")
    if unit == "UTF8_CHAR":
        return np.char.str_len(text).astype(np.int32)
    if unit != "BYTE":
        raise ValueError(f"tf.strings.length: unit must be 'BYTE' or 'UTF8_CHAR'. Received: "
                         f"unit={unit!r}")
    return np.char.str_len(np.char.encode(text, "utf-8")).astype(np.int32)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Each string with the matches of ``pattern`` replaced by ``rewrite`` (all of them, or
    the first with ``replace_global=False``); ``\\1`` in ``rewrite`` is a group."""
    text = _text(input, "regex_replace")
    compiled = re.compile(pattern)
    count = 0 if replace_global else 1
    flat = [compiled.sub(rewrite, s, count=count) for s in text.reshape(-1)]
    return np.array(flat, dtype=str).reshape(text.shape)


def regex_full_match(input, pattern, name=None):  # noqa: A002
    """Whether each whole string matches ``pattern``, as bools."""
    text = _text(input, "regex_full_match")
    compiled = re.compile(pattern)
    return np.array([compiled.fullmatch(s) is not None for s in text.reshape(-1)],
                    dtype=bool).reshape(text.shape)


def reduce_join(inputs, axis=None, keepdims=False, separator="", name=None):
    """The strings joined along ``axis`` (all of them when None) with ``separator``."""
    text = _text(inputs, "reduce_join")
    if axis is None:
        return np.array(separator.join(text.reshape(-1)))
    moved = np.moveaxis(text, axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    out = np.array([separator.join(row) for row in flat], dtype=str).reshape(moved.shape[:-1])
    return np.expand_dims(out, axis) if keepdims else out


def as_string(input, precision=-1, name=None):  # noqa: A002
    """Each number as a string (``precision`` digits after the point when >= 0)."""
    array = np.asarray(input.numpy() if hasattr(input, "numpy") else input)
    if precision >= 0:
        return np.char.mod(f"%.{precision}f", array)
    return array.astype(str)


def to_number(string_tensor, out_type="float32", name=None):
    """Each string parsed as a number of ``out_type``; a string that is not one is a
    ValueError naming it."""
    text = _text(string_tensor, "to_number")
    try:
        return text.astype(np.float64).astype(np.dtype(out_type))
    except ValueError as err:
        raise ValueError(f"tf.strings.to_number: {err}") from None


def text_aware(op, numpy_function):
    """``op`` that also takes arrays of strings, reshaping them with ``numpy_function``
    (``tf.expand_dims(text, -1)`` in a text pipeline); numbers go to ``op`` as before."""

    def shaped(input, *args, name=None, **kwargs):  # noqa: A002 - TensorFlow's argument name
        array = input if isinstance(input, np.ndarray) else None
        if array is None and isinstance(input, (str, bytes, list, tuple)):
            try:
                array = np.asarray(input)
            except ValueError:
                array = None
        if array is not None and array.dtype.kind in "USO":
            return numpy_function(array, *args, **kwargs)
        return op(input, *args, **kwargs)

    shaped.__name__, shaped.__doc__ = op.__name__, op.__doc__
    return shaped
