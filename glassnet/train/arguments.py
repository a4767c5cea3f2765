"""Checks of the arguments of ``fit``, ``evaluate`` and ``predict``: each wrong value is a
TypeError or ValueError naming the argument and what was received, before any work starts
(a loop given ``epochs=-1`` must not quietly train nothing)."""

from __future__ import annotations

import numbers
import warnings

import numpy as np


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def fraction(value, name, what):
    """A number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what}: `{name}` must be a number in [0, 1). Received: "
                        f"{name}={value!r} (of type {type(value).__name__})")
    if not 0 <= value < 1:
        raise ValueError(f"{what}: `{name}` must be in [0, 1). Received: {name}={value!r}")
    return float(value)


def verbose(value, what):
    if value == "auto" or (_is_int(value) and value in (0, 1, 2)):
        return value
    raise ValueError(f"{what}: `verbose` must be 'auto', 0, 1 or 2. Received: "
                     f"verbose={value!r}")


def class_weight(value):
    """A {class index: weight} mapping with finite, non-negative numeric weights."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError(f"fit: `class_weight` must be a dict mapping class indices to weights. "
                        f"Received: class_weight={value!r}")
    for k, w in value.items():
        if not _is_int(k) and not (isinstance(k, float) and k.is_integer()):
            raise TypeError(f"fit: `class_weight` keys must be class indices (integers). "
                            f"Received the key {k!r}")
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not np.isfinite(w) \
                or w < 0:
            raise ValueError(f"fit: `class_weight` values must be finite numbers >= 0. "
                             f"Received {k!r}: {w!r}")
    return value


def loss_weights(value, output_names):
    """None, one number, a list of numbers (one per output) or a dict by output name."""
    if value is None:
        return None
    items = value.values() if isinstance(value, dict) else \
        value if isinstance(value, (list, tuple)) else [value]
    for w in items:
        if w is not None and (isinstance(w, bool) or not isinstance(w, numbers.Real)):
            raise TypeError(f"compile: `loss_weights` must hold numbers (one per output, a "
                            f"list, or a dict by output name {list(output_names)}). "
                            f"Received: loss_weights={value!r}")
    if isinstance(value, (list, tuple)) and len(value) != len(output_names):
        raise ValueError(f"compile: `loss_weights` has {len(value)} values for a model with "
                         f"{len(output_names)} output(s) {list(output_names)}. Received: "
                         f"loss_weights={value!r}")
    return value


def shuffle(value):
    """True, False, or Keras 2's "batch" (shuffled in batch-sized chunks; here: shuffled)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value == "batch":
        return True
    raise TypeError(f"fit: `shuffle` must be True, False or 'batch'. Received: "
                    f"shuffle={value!r}")


def callbacks(value, callback_type):
    """A list of callbacks; one callback alone is accepted (Keras 3 does)."""
    if value is None:
        return None
    if isinstance(value, callback_type):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"`callbacks` must be a list of Callback instances. Received: "
                        f"callbacks={value!r}")
    return list(value)


def sample_weight(value, what):
    """Per-sample weights: numeric, finite and >= 0 (NaN would make every loss NaN)."""
    if value is None:
        return None
    array = np.asarray(value)
    if array.dtype == object or array.dtype.kind not in "fiub":
        raise TypeError(f"{what}: `sample_weight` must be numeric. Received an array of dtype "
                        f"{array.dtype}")
    array = array.astype(np.float32, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{what}: `sample_weight` contains NaN or inf (first at index "
                         f"{int(np.argwhere(~np.isfinite(array.ravel()))[0][0])})")
    if (array < 0).any():
        raise ValueError(f"{what}: `sample_weight` must be >= 0; it holds {array.min()}")
    return array


def ignored(what, **given):
    """Warn about Keras arguments accepted for compatibility whose non-default value changes
    nothing here. ``given``: name -> (value, default)."""
    for name, (value, default) in given.items():
        if value is not default and value != default:
            warnings.warn(f"{what}: `{name}={value!r}` is accepted for compatibility with Keras "
                          f"but ignored: glassnet runs eagerly, one step at a time",
                          UserWarning, stacklevel=3)
