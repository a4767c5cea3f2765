"""``EinsumDense``: a dense layer whose contraction is an einsum equation (Keras's
``keras.layers.EinsumDense``), e.g. ``"abc,cde->abde"`` for the per-head projections of
attention:

.. math:: y = \\mathrm{activation}(\\mathrm{einsum}(equation, x, W) + b)

The equation has one of three forms (``X``, ``Y``, ``Z``: letters; ``...``: any number of
axes, passed through): ``X,Y->Z``, ``...X,Y->...Z`` or ``X...,Y->Z...``. X names the input's
axes (the first is the batch), Y the kernel's, Z the output's. Each kernel axis is an output
axis (its size from ``output_shape``) or, failing that, an input axis (its size from the
input); a letter of Y in neither is an error. ``bias_axes`` names output letters that get a
bias; the bias spans the output from the first of them to the end, with size 1 on the
letters not named, so it broadcasts from the right.

The forward pass and its gradient are glassnet's ``einsum`` op (each operand's gradient is
the upstream gradient contracted with the other operand).
"""

from __future__ import annotations

import math
import re

import numpy as np

from glassnet.autograd import ops
from glassnet.nn import activations as activations_module
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer

__all__ = ["EinsumDense", "analyze_einsum"]

_FORMS = (  # (pattern on the equation with "..." written "0", the ellipsis side)
    (r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", None),
    (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", "left"),
    (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", "right"),
)


def _split(equation):
    """(input letters, kernel letters, output letters, ellipsis side) of ``equation``."""
    if not isinstance(equation, str):
        raise TypeError(f"EinsumDense: `equation` must be a string. Received: "
                        f"equation={equation!r}")
    written = equation.replace("...", "0")
    for pattern, side in _FORMS:
        match = re.fullmatch(pattern, written)
        if match:
            return (*match.groups(), side)
    raise ValueError(f"EinsumDense: Invalid einsum equation '{equation}'. Equations must be in "
                     f"the form [X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def analyze_einsum(equation, bias_axes, input_shape, output_shape):
    """(kernel shape, bias shape or None, full output shape, kernel input axes, kernel
    output axes) for ``equation`` on inputs of ``input_shape`` (batch axis included) and the
    partial ``output_shape`` (without the batch and the ``...`` axes; None: from the input).

    >>> analyze_einsum("abc,cde->abde", "de", (None, 7, 16), (None, 4, 8))[:3]
    ([16, 4, 8], [4, 8], [None, 7, 4, 8])
    """
    x_spec, w_spec, y_spec, side = _split(equation)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(x_spec)
    if elided < (1 if side == "left" else 0) or (elided > 0 and side is None):
        raise ValueError(f"EinsumDense: the equation '{equation}' names {len(x_spec)} input "
                         f"axes but the input has shape {input_shape}")
    partial = list(output_shape)
    # "...X" covers the batch axis too, so its output letters are all after the batch
    expected = len(y_spec) if side == "left" else len(y_spec) - 1
    if len(partial) != expected:
        raise ValueError(f"EinsumDense: `output_shape` must give the {expected} output axes "
                         f"of '{equation}' after the batch axis (without those of '...'). "
                         f"Received: output_shape={tuple(output_shape)}")
    full = [input_shape[0], *partial]
    if side == "left":
        full[1:1] = input_shape[1:elided]
        x_axis = {c: i + elided for i, c in enumerate(x_spec)}
        y_axis = {c: i + elided for i, c in enumerate(y_spec)}
    else:
        if side == "right":
            full.extend(input_shape[len(input_shape) - elided:])
        x_axis = {c: i for i, c in enumerate(x_spec)}
        y_axis = {c: i for i, c in enumerate(y_spec)}
    for c in x_spec:
        if c in y_axis and full[y_axis[c]] is not None \
                and full[y_axis[c]] != input_shape[x_axis[c]]:
            raise ValueError(f"EinsumDense: Input shape and output shape do not match at "
                             f"shared dimension '{c}'. Input shape is "
                             f"{input_shape[x_axis[c]]}, and output shape is "
                             f"{full[y_axis[c]]}.")
        if c in y_axis:
            full[y_axis[c]] = input_shape[x_axis[c]]
    for c in y_spec:
        if c not in x_spec and c not in w_spec:
            raise ValueError(f"EinsumDense: Dimension '{c}' was specified in the output "
                             f"'{y_spec}' but has no corresponding dim in the input spec "
                             f"'{x_spec}' or weight spec '{w_spec}'")
    kernel, in_axes, out_axes = [], [], []
    for i, c in enumerate(w_spec):
        if c in y_axis:
            kernel.append(full[y_axis[c]])
            out_axes.append(i)
        elif c in x_axis:
            kernel.append(input_shape[x_axis[c]])
            in_axes.append(i)
        else:
            raise ValueError(f"EinsumDense: Weight dimension '{c}' did not have a match in "
                             f"either the input spec '{x_spec}' or the output spec "
                             f"'{y_spec}'. For this layer, the weight must be fully specified.")
    if any(n is None for n in kernel):
        raise ValueError(f"EinsumDense: the kernel of '{equation}' would have unknown sizes "
                         f"{kernel} for inputs of shape {input_shape} and output_shape "
                         f"{tuple(output_shape)}; give those sizes in `output_shape` or the "
                         f"input shape")
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in y_spec:
                raise ValueError(f"EinsumDense: Bias dimension '{c}' was requested, but is "
                                 f"not part of the output spec '{y_spec}'")
        first = min(y_spec.index(c) for c in bias_axes)
        bias = [full[y_axis[c]] if c in bias_axes else 1 for c in y_spec[first:]]
        if side == "right":
            bias.extend([1] * elided)
    return kernel, bias, full, in_axes, out_axes


class EinsumDense(Layer):
    """A dense layer computing ``activation(einsum(equation, inputs, kernel) + bias)``; see
    the module docstring for the equation's forms and the weights' shapes.

    Args:
        equation: e.g. ``"ab,bc->ac"`` (Dense), ``"abc,cd->abd"`` (Dense on a sequence),
            ``"abc,cde->abde"`` (a projection to heads), ``"...b,bc->...c"``.
        output_shape: the output's sizes without the batch and the ``...`` axes (an int for
            one axis; None where the input gives the size).
        activation: name or callable (default: none).
        bias_axes: output letters that get a bias (default: no bias).
        kernel_initializer, bias_initializer: default glorot_uniform and zeros; the fans of a
            variance-scaling initializer are the sizes of the kernel's input axes and of its
            output axes (as Keras).
        kernel_regularizer, bias_regularizer: optional penalties added to ``losses``.

    >>> layer = EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(np.ones((2, 32, 128), "float32")).shape, layer.kernel.shape, layer.bias.shape
    ((2, 32, 64), (128, 64), (64,))
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 quantization_config=None, **kwargs):
        for arg, value in (("kernel_constraint", kernel_constraint),
                           ("bias_constraint", bias_constraint), ("lora_rank", lora_rank),
                           ("lora_alpha", lora_alpha),
                           ("quantization_config", quantization_config)):
            if value is not None:
                raise ValueError(f"EinsumDense: `{arg}` is not supported. Received: "
                                 f"{arg}={value!r}")
        super().__init__(**kwargs)
        _split(equation)
        self.equation = equation
        self.partial_output_shape = self._output_shape_argument(output_shape)
        if bias_axes is not None and (not isinstance(bias_axes, str) or not bias_axes):
            raise ValueError(f"EinsumDense: `bias_axes` must be None or a string of output "
                             f"letters. Received: bias_axes={bias_axes!r}")
        self.bias_axes = bias_axes
        name = "EinsumDense"
        self.activation = check.component(activations_module.get, activation, "activation",
                                          name)
        self.kernel_initializer = check.component(initializers_module.get, kernel_initializer,
                                                  "kernel_initializer", name)
        self.bias_initializer = check.component(initializers_module.get, bias_initializer,
                                                "bias_initializer", name)
        self.kernel_regularizer = check.component(regularizers_module.get, kernel_regularizer,
                                                  "kernel_regularizer", name)
        self.bias_regularizer = check.component(regularizers_module.get, bias_regularizer,
                                                "bias_regularizer", name)

    @staticmethod
    def _output_shape_argument(value):
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            value = (value,)
        if not isinstance(value, (tuple, list)) or any(
                n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer))
                                   or n <= 0) for n in value):
            raise ValueError(f"EinsumDense: `output_shape` must be a positive integer or a "
                             f"tuple of positive integers or None. Received: "
                             f"output_shape={value!r}")
        return tuple(None if n is None else int(n) for n in value)

    def build(self, input_shape):
        kernel, bias, _, in_axes, out_axes = analyze_einsum(
            self.equation, self.bias_axes, input_shape, self.partial_output_shape)
        self._input_rank = len(input_shape)
        self._kernel_shape = tuple(kernel)
        initializer = self.kernel_initializer
        if isinstance(initializer, initializers_module.VarianceScaling):
            initializer = self._matrix_initializer(initializer, kernel, in_axes, out_axes)
        self.kernel = self.add_weight("kernel", kernel, initializer, self.kernel_regularizer)
        self.bias = None if bias is None else self.add_weight(
            "bias", bias, self.bias_initializer, self.bias_regularizer)

    @staticmethod
    def _matrix_initializer(init, kernel, in_axes, out_axes):
        """The kernel drawn as the (fan_in, fan_out) matrix it acts as, its axes then put in
        the equation's order, so the fans are those of the contraction."""
        rows = [kernel[i] for i in in_axes]
        cols = [kernel[i] for i in out_axes]
        order = np.argsort([*in_axes, *out_axes])

        def draw(_, dtype=None):
            matrix = np.asarray(init((math.prod(rows), math.prod(cols)), dtype=dtype))
            return np.ascontiguousarray(matrix.reshape(*rows, *cols).transpose(order))

        return draw

    def check_input(self, inputs):
        x_spec, w_spec, _, side = _split(self.equation)
        if side is None and inputs.ndim != self._input_rank or inputs.ndim < len(x_spec):
            raise ValueError(f"EinsumDense '{self.name}' expected input of rank "
                             f"{self._input_rank} for '{self.equation}', received input of "
                             f"shape {tuple(inputs.shape)}")
        offset = inputs.ndim - len(x_spec) if side == "left" else 0
        for c, size in zip(w_spec, self._kernel_shape):
            if c in x_spec and inputs.shape[offset + x_spec.index(c)] != size:
                raise ValueError(f"EinsumDense '{self.name}' was built with a kernel of shape "
                                 f"{self._kernel_shape} ('{w_spec}'): the input's axis '{c}' "
                                 f"must have size {size}, received input of shape "
                                 f"{tuple(inputs.shape)}")

    def call(self, inputs):
        y = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            y = y + self.bias
        return self.activation(y)

    def compute_output_shape(self, input_shape):
        return tuple(analyze_einsum(self.equation, self.bias_axes, input_shape,
                                    self.partial_output_shape)[2])

    def get_config(self):
        return {
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations_module.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers_module.serialize(self.kernel_initializer),
            "bias_initializer": initializers_module.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers_module.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers_module.serialize(self.bias_regularizer),
            "kernel_constraint": None, "bias_constraint": None,
        }
