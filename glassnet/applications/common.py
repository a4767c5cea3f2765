"""What every application builder shares: Keras's argument checks, the input, the top.

Each family (``vgg.py``, ``resnet.py``, ...) builds its body with the functional API between
:func:`model_input` and :func:`top`; the checks here raise Keras's errors, so a program that
relied on them (``classes=10`` with ImageNet weights, a 16x16 input) fails the same way.
"""

from __future__ import annotations

import os
import warnings

from glassnet.nn import activations
from glassnet.nn.layers import (
    Dense,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Input,
)
from glassnet.nn.symbolic import SymbolicTensor


def check_arguments(weights, include_top, classes, pooling, classifier_activation, who):
    """Keras's checks of the common arguments: ``weights`` is None, "imagenet" or an
    existing file; ImageNet weights with a classifier mean 1000 classes and a softmax (or
    no) activation; ``pooling`` is None, "avg" or "max"."""
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"{who}: `weights` must be None, 'imagenet' or a file path. "
                        f"Received: weights={weights!r} of type {type(weights).__name__}")
    if not (weights in (None, "imagenet") or os.path.isfile(weights)):
        raise ValueError(
            "The `weights` argument should be either `None` (random initialization), "
            "'imagenet' (pre-training on ImageNet), or the path to the weights file to be "
            f"loaded.  Received: weights={weights}")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 1:
        raise ValueError(f"{who}: `classes` must be a positive integer. "
                         f"Received: classes={classes!r}")
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError("If using `weights='imagenet'` with `include_top=True`, `classes` "
                         f"should be 1000.  Received classes={classes}")
    if include_top:
        validate_activation(classifier_activation, weights)
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"{who}: `pooling` must be None, 'avg' or 'max'. "
                         f"Received: pooling={pooling!r}")


def obtain_input_shape(input_shape, default_size, min_size, require_flatten, weights=None):
    """The (height, width, channels) the model is built for, channels-last, checked as Keras
    checks it: with a classifier the shape must be static (and the default one for ImageNet
    weights); each side at least ``min_size``; three channels for ImageNet weights."""
    if input_shape is not None:
        if not isinstance(input_shape, (tuple, list)):
            raise ValueError("`input_shape` must be a tuple of three integers. "
                             f"Received: input_shape={input_shape!r}")
        input_shape = tuple(input_shape)
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        if input_shape[-1] not in (1, 3):
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                          f"passed an input_shape with {input_shape[-1]} input channels.",
                          stacklevel=3)
        default_shape = (default_size, default_size, input_shape[-1])
    else:
        default_shape = (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and input_shape != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default_shape}.  "
                             f"Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers.")
        if input_shape[-1] != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        for side in input_shape:
            if side is not None and (isinstance(side, bool) or not isinstance(side, int)
                                     or side < 1):
                raise ValueError(f"`input_shape` must hold positive integers (or None). "
                                 f"Received: input_shape={input_shape}")
        if any(s is not None and s < min_size for s in input_shape[:2]):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; "
                             f"Received: input_shape={input_shape}")
    else:
        input_shape = default_shape if require_flatten else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError("If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={input_shape}")
    return input_shape


def model_input(input_tensor, input_shape, who):
    """``(model input, first tensor of the body)``: a fresh ``Input`` or the given tensor
    (whose source inputs become the model's inputs, as in Keras)."""
    if input_tensor is None:
        x = Input(shape=input_shape)
        return x, x
    if not isinstance(input_tensor, SymbolicTensor):
        raise TypeError(f"{who}: `input_tensor` must be a symbolic tensor (from "
                        f"keras.Input or a layer called on one). Received: "
                        f"{type(input_tensor).__name__}")
    if input_tensor.ndim != 4:
        raise ValueError(f"{who}: `input_tensor` must be 4-D (batch, height, width, "
                         f"channels). Received shape {input_tensor.shape}")
    return source_inputs(input_tensor), input_tensor


def source_inputs(tensor):
    """The ``Input`` tensors ``tensor`` is computed from (Keras's ``get_source_inputs``)."""
    found, seen, stack = [], set(), [tensor]
    while stack:  # iterative: deep bodies would exceed the recursion limit
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        parents = [p for p in _flat(t.inputs) if isinstance(p, SymbolicTensor)]
        if not parents:
            found.append(t)
        stack.extend(reversed(parents))
    return found[0] if len(found) == 1 else found


def _flat(value):
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [v for item in value for v in _flat(item)]
    if isinstance(value, dict):
        return _flat(list(value.values()))
    return [value]


def validate_activation(classifier_activation, weights):
    """Pretrained classifiers end in softmax or in logits; anything else is refused."""
    if weights is None:
        return
    fn = activations.get(classifier_activation)
    if fn not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, "
                         "with `include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")


def top(x, include_top, pooling, classes, classifier_activation, pool_names=None):
    """The classifier (global average pooling + ``predictions``) or the feature pooling.

    ``pool_names`` = (average name, max name) where Keras names them (ResNet, DenseNet)."""
    avg_name, max_name = pool_names or (None, None)
    if include_top:
        x = GlobalAveragePooling2D(name=avg_name or "avg_pool")(x)
        return Dense(classes, activation=classifier_activation, name="predictions")(x)
    if pooling == "avg":
        return GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return GlobalMaxPooling2D(name=max_name)(x)
    return x


def correct_pad(x, kernel_size):
    """``((top, bottom), (left, right))`` zero padding that makes a stride-2 "valid"
    convolution see the same windows as TensorFlow's "same" (one pixel less at the start
    when the side is even)."""
    h, w = x.shape[1:3]
    k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    adjust = (1, 1) if h is None else (1 - h % 2, 1 - w % 2)
    half = (k[0] // 2, k[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))
