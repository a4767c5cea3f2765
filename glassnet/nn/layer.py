"""``Layer``: the one building block, with Keras semantics.

- ``__init__`` validates and stores arguments;
- ``build(input_shape)`` creates the weights (``add_weight``) once the input shape is known;
- ``call(inputs, training=None)`` is the pure computation;
- ``__call__`` builds on first use, checks the input and calls;
- ``get_config()`` / ``from_config()`` round-trip the arguments.

Weights and sub-layers are found by walking the layer's attributes (lists and dicts too), so a
layer written PyTorch-style (attributes set in ``__init__``, a ``call``) needs no registration.
"""

from __future__ import annotations

import functools
import inspect
import threading
import warnings

import numpy as np

from glassnet import backend
from glassnet.autograd import ops
from glassnet.autograd.grad_mode import no_grad
from glassnet.autograd.tensor import Tensor
from glassnet.autograd.variable import Variable
from glassnet.naming import snake_case
from glassnet.nn import call_args, masking, validation
from glassnet.nn import initializers as initializers_module
from glassnet.nn import regularizers as regularizers_module
from glassnet.nn.context import (  # noqa: F401 - the names a layer's user reaches for here
    WeightBudgetError,
    _call_trace,
    _weight_budget,
    reset_names,
    trace_calls,
    tracing_calls,
    unique_name,
    weight_budget,
)
from glassnet.nn.input_spec import assert_input_compatibility
from glassnet.nn.layer_losses import LossesAndMetrics
from glassnet.nn.parameter import Parameter
from glassnet.nn.symbolic import SymbolicTensor
from glassnet.nn.trial_shapes import (
    concrete,
    restore_none,
    symbolic_shapes,
    unknown_lengths,
    zeros_for,
    zeros_like_shape,
)


