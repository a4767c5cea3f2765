"""``Variable``: a leaf tensor that is mutable state (``tf.Variable``, ``keras.Variable``).

A variable owns its array and changes it only in place (``assign``, ``assign_add``,
``assign_sub``), so every view of that array (an optimizer's flat buffers, a saved graph's
reference) sees the new values, and no module-level state is involved: threads updating
different variables never meet. Arithmetic is the ``Tensor``'s: ``v * 2`` is a recorded op,
and a trainable floating variable requires grad, so a ``GradientTape`` (or ``backward()``)
reaches it without being told.

Differences from TensorFlow, by design: floating data becomes ``floatx()`` (float32) unless
``dtype`` says otherwise, as everywhere in glassnet and in Keras 3 (TensorFlow keeps a NumPy
float64 array float64); ``numpy()`` returns a copy, as TensorFlow's, so a value read before
an ``assign`` keeps the old numbers. An op saves references to its inputs' arrays for its
backward, so assigning to a variable between a forward pass and its gradient changes that
gradient: update variables after ``tape.gradient``, as training loops do.
"""

from __future__ import annotations

import inspect

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Function, Tensor

# Accepted for source compatibility with tf.Variable / keras.Variable; they choose devices,
# distribution and mixed-precision casting, none of which exists here.
_IGNORED = ("validate_shape", "caching_device", "synchronization", "aggregation", "autocast",
            "import_scope", "experimental_enable_variable_lifting")


class _Read(Function):
    """A copy of the variable's current value; the gradient passes through unchanged.

    forward: y = x (a new array). backward: dx = dy.
    """

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy


def _initial_array(initial_value, shape, dtype):
    if callable(initial_value) and not isinstance(initial_value, (Tensor, np.ndarray)):
        initial_value = _call_initializer(initial_value, shape, dtype)
    if isinstance(initial_value, str):
        raise TypeError(
            f"Variable: `initial_value` must be an array-like, a Tensor or a callable "
            f"(an initializer). Received: the string {initial_value!r}; resolve it first, "
            f"e.g. keras.initializers.get({initial_value!r})")
    python_data = not isinstance(initial_value, (Tensor, np.ndarray, np.generic))
    data = initial_value.data if isinstance(initial_value, Tensor) else initial_value
    try:
        array = backend.get_array_module(data).array(data, dtype=dtype, copy=True, order="C")
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"Variable: `initial_value` must be convertible to an array of dtype "
            f"{dtype or 'float32'}. Received: {type(initial_value).__name__} ({err})") from None
    if array.dtype.kind == "O":
        raise TypeError(f"Variable: `initial_value` must hold numbers. Received: "
                        f"{type(initial_value).__name__} of objects")
    if dtype is None and python_data and array.dtype == np.int64:
        array = array.astype(np.int32)  # TensorFlow's dtype for Python ints
    if shape is not None and array.shape != shape:
        raise ValueError(f"Variable: `shape` is {shape} but the initial value has shape "
                         f"{array.shape}")
    return array


def _call_initializer(init, shape, dtype):
    """tf style ``lambda: value`` without a shape; Keras style ``init(shape, dtype)``."""
    if shape is None:
        return init()
    try:
        params = inspect.signature(init).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature
        params = ()
    takes_dtype = any(p.name == "dtype" or p.kind is p.VAR_KEYWORD for p in params)
    dtype_arg = "float32" if dtype is None else dtype
    return init(shape, dtype=dtype_arg) if takes_dtype else init(shape)


