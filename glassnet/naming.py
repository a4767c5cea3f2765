"""Turning names into objects (below every package that names things: nn, losses, metrics,
optim): each module keeps a table of its known names, and an unknown
name is answered with the list of known ones (and the closest match)."""

from __future__ import annotations

import difflib
import re


def lookup(table, name, kind, known=None):
    """``table[name]`` (case-insensitive), or a ValueError listing the ``known`` names (by
    default every key) and the closest one."""
    if not isinstance(name, str):
        raise TypeError(f"expected the name of a {kind} (a string). Received: {name!r}")
    key = name.lower()
    if key in table:
        return table[key]
    known = sorted(set(known or table))
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    plural = kind + ("es" if kind.endswith("s") else "s")
    raise ValueError(f"Unknown {kind}: '{name}'.{hint} Known {plural}: {', '.join(known)}")


def snake_case(name):
    """Keras's layer-name rule: ``Conv2D`` -> ``conv2d``, ``MaxPooling2D`` ->
    ``max_pooling2d``, ``BatchNormalization`` -> ``batch_normalization``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Configurable:
    """Base of small objects described by their arguments: ``get_config`` returns them,
    ``from_config`` rebuilds the object, ``repr`` shows them."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