class Layer(LossesAndMetrics):
    """Base class of every layer.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: unique name (default: the class name in snake_case, numbered).
        dtype: dtype of the weights and computation (default: ``glassnet.floatx()``).
        input_shape: the shape of one sample (without the batch axis), for the first layer of
            a model; ``batch_input_shape`` includes the batch axis.
        activity_regularizer: a penalty on the layer's output, added to ``losses``.

    >>> from glassnet.nn.layers import Dense
    >>> layer = Dense(3)
    >>> layer(np.ones((2, 4))).shape, layer.count_params()
    ((2, 3), 15)
    """

    def __init_subclass__(cls, **kwargs):
        # A subclass's build() marks the layer built however it is reached: from the first
        # call, or called directly as ``layer.build(input_shape)`` (Keras does the same).
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])
        if "compute_mask" in cls.__dict__:
            cls._overrides_compute_mask = True

    def __init__(self, trainable=True, name=None, dtype=None, input_shape=None,
                 batch_input_shape=None, activity_regularizer=None, autocast=True, **kwargs):
        if kwargs:
            raise TypeError(
                f"{type(self).__name__}: unexpected keyword argument(s) "
                f"{', '.join(sorted(kwargs))}"
            )
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._trainable = validation.boolean(trainable, "trainable", type(self).__name__)
        # Keras 3 writes `autocast` in every layer's config; glassnet always computes in the
        # layer's dtype (float inputs are cast to it), which is autocast=True.
        self.autocast = validation.boolean(autocast, "autocast", type(self).__name__)
        self.dtype = _layer_dtype(dtype, type(self).__name__)
        self.built = False
        if input_shape is not None and batch_input_shape is None:
            batch_input_shape = (None, *validation.shape(input_shape, "input_shape",
                                                         type(self).__name__))
        self.batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)
        self.activity_regularizer = regularizers_module.get(activity_regularizer)
        self._activity = threading.local()  # each thread's latest activity penalty
        call_parameters = inspect.signature(self.call).parameters
        self._call_parameters = tuple(call_parameters)
        self._call_takes_training = "training" in call_parameters
        self._call_takes_mask = "mask" in call_parameters

    # -- the Keras life cycle -------------------------------------------------------------

    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis included, may be None)."""
        self.built = True

    def call(self, inputs, training=None):
        """The computation; override in subclasses."""
        return inputs

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape``; by default, found by running the layer on
        zeros (a batch of 1 standing for an unknown batch size). An unknown length (the time
        axis of ``Input((None, 16))``) is tried at two sizes: the output axes that follow it
        are unknown too."""
        with no_grad():
            out = self(zeros_like_shape(concrete(input_shape), self.dtype))
            shape = restore_none(input_shape, out)
            if unknown_lengths(input_shape) and isinstance(out, Tensor):
                other = self(zeros_like_shape(concrete(input_shape, length=2), self.dtype))
                if other.ndim == len(shape):
                    shape = tuple(None if a != b else a for a, b in zip(shape, other.shape))
        return shape

    def __call__(self, inputs, *args, training=None, **kwargs):
        if self._device is not None:  # moved with .to(): weights built lazily are made there
            with backend.device(self._device):
                return self._layer_call(inputs, *args, training=training, **kwargs)
        return self._layer_call(inputs, *args, training=training, **kwargs)

    def _layer_call(self, inputs, *args, training=None, **kwargs):
        if args:  # layer(a, b) for call(self, a, b); layer(x, True) is training=True
            args, training, kwargs = call_args.bind_positional(
                self.call, type(self).__name__, args, training, kwargs)
        if _is_symbolic(inputs) or (args or kwargs) and (
                call_args.has_symbolic(args) or call_args.has_symbolic(kwargs)):
            return self._call_symbolic(inputs, training, _args=args, **kwargs)
        # The input's mask (Keras's ``_keras_mask``) goes to a ``call`` that takes ``mask``
        # unless the caller passed one; the output's mask is ``compute_mask``'s.
        mask = kwargs.get("mask")
        if mask is None:
            mask = masking.get_mask(inputs)
            if mask is not None and self._call_takes_mask:
                kwargs["mask"] = mask
        if args:  # several tensor arguments: each one's mask as ``<argument>_mask``
            kwargs = call_args.populate_masks(
                self._call_parameters, inputs, args, kwargs,
                call_args.argument_names(self.call, len(args)), masking.get_mask)
            args = tuple(self._convert_argument(a) for a in args)
        inputs = self._convert_inputs(inputs)
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self.name)
        if not self.built:
            self._build_for(_shape_of(inputs), call_args.shapes_dict(
                self.call, inputs, args, kwargs) if args else None)
        self.check_input(inputs)
        self._forget_call_terms()  # add_loss / add_metric terms last only one call
        if self._call_takes_training:
            outputs = self.call(inputs, *args, training=training, **kwargs)
        else:
            outputs = self.call(inputs, *args, **kwargs)
        if self.supports_masking:
            masking.set_mask(outputs, self.compute_mask(inputs, mask))
        elif mask is not None and not self._warned_mask_dropped:
            self._warned_mask_dropped = True
            warnings.warn(f"Layer '{self.name}' (of type {type(self).__name__}) was passed an "
                          f"input with a mask attached to it. However, this layer does not "
                          f"support masking and will therefore destroy the mask information. "
                          f"Downstream layers will not see the mask.", stacklevel=2)
        if self.activity_regularizer is not None:  # each output tensor's penalty (Keras)
            self._activity.terms = [_activity_penalty(self.activity_regularizer, out) for out in
                                    (outputs if isinstance(outputs, (list, tuple))
                                     else [outputs]) if isinstance(out, Tensor)]
        calls = _call_trace.get()
        if calls is not None:
            calls.append((self, outputs))
        return outputs

    def check_input(self, inputs):
        """Raise a ValueError naming the layer if ``inputs`` do not fit its weights."""

    # -- masks ----------------------------------------------------------------------------

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes a mask on (``compute_mask``): True for a class that
        overrides ``compute_mask``, or set it in ``__init__`` (Keras's rule)."""
        value = self.__dict__.get("_supports_masking")
        return type(self)._overrides_compute_mask if value is None else value

    @supports_masking.setter
    def supports_masking(self, value):
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs, mask=None):
        """The mask of the output, from the inputs and their mask (by default, unchanged)."""
        return mask

    _overrides_compute_mask = False
    input_spec = None  # an InputSpec (or a list, one per input) that __call__ checks (Keras)
    _warned_mask_dropped = False

    def _build_for(self, input_shape, shapes=None):
        """Build for the first argument's shape or, for a call with several tensor arguments
        (``shapes``: ``{"<argument>_shape": shape}``), as ``build``'s signature asks: the
        first shape for ``build(self, input_shape)``, the shapes by name for ``build(self,
        a_shape, b_shape)`` (Keras's rule). A dict ``input_shape`` is a saved such call."""
        if isinstance(input_shape, dict):
            self.build(**input_shape)
        elif shapes is not None and len(shapes) > 1:
            self.build(**call_args.target_shapes(self.build, shapes, self.call,
                                                 type(self).__name__))
        else:
            self.build(input_shape)
        self.built = True

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)):
            return [self._convert_one(x) for x in inputs]
        return self._convert_one(inputs)

    def _convert_argument(self, value):
        """A further argument of ``call``: tensors and arrays (alone or in a list) as the
        first input is converted; anything else (a number, a flag) as it is."""
        if isinstance(value, (list, tuple)) and call_args.is_tensor_argument(value):
            return [None if v is None else self._convert_one(v) for v in value]
        if isinstance(value, (Tensor, np.ndarray)) or backend.on_device(value):
            return self._convert_one(value)
        return value

    def _convert_one(self, x):
        if isinstance(x, Tensor):
            if x.data.dtype.kind == "f" and x.data.dtype != self.dtype:
                return ops.cast(x, self.dtype)
            return x
        array = x if backend.on_device(x) else np.asarray(x)
        if array.dtype.kind in "USO" and self._accepts_strings:
            return array
        if array.dtype.kind in "fiub":
            # on the current device: inside ``with glassnet.device("gpu")`` (or a layer moved
            # with ``to``), a host input goes to the GPU as a tensor made there would
            array = backend.as_array(array)
            if array.dtype.kind == "f" or array.dtype.kind in "iub" and self._casts_integers:
                return Tensor._from_op(array.astype(self.dtype, copy=False), None)
            return Tensor._from_op(array, None)
        raise TypeError(
            f"{type(self).__name__} '{self.name}': expected numeric input, received an array "
            f"of dtype {array.dtype}"
        )

    # Integer inputs are data for most layers (pixels, features); an embedding keeps them.
    _casts_integers = True
    # Text layers (TextVectorization, StringLookup) take arrays of str as they are.
    _accepts_strings = False

    def _call_symbolic(self, inputs, training=None, _args=(), **kwargs):
        """A call on ``keras.Input`` tensors: build, find the output shape, and record the
        call (every argument: tensors are the node's inputs, the rest replayed as given)."""
        call_kwargs = {k: v for k, v in kwargs.items() if v is not None}
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self.name)
        several = bool(_args) or call_args.has_symbolic(call_kwargs)
        shapes = [t.shape for t in inputs] if isinstance(inputs, (list, tuple)) else inputs.shape
        if not several:
            if not self.built:
                self._build_for(shapes)
            out_shape = self.compute_output_shape(shapes)
        else:
            named = call_args.shapes_dict(self.call, inputs, _args, call_kwargs)
            if not self.built:
                self._build_for(shapes, named)
            out_shape = self._output_shape_of_call(inputs, _args, call_kwargs, named)
        output = SymbolicTensor(out_shape, self.dtype, layer=self, inputs=inputs,
                                training=training, call_kwargs=call_kwargs, args=_args)
        self._symbolic_input, self._symbolic_output = inputs, output
        return output

    def _output_shape_of_call(self, inputs, args, kwargs, named):
        """``compute_output_shape`` with the shapes its signature asks for; when the layer
        does not define one, found by running the call on zeros (as for one input)."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            return self.compute_output_shape(**call_args.target_shapes(
                self.compute_output_shape, named, self.call, type(self).__name__))
        everything = [inputs, list(args), kwargs]
        with no_grad():
            first, rest, keywords = zeros_for(everything, 1)
            out = self(first, *rest, **keywords)
            shape = restore_none(symbolic_shapes(inputs), out)
            if unknown_lengths(symbolic_shapes(everything)) and isinstance(out, Tensor):
                first, rest, keywords = zeros_for(everything, 2)
                other = self(first, *rest, **keywords)
                if other.ndim == len(shape):
                    shape = tuple(None if a != b else a for a, b in zip(shape, other.shape))
        return shape

    @property
    def input(self):
        """The symbolic input of this layer's latest call on ``keras.Input`` tensors."""
        return self._symbolic("input")

    @property
    def output(self):
        """The symbolic output of that call: ``Model(base.input, base.layers[-2].output)``."""
        return self._symbolic("output")

    _symbolic_input = _symbolic_output = None  # set by the latest symbolic call

    def _symbolic(self, which):
        value = getattr(self, f"_symbolic_{which}")
        if value is None:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input (keras.Input), "
                f"so it has no defined {which}")
        return value

    # -- weights --------------------------------------------------------------------------

    def add_weight(self, name=None, shape=(), initializer=None, regularizer=None,
                   trainable=True, dtype=None):
        """Create a weight of ``shape``, initialized by ``initializer`` (default
        glorot_uniform for floats), optionally regularized; assign it to an attribute."""
        dtype = np.dtype(dtype) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        init = initializers_module.get(initializer)
        shape = tuple(int(n) for n in shape)
        budget = _weight_budget.get()
        if budget is not None:
            size = int(np.prod(shape, dtype=object))
            if size > budget[0]:
                raise WeightBudgetError(
                    f"{self.name}: the weight '{name}' of shape {shape} ({size} elements) is "
                    f"larger than the {budget[0]} elements left of the saved weights")
            budget[0] -= size
        try:
            value = backend.asarray(init(shape, dtype=dtype), dtype=dtype)
        except MemoryError:
            size = np.prod(shape, dtype=object) * dtype.itemsize
            raise MemoryError(f"{type(self).__name__} '{self.name}': the weight '{name}' of "
                              f"shape {shape} needs {size / 2**30:.1f} GiB, more than this "
                              f"machine can allocate; check the layer's size arguments"
                              ) from None
        param = Parameter(value, name=name, trainable=trainable,
                          regularizer=regularizers_module.get(regularizer), dtype=dtype)
        param._freeze(not self._trainable)
        return param

    _device = None  # where ``to`` put the layer (None: never moved)

    def to(self, device):
        """Move the layer to ``device`` (``"gpu"``, ``"gpu:1"``, ``"cuda"``, ``"cpu"``;
        PyTorch's name) and return it: every weight of the layer and of its sub-layers (the
        ``Variable``/``Parameter`` data, and a gradient it holds) is copied there, and the
        device is remembered, so weights built later (an unbuilt layer's lazy ``build``) are
        made there too. Weights already there are not copied. The other way to place a layer
        is to build it inside ``with glassnet.device("gpu"):``.

        >>> from glassnet.nn.layers import Dense
        >>> layer = Dense(2).to("cpu")
        >>> layer(np.ones((1, 3))).shape
        (1, 2)
        """
        target = backend.Device.parse(device)
        if target.kind == "gpu":
            backend.device_module()  # CuPy or its ImportError, before anything moves
        for layer in _unique([self, *self._all_sublayers()]):
            layer._device = target
            layer._moved_to(target)
        for p in self.weights:
            p.data = backend.to_device(p.data, target)
            if p.grad is not None:
                p.grad = backend.to_device(p.grad, target)
        return self

    def _moved_to(self, device):
        """Hook for a layer that keeps arrays besides its weights (constants it made): move
        them to ``device`` (``Layer.to`` calls it before the weights move)."""

    def _all_sublayers(self):
        result = []
        for layer in self._sublayers():
            result.append(layer)
            result.extend(layer._all_sublayers())
        return result

    def _own_parameters(self):
        # Variables too: a layer may make its weights with tf.Variable in __init__.
        return [v for v in _walk(self.__dict__.values(), Variable)]

    def _sublayers(self):
        return [v for v in _walk(self.__dict__.values(), Layer) if v is not self]

    @property
    def layers(self):
        """Direct sub-layers, in the order they were assigned."""
        return self._sublayers()

    @property
    def weights(self):
        """Trainable then non-trainable own weights, then each sub-layer's weights."""
        own = self._own_parameters()
        result = [p for p in own if p.trainable] + [p for p in own if not p.trainable]
        for layer in self._sublayers():
            result.extend(layer.weights)
        return _unique(result)

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        result = [p for p in self._own_parameters() if p.trainable]
        for layer in self._sublayers():
            result.extend(layer.trainable_weights)
        return _unique(result)

    @property
    def non_trainable_weights(self):
        if not self._trainable:
            return self.weights
        result = [p for p in self._own_parameters() if not p.trainable]
        for layer in self._sublayers():
            result.extend(layer.non_trainable_weights)
        return _unique(result)

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    def parameters(self):
        """The trainable weights (PyTorch's name), for ``optim.Adam(layer.parameters())``."""
        return self.trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezing a layer freezes its sub-layers: their weights get no gradient."""
        self._trainable = bool(value)
        for p in self._own_parameters():
            p._freeze(not self._trainable)
        for layer in self._sublayers():
            layer.trainable = value

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"You tried to call count_params on layer '{self.name}', but the layer isn't "
                f"built. Call it on an input, or build it with layer.build(input_shape)."
            )
        return int(sum(p.data.size for p in self.weights))

    def get_weights(self):
        """Copies of the weights' values, in ``weights`` order."""
        return [p.numpy() for p in self.weights]  # NumPy copies, from the GPU too

    def set_weights(self, values):
        weights = self.weights
        if len(values) != len(weights):
            raise ValueError(
                f"Layer '{self.name}' expects {len(weights)} weight arrays, received "
                f"{len(values)}"
            )
        for p, v in zip(weights, values):
            p.assign(backend.asarray(v, dtype=p.data.dtype))

    # -- config ---------------------------------------------------------------------------

    def get_config(self):
        config = {"name": self.name, "trainable": self._trainable, "dtype": self.dtype.name}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = self.batch_input_shape
        if self.activity_regularizer is not None:
            config["activity_regularizer"] = regularizers_module.serialize(
                self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _layer_dtype(dtype, owner):
    """``dtype`` (a NumPy dtype or name, or Keras 3's ``DTypePolicy`` config) as a dtype."""
    if dtype is None:
        return backend.floatx()
    if isinstance(dtype, dict) and dtype.get("class_name") in ("DTypePolicy", "Policy"):
        dtype = (dtype.get("config") or {}).get("name")
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: dtype must be a dtype name such as 'float32'. Received: "
                        f"dtype={dtype!r}") from None