class Variable(Tensor):
    """A mutable leaf tensor with a name and a ``trainable`` flag.

    ``requires_grad`` follows ``trainable`` for floating dtypes (integer and bool variables,
    counters and flags, never take gradients), and is off while a layer that owns the
    variable is frozen (``layer.trainable = False``).

    Args:
        initial_value: an array-like, a Tensor (copied), or a callable: ``lambda: value``
            (TensorFlow) or an initializer called as ``init(shape, dtype=dtype)`` when
            ``shape`` is given (Keras 3, whose name for this argument, ``initializer``, is
            accepted too).
        trainable: whether optimizers and gradient tapes treat it as a weight.
        name: a label for messages and ``repr`` (default ``"Variable"``).
        dtype: the dtype; by default Python and NumPy floats become float32, Python ints
            int32, NumPy integer and bool arrays keep theirs.
        shape: the shape (required with an initializer; checked against a value).

    >>> v = Variable([1.0, 2.0], name="w")
    >>> v.assign_add([0.5, 0.5]).numpy().tolist()
    [1.5, 2.5]
    >>> (v * 2).requires_grad, v.dtype
    (True, dtype('float32'))
    """

    __slots__ = ("name", "_trainable", "_frozen")
    # Layers read every weight's regularizer; a plain variable has none (Parameter's may).
    regularizer = None

    def __init__(self, initial_value=None, trainable=True, name=None, dtype=None, shape=None,
                 *, initializer=None, constraint=None, **kwargs):
        unknown = sorted(set(kwargs) - set(_IGNORED))
        if unknown:
            raise TypeError(f"Variable: unexpected keyword argument(s) {', '.join(unknown)}")
        if constraint is not None:
            raise ValueError("Variable: `constraint` is not supported; apply it after each "
                             "update, e.g. v.assign(constraint(v))")
        if initializer is not None:
            if initial_value is not None:
                raise ValueError("Variable: pass `initial_value` or `initializer`, not both")
            initial_value = initializer
        if initial_value is None:
            raise ValueError("Variable: an `initial_value` (or `initializer`) is required")
        if isinstance(trainable, (tuple, list)):
            # Keras 3's positional order, Variable(initializer, shape, dtype): a shape where
            # tf.Variable has `trainable` cannot be a flag, so the call is read that way.
            shape, trainable = trainable, True
            if name is not None and dtype is None:
                dtype, name = name, None
        if trainable is None:  # tf.Variable's default
            trainable = True
        if not isinstance(trainable, (bool, np.bool_)):
            raise TypeError(f"Variable: `trainable` must be a bool. Received: "
                            f"trainable={trainable!r} of type {type(trainable).__name__} "
                            f"(the shape is the keyword argument `shape=`)")
        if shape is not None:
            shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(n) for n in shape)
        dtype = None if dtype is None else np.dtype(dtype)
        array = _initial_array(initial_value, shape, dtype)
        super().__init__(array, dtype=array.dtype if dtype is not None else None)
        self.name = "Variable" if name is None else str(name)
        self._trainable = bool(trainable)
        self._frozen = False
        self._sync_requires_grad()

    # -- trainable ------------------------------------------------------------------------

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        self._sync_requires_grad()

    def _freeze(self, frozen):
        # Set by an owning layer's ``trainable``; the variable's own flag is kept.
        self._frozen = frozen
        self._sync_requires_grad()

    def _sync_requires_grad(self):
        self._requires_grad = self._trainable and not self._frozen and \
            self.data.dtype.kind == "f"
        if not self._requires_grad:
            self.grad = None

    # -- reading --------------------------------------------------------------------------

    @property
    def value(self):
        """The variable as the engine's tensor (Keras 3's ``variable.value``): itself, so a
        custom ``train_step`` may read ``v.value.grad``."""
        return self

    def read_value(self) -> Tensor:
        """The current value as a new tensor (a copy; differentiable: the gradient reaches
        the variable). Later assigns do not change it."""
        return _Read()(self)

    def numpy(self) -> np.ndarray:
        """A copy of the current value (as ``tf.Variable.numpy``)."""
        data = self.data
        return backend.to_host(data) if backend.on_device(data) else data.copy()

    # -- writing (always in place) --------------------------------------------------------

    def assign(self, value):
        """Overwrite the values in place; ``value`` must have the variable's shape. Returns
        the variable."""
        value = self._operand(value, "assign")
        if value.shape != self.data.shape:
            raise ValueError(f"{type(self).__name__} '{self.name}' has shape "
                             f"{self.data.shape}; cannot assign a value of shape {value.shape}")
        self.data[...] = value
        return self

    def assign_add(self, delta):
        """``v <- v + delta`` in place (``delta`` of the variable's shape or broadcasting to
        it). Returns the variable."""
        np.add(self.data, self._delta(delta, "assign_add"), out=self.data,
               casting="same_kind")
        return self

    def assign_sub(self, delta):
        """``v <- v - delta`` in place. Returns the variable."""
        np.subtract(self.data, self._delta(delta, "assign_sub"), out=self.data,
                    casting="same_kind")
        return self

    def _operand(self, value, method):
        array = backend.asarray(value.data if isinstance(value, Tensor) else value)
        if backend.on_device(self.data) and not backend.on_device(array):
            array = backend.to_device(array, backend.device_of(self.data))
        if array.dtype.kind not in "biuf" or not np.can_cast(array.dtype, self.data.dtype,
                                                            "same_kind"):
            raise TypeError(f"{type(self).__name__} '{self.name}'.{method}: cannot write "
                            f"values of dtype {array.dtype} into a variable of dtype "
                            f"{self.data.dtype}")
        return array

    def _delta(self, delta, method):
        delta = self._operand(delta, method)
        try:
            shape = np.broadcast_shapes(self.data.shape, delta.shape)
        except ValueError:
            shape = None
        if shape != self.data.shape:
            raise ValueError(f"{type(self).__name__} '{self.name}'.{method}: the variable has "
                             f"shape {self.data.shape}; cannot add a value of shape "
                             f"{delta.shape}")
        return delta

    def scatter_nd_update(self, indices, updates):
        """Write ``updates`` at ``indices`` (N, k): each row the coordinates of one element
        (k = ndim) or one slice (k < ndim), as tf's ``scatter_nd_update``. Returns self.

        >>> Variable([1.0, 2.0, 3.0, 4.0]).scatter_nd_update([[1], [3]], [9.0, 10.0]).tolist()
        [1.0, 9.0, 3.0, 10.0]
        """
        return self._scatter_nd(indices, updates, "scatter_nd_update", None)

    def scatter_nd_add(self, indices, updates):
        """Add ``updates`` at ``indices`` (repeated indices add up). Returns self."""
        return self._scatter_nd(indices, updates, "scatter_nd_add", np.add)

    def scatter_nd_sub(self, indices, updates):
        """Subtract ``updates`` at ``indices`` (repeated indices add up). Returns self."""
        return self._scatter_nd(indices, updates, "scatter_nd_sub", np.subtract)

    def _scatter_nd(self, indices, updates, method, ufunc):
        index = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if index.dtype.kind not in "iu" or index.ndim < 1 or index.shape[-1] > self.ndim:
            raise ValueError(f"{type(self).__name__} '{self.name}'.{method}: `indices` must "
                             f"be integers of shape (..., k) with k <= {self.ndim}. Received: "
                             f"shape {index.shape}, dtype {index.dtype}")
        bound = np.asarray(self.shape[:index.shape[-1]])
        if index.size and ((index < 0).any() or (index >= bound).any()):
            raise ValueError(f"{type(self).__name__} '{self.name}'.{method}: `indices` out "
                             f"of range for shape {self.shape}")
        key = tuple(np.moveaxis(index, -1, 0))
        values = self._operand(updates, method)
        expected = index.shape[:-1] + self.shape[index.shape[-1]:]
        if values.shape != expected and values.ndim:
            raise ValueError(f"{type(self).__name__} '{self.name}'.{method}: `updates` must "
                             f"have shape {expected}. Received: {values.shape}")
        if ufunc is None:
            self.data[key] = values
        else:
            ufunc.at(self.data, key, values)
        return self

    def __getitem__(self, key):
        # A slice that can be written back: v[1].assign(10.0), as TensorFlow's variables.
        return VariableSlice(super().__getitem__(key), self, key)

    def __repr__(self):
        return (f"<Variable '{self.name}' shape={self.shape} dtype={self.dtype}, "
                f"numpy={self.data!r}>")


