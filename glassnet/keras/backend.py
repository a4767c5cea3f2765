"""``keras.backend``: the few functions tutorials call."""

from glassnet.backend import floatx, set_floatx
from glassnet.nn.layer import reset_names as clear_session

EPSILON = 1e-7


def epsilon():
    """The fuzz factor Keras uses in formulas (1e-7)."""
    return EPSILON


__all__ = ["clear_session", "epsilon", "floatx", "set_floatx"]
