"""Layers that pass their input through unchanged: ActivityRegularization (which adds a
penalty on it to the training loss) and Identity.

>>> import numpy as np
>>> layer = ActivityRegularization(l1=0.5)
>>> _ = layer(np.array([[1.0, -2.0]]))
>>> [float(loss) for loss in layer.losses]
[1.5]
"""

from __future__ import annotations

from glassnet.nn import regularizers as regularizers_module
from glassnet.nn.layer import Layer


class _PassThrough(Layer):
    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape


class ActivityRegularization(_PassThrough):
    """The identity, adding l1 * sum(|x|) + l2 * sum(x**2) of its input to ``losses``
    (Keras's: the layer's activity regularizer is ``L1L2(l1, l2)``).

    Args:
        l1: the L1 factor (>= 0).
        l2: the L2 factor (>= 0).
    """

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        if "activity_regularizer" in kwargs:
            raise TypeError("ActivityRegularization: unexpected keyword argument "
                            "`activity_regularizer` (the penalty is set by `l1` and `l2`)")
        try:
            penalty = regularizers_module.L1L2(l1=l1, l2=l2)  # checks both factors
        except ValueError as err:
            raise ValueError(f"ActivityRegularization: {err}") from None
        super().__init__(activity_regularizer=penalty, **kwargs)
        self.l1, self.l2 = penalty.l1, penalty.l2

    def get_config(self):
        config = super().get_config()
        config.pop("activity_regularizer", None)  # rebuilt from l1 and l2
        return {**config, "l1": self.l1, "l2": self.l2}


class Identity(_PassThrough):
    """Returns its input as it is (a placeholder layer; masks pass through).

    >>> import numpy as np
    >>> Identity()(np.ones((1, 2))).numpy().tolist()
    [[1.0, 1.0]]
    """