class VariableSlice(Tensor):
    """``variable[key]``: the values read (a tensor with its gradient, as any slice), and
    ``assign``, ``assign_add``, ``assign_sub`` that write into the variable at ``key`` in
    place and return the variable.

    >>> v = Variable([1.0, 2.0, 3.0])
    >>> v[1].assign(10.0).numpy().tolist()
    [1.0, 10.0, 3.0]
    """

    __slots__ = ("_variable", "_key")

    def __init__(self, read, variable, key):  # takes over the slice the getitem op made
        self.data, self.grad = read.data, read.grad
        self._requires_grad, self._ctx = read._requires_grad, read._ctx
        self._variable, self._key = variable, key

    def _write(self, value, method, combine):
        variable = self._variable
        value = variable._operand(value, method)
        target = variable.data[self._key]
        try:
            result = combine(target, value)
            np.broadcast_to(result, np.shape(target))
        except ValueError:
            raise ValueError(f"{type(variable).__name__} '{variable.name}'[{self._key!r}]."
                             f"{method}: the slice has shape {np.shape(target)}; cannot write "
                             f"a value of shape {value.shape}") from None
        variable.data[self._key] = result
        return variable

    def assign(self, value):
        return self._write(value, "assign", lambda old, new: new)

    def assign_add(self, delta):
        return self._write(delta, "assign_add", lambda old, new: old + new)

    def assign_sub(self, delta):
        return self._write(delta, "assign_sub", lambda old, new: old - new)
