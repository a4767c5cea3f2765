"""What ``SimpleRNN``, ``LSTM`` and ``GRU`` share: a built-in cell made from the layer's
arguments, the cell's arguments read through the layer, a flat Keras config, and the switch
to a fused whole-sequence op.

The fused ops (``glassnet.autograd.ops.recurrent``) compute the input projection of every
timestep in one GEMM and the recurrence with a hand-written backward: one graph node per
layer instead of a dozen per timestep. They implement the default activations; any other
activation runs the cell loop of ``RNN``, with the same results.
"""

from __future__ import annotations

from glassnet import backend
from glassnet.naming import snake_case
from glassnet.nn.layer import Layer
from glassnet.nn.layers.recurrent.base import RNN
from glassnet.nn.layers.recurrent.cell_base import arguments_config, check_arguments

try:
    from glassnet.autograd.ops import recurrent as fused_ops
except ImportError:  # an op library without the fused recurrences: the cell loop only
    fused_ops = None


def from_cell(name):
    """A read-only property giving the cell's ``name`` (``lstm.units`` is ``lstm.cell.units``,
    as in Keras)."""
    return property(lambda self: getattr(self.cell, name),
                    doc=f"The cell's ``{name}``.")


class CellLayer(RNN):
    """An ``RNN`` over a built-in cell (``cell_class``) made from the layer's arguments."""

    cell_class = None

    def __init_subclass__(cls, **kwargs):
        # Each of the cell's arguments reads through the layer (``lstm.units``), as Keras.
        super().__init_subclass__(**kwargs)
        for name in getattr(cls.cell_class, "ARGUMENTS", ()):
            if name not in cls.__dict__:
                setattr(cls, name, from_cell(name))

    def __init__(self, cell_arguments, use_cudnn="auto", **kwargs):
        owner = type(self).__name__
        check_arguments(owner, **cell_arguments)  # errors name the layer, not its cell
        implementation = kwargs.pop("implementation", 2)
        if implementation not in (1, 2):  # Keras 2's choice of kernel; one exists here
            raise ValueError(f"{owner}: `implementation` must be 1 or 2. Received: "
                             f"implementation={implementation!r}")
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{owner}: `use_cudnn` must be one of 'auto', True, False. "
                             f"Received: use_cudnn={use_cudnn!r}")
        cell = self.cell_class(**cell_arguments, dtype=kwargs.get("dtype"),
                               trainable=kwargs.get("trainable", True),
                               name=f"{snake_case(owner)}_cell")
        super().__init__(cell, **kwargs)
        self.use_cudnn = use_cudnn  # there is no cuDNN here: the fused op is used either way

    def get_config(self):
        return {**Layer.get_config(self), **self._flags_config(),
                **arguments_config(self.cell)}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # -- the fused path --------------------------------------------------------------------

    def _fusable(self):
        """Whether the fused op computes this layer (its activations are the op's)."""
        return False

    def _fused_inputs(self, sequences, states, mask, training):
        """The keyword arguments the fused ops share: mask, direction, dropout masks."""
        cell, batch = self.cell, sequences.shape[0]
        xp = backend.get_array_module(sequences.data)  # the masks are drawn on its device
        input_mask = recurrent_mask = None
        if training and cell.dropout > 0:  # the cell's masks: drawn as its own loop would
            input_mask = cell.get_dropout_mask(xp.empty((batch, sequences.shape[2])))
        if training and cell.recurrent_dropout > 0:
            recurrent_mask = cell.get_recurrent_dropout_mask(xp.empty((batch, cell.units)))
        return {"mask": mask, "reverse": self.go_backwards, "input_dropout_mask": input_mask,
                "recurrent_dropout_mask": recurrent_mask}

    @staticmethod
    def _last(sequence, h_last, mask):
        # Without a mask the last output is the last state; with one it is the output of the
        # last step, which carries the previous output over a masked step (and is zeros if
        # every step is masked, while the state keeps its initial value), as Keras.
        return h_last if mask is None else sequence[:, -1]
