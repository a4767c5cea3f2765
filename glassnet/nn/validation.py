"""Checks for layer arguments: each returns the value in its stored form, or raises a
ValueError in Keras's words naming the layer, the argument and what was received
("Dense: expected a positive integer for `units`. Received: units=0").

Everything here depends on NumPy alone, so ``layer.py`` may use it as well as the layers.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

__all__ = [
    "axis", "boolean", "component", "int_tuple", "integer", "number", "one_of",
    "optional_positive_int", "positive_int", "rate", "seed", "shape", "warn_ignored",
]


def _received(arg, value):
    return f"Received: {arg}={value!r}"


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def boolean(value, arg, layer):
    """``value`` if it is a real bool (``"False"`` or 0 would silently mean something else)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{layer}: expected a boolean (True or False) for `{arg}`. "
                         f"{_received(arg, value)}")
    return bool(value)


def positive_int(value, arg, layer):
    """``value`` as an int if it is a positive integer."""
    if not _is_int(value) or value <= 0:
        raise ValueError(f"{layer}: expected a positive integer for `{arg}`. "
                         f"{_received(arg, value)}")
    return int(value)


def integer(value, arg, layer):
    """``value`` as an int if it is an integer (not a bool)."""
    if not _is_int(value):
        raise ValueError(f"{layer}: expected an integer for `{arg}`. {_received(arg, value)}")
    return int(value)


def optional_positive_int(value, arg, layer):
    """None, or a positive integer."""
    return None if value is None else positive_int(value, arg, layer)


def int_tuple(value, rank, arg, layer, minimum=1):
    """An int or a tuple/list of ``rank`` ints, each >= ``minimum``, as a tuple of ``rank``."""
    kind = "positive integer" if minimum == 1 else f"integer >= {minimum}"
    error = ValueError(f"{layer}: `{arg}` must be a {kind} or a tuple of {rank} {kind}s. "
                       f"{_received(arg, value)}")
    if _is_int(value):
        values = (value,) * rank
    elif isinstance(value, (tuple, list)):
        values = tuple(value)
    else:
        raise error
    if len(values) != rank or any(not _is_int(v) or v < minimum for v in values):
        raise error
    return tuple(int(v) for v in values)


def seed(value, layer):
    """None, or a non-negative integer seed."""
    if value is not None and (not _is_int(value) or value < 0):
        raise ValueError(f"{layer}: expected None or a non-negative integer for `seed`. "
                         f"{_received('seed', value)}")
    return None if value is None else int(value)


def number(value, arg, layer, low=None, high=None, low_open=False, high_open=False):
    """``value`` as a float if it is a finite real number within the given bounds."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) \
        and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        bounds = ""
        if low is not None and high is not None:
            bounds = f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif low is not None:
            bounds = f" {'>' if low_open else '>='} {low}"
        elif high is not None:
            bounds = f" {'<' if high_open else '<='} {high}"
        raise ValueError(f"{layer}: `{arg}` must be a number{bounds}. {_received(arg, value)}")
    return float(value)


def rate(value, arg, layer):
    """A rate in [0, 1) (a dropout rate of 1 would drop everything)."""
    return number(value, arg, layer, 0, 1, high_open=True)


def one_of(value, choices, arg, layer, case_insensitive=True):
    """``value`` if it is one of the strings ``choices`` (compared lower-cased by default)."""
    key = value.lower() if case_insensitive and isinstance(value, str) else value
    if not isinstance(value, str) or key not in choices:
        known = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{layer}: `{arg}` must be one of {known}. {_received(arg, value)}")
    return key


def shape(value, arg, layer):
    """A sample shape: a positive int or a tuple/list whose entries are positive ints or None."""
    if _is_int(value):
        value_t = (value,)
    elif isinstance(value, (tuple, list)):
        value_t = tuple(value)
    else:
        value_t = None
    if value_t is None or any(n is not None and (not _is_int(n) or n <= 0) for n in value_t):
        raise ValueError(f"{layer}: `{arg}` must be a tuple of positive integers or None "
                         f"(unknown sizes). {_received(arg, value)}")
    return tuple(None if n is None else int(n) for n in value_t)


def axis(value, arg, layer):
    """An int, or a tuple/list of distinct ints (ranges are checked once the input is known)."""
    if _is_int(value):
        return int(value)
    if isinstance(value, (tuple, list)) and value and all(_is_int(a) for a in value) \
            and len(set(value)) == len(value):
        return tuple(int(a) for a in value)
    raise ValueError(f"{layer}: `{arg}` must be an integer or a tuple of distinct integers. "
                     f"{_received(arg, value)}")


def component(get, value, arg, layer):
    """``get(value)`` (an activation, initializer or regularizer lookup), its error naming the
    layer and the argument."""
    try:
        return get(value)
    except (ValueError, TypeError) as err:
        raise type(err)(f"{layer}: invalid `{arg}`: {err}") from None


def warn_ignored(layer, arg, value, why):
    """A UserWarning for a Keras argument accepted for compatibility but without effect."""
    warnings.warn(f"{layer}: `{arg}` is accepted for Keras compatibility but ignored ({why}). "
                  f"{_received(arg, value)}", UserWarning, stacklevel=3)