def _activity_penalty(regularizer, output):
    """regularizer(output) per sample, as Keras 3: divided by the batch size (0 for an
    empty batch)."""
    penalty = regularizer(output)
    if not output.ndim:
        return penalty
    batch = output.shape[0]
    return penalty / batch if batch else penalty * 0


def _marks_built(build):
    @functools.wraps(build)
    def build_and_mark(self, *args, **kwargs):
        if self._device is not None:  # moved with .to() before it was built
            with backend.device(self._device):
                build(self, *args, **kwargs)
        else:
            build(self, *args, **kwargs)
        self.built = True
        if len(args) == 1 and not kwargs:
            self._build_input_shape = args[0]
        else:  # build(self, a_shape, b_shape): saved by name, to build the same way again
            bound = inspect.signature(build).bind(self, *args, **kwargs).arguments
            self._build_input_shape = {k: v for k, v in list(bound.items())[1:]}

    return build_and_mark


def _walk(values, kind):
    for v in values:
        if isinstance(v, kind):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _walk(v, kind)
        elif isinstance(v, dict):
            yield from _walk(v.values(), kind)


def _unique(items):
    seen, out = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def _is_symbolic(inputs):
    if isinstance(inputs, (list, tuple)):
        return any(isinstance(x, SymbolicTensor) for x in inputs)
    return isinstance(inputs, SymbolicTensor)


def _shape_of(inputs):
    if isinstance(inputs, list):
        return [tuple(x.shape) for x in inputs]
    return tuple(inputs.shape)
