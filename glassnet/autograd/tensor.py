"""``Tensor``: an array that remembers the ``Function`` that made it; ``Function``: one op.

The graph is made of these two: a tensor computed by an op holds that op in ``_ctx``, and the op
holds its input tensors. ``Tensor.backward`` walks it from the output back to the leaves (see
``engine.py``), calling each op's ``backward`` with the gradient of its output.
"""

from __future__ import annotations

import re

import numpy as np

from glassnet import backend
from glassnet.autograd import engine
from glassnet.autograd.broadcast import broadcast_mismatch
from glassnet.autograd.grad_mode import _grad_mode, _recording
from glassnet.autograd.tensor_shape import TensorShape


class Function:
    """One differentiable operation: ``forward`` on arrays, ``backward`` the local gradient.

    A subclass takes its non-tensor arguments (axis, slope, ...) in ``__init__``, computes its
    result from raw arrays in ``forward`` (saving on ``self`` what ``backward`` needs), and maps
    the gradient of its output to one gradient per input in ``backward``, returning ``None`` for
    inputs whose ``needs_input_grad`` is False. ``backward`` must not modify its argument in
    place: the same array may be the gradient of other tensors too.

    >>> class Square(Function):
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x * x
    ...     def backward(self, gy):
    ...         return 2 * self.x * gy
    >>> y = Square()(Tensor([3.0], requires_grad=True))
    >>> y.numpy().tolist()
    [9.0]
    """

    # Class-level defaults: ``release()`` empties the instance dict, so an op whose graph was
    # freed falls back to ``inputs = None``, which is how the engine recognises it.
    inputs = None
    needs_input_grad = ()

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    def __call__(self, *inputs):
        try:
            data = self.forward(*[t.data for t in inputs])
        except ValueError as err:
            raise self.input_error(inputs, err) from None
        except TypeError:
            # CuPy refuses NumPy operands: a constant made on the host (``x * 2.0``, a NumPy
            # array handed to an op) is copied to the GPU its partners are on, as TensorFlow
            # does. Only then: the CPU path pays nothing for it.
            arrays = _on_one_device(self, inputs)
            try:
                data = self.forward(*arrays)
            except ValueError as err:
                raise self.input_error(inputs, err) from None
        if isinstance(data, np.generic):  # NumPy turns 0-d results into scalars; keep arrays
            data = np.asarray(data)
        if _grad_mode.enabled:
            for t in inputs:
                if t._requires_grad:
                    self.inputs = inputs
                    self.needs_input_grad = tuple([t._requires_grad for t in inputs])
                    if _recording.tapes:
                        for tape in _recording.tapes:
                            tape._note(self, inputs)
                    return Tensor._from_op(data, self)
        return Tensor._from_op(data, None)

    def release(self):
        """Drop the inputs and saved arrays once backward has used them."""
        self.__dict__.clear()

    @property
    def name(self) -> str:
        """The op's name in messages: ``SoftmaxCrossEntropy`` -> ``softmax_cross_entropy``."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    def input_error(self, inputs, err):
        """The ValueError raised when ``forward`` rejects its inputs; ops may say more."""
        shapes = [tuple(t.shape) for t in inputs]
        mismatch = broadcast_mismatch(shapes) if len(shapes) > 1 else None
        listed = " and ".join(str(s) for s in shapes)
        if mismatch:
            return ValueError(f"{self.name}: cannot broadcast shapes {listed}: {mismatch}")
        return ValueError(f"{self.name}: {err} (input shapes {listed})")

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _on_one_device(fn, inputs):
    """The inputs' arrays with the host ones copied to the GPU the others are on; re-raises
    the TypeError being handled when they were all on one device already."""
    arrays = [t.data for t in inputs]
    places = {backend.device_of(a) for a in arrays}
    if len(places) < 2:
        raise  # noqa: PLE0704 - called from an except block: not a placement problem
    target = next(p for p in places if p.kind == "gpu")
    for i, t in enumerate(inputs):
        if backend.device_of(arrays[i]) != target:
            if t._requires_grad:
                raise ValueError(
                    f"{fn.name}: input {i} is on {backend.device_of(arrays[i])} and requires "
                    f"grad, but other inputs are on {target}; move it first with "
                    f"tensor.to({str(target)!r}) (or model.to({str(target)!r}))") from None
            arrays[i] = backend.to_device(arrays[i], target)
    return arrays


def _resolve_dtype(array, dtype):
    if dtype is not None:
        dtype = np.dtype(dtype)
        return array if array.dtype == dtype else array.astype(dtype)
    kind = array.dtype.kind
    if kind == "f":
        floatx = backend.floatx()
        return array if array.dtype == floatx else array.astype(floatx)
    if kind in "iub":
        return array
    raise TypeError(
        f"Tensor: unsupported dtype {array.dtype}; expected floating, integer or bool data"
    )


def _check_can_require_grad(dtype):
    if dtype.kind != "f":
        raise TypeError(
            f"only floating-point tensors can require gradients, but this tensor has dtype "
            f"{dtype}: integer and bool tensors hold labels, indices and masks, whose small "
            f"changes are not defined. Create it with dtype='float32' to differentiate it."
        )


def _as_numpy_asked(result, dtype, out, name):
    if out is not None:
        raise TypeError(f"{name}: `out=` is not supported for tensors (they are not written "
                        f"in place by reductions); use the returned tensor")
    return result if dtype is None else ops.cast(result, dtype)


class Tensor:
    """An n-dimensional array that records the ops applied to it, for backpropagation.

    Floating data becomes float32 (``backend.floatx()``) unless ``dtype`` says otherwise;
    integer and bool data keep their dtype (labels, indices, masks) and cannot require grad.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.tolist()
    [2.0, 4.0, 6.0]
    """

    # ``_keras_mask``: the bool mask a layer attached to its output (Keras's name), unset on
    # most tensors, so it is read with ``getattr(t, "_keras_mask", None)``.
    __slots__ = ("data", "grad", "_requires_grad", "_ctx", "_keras_mask", "__weakref__")
    # NumPy defers to our reflected operators (``ndarray + Tensor`` -> ``Tensor.__radd__``).
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data.data
        self.data = _resolve_dtype(backend.as_array(data), dtype)
        self.grad = None
        self._ctx = None
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _from_op(cls, data, ctx):
        # The hot path: ops build their outputs here, skipping validation.
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t._ctx = ctx
        t._requires_grad = ctx is not None
        return t

    # -- autograd -------------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if value:
            _check_can_require_grad(self.data.dtype)
        elif self._ctx is not None:
            raise ValueError(
                "requires_grad can only be turned off on a leaf tensor; "
                "use .detach() to get a copy outside the graph"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, value=True) -> Tensor:
        self.requires_grad = value
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not computed by a recorded op (inputs and parameters)."""
        return self._ctx is None

    @property
    def grad_fn(self):
        """The op that computed this tensor, or None for a leaf."""
        return self._ctx

    def backward(self, grad=None, retain_graph=False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``grad`` is the gradient of some final scalar with respect to ``self``; it may be left
        out when ``self`` holds one element (it is then 1). The graph is freed afterwards
        unless ``retain_graph=True``.
        """
        engine.backward(self, grad, retain_graph)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, requires no grad)."""
        return Tensor._from_op(self.data, None)

    def zero_grad(self) -> None:
        self.grad = None

    # -- array facts ----------------------------------------------------------------------

    @property
    def shape(self) -> TensorShape:
        return TensorShape(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        """All axes reversed, as NumPy's ``.T``."""
        return ops.transpose(self)

    def numpy(self) -> np.ndarray:
        """The data as a NumPy array (shared, not copied; copied from a GPU)."""
        return backend.to_host(self.data)

    @property
    def device(self) -> backend.Device:
        """Where the data lives: ``cpu`` or ``gpu:N``."""
        return backend.device_of(self.data)

    def to(self, device) -> Tensor:
        """This tensor on ``device`` (itself when already there), differentiable: the
        gradient goes back to where the tensor was."""
        return ops.to_device(self, device)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only a one-element tensor converts to a Python number; "
                f"this one has shape {self.shape}"
            )
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def astype(self, dtype) -> Tensor:
        """A copy with another dtype; differentiable between floating dtypes."""
        return ops.cast(self, dtype)

    def float(self) -> Tensor:
        return ops.cast(self, np.float32)

    def double(self) -> Tensor:
        return ops.cast(self, np.float64)

    def long(self) -> Tensor:
        return ops.cast(self, np.int64)

    def __array__(self, dtype=None, copy=None):
        data = backend.to_host(self.data)
        return data if dtype is None else data.astype(dtype)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                "use .any() or .all() on .numpy()"
            )
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        # A 0-d integer tensor is an index or a size (tf.ones((tf.shape(x)[0], 1))).
        if self.data.ndim == 0 and self.data.dtype.kind in "iu":
            return int(self.data)
        raise TypeError(f"only a 0-d integer tensor can be used as an index or a size; this "
                        f"one has shape {self.shape} and dtype {self.dtype}")

    def __format__(self, spec):
        # f"{loss:.4f}" as TensorFlow's tensors allow: a one-element tensor formats its number.
        if spec and self.data.size == 1:
            return format(self.data.item(), spec)
        return format(str(self), spec)

    def __repr__(self):
        body = np.array2string(backend.to_host(self.data), separator=", ", prefix="tensor(")
        extra = ""
        if self.data.dtype != backend.floatx() and self.data.dtype.kind == "f":
            extra += f", dtype={self.data.dtype}"
        if self._ctx is not None:
            extra += f", grad_fn={self._ctx!r}"
        elif self._requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__  # __eq__ is elementwise, identity stays the hash

    # -- operators ------------------------------------------------------------------------

    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __mod__(self, other):
        return ops.mod(self, other)

    def __rmod__(self, other):
        return ops.mod(other, self)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __invert__(self):
        return ops.bitwise_not(self)

    def __and__(self, other):
        return ops.bitwise_and(self, other)

    def __rand__(self, other):
        return ops.bitwise_and(other, self)

    def __or__(self, other):
        return ops.bitwise_or(self, other)

    def __ror__(self, other):
        return ops.bitwise_or(other, self)

    def __xor__(self, other):
        return ops.bitwise_xor(self, other)

    def __rxor__(self, other):
        return ops.bitwise_xor(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __abs__(self):
        return ops.abs(self)

    def __getitem__(self, key):
        return ops.getitem(self, key)

    def __eq__(self, other):
        return ops.equal(self, other)

    def __ne__(self, other):
        return ops.not_equal(self, other)

    def __lt__(self, other):
        return ops.less(self, other)

    def __le__(self, other):
        return ops.less_equal(self, other)

    def __gt__(self, other):
        return ops.greater(self, other)

    def __ge__(self, other):
        return ops.greater_equal(self, other)

    # -- methods (each the functional op of the same name) ---------------------------------

    def matmul(self, other):
        return ops.matmul(self, other)

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def sign(self):
        return ops.sign(self)

    def clip(self, min=None, max=None):  # noqa: A002 - NumPy's names
        return ops.clip(self, min, max)

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    # dtype= and out= are what NumPy's np.sum(t), np.mean(t, axis=0)... pass on to a method.
    def sum(self, axis=None, keepdims=False, *, dtype=None, out=None):
        return _as_numpy_asked(ops.sum(self, axis, keepdims), dtype, out, "sum")

    def mean(self, axis=None, keepdims=False, *, dtype=None, out=None):
        return _as_numpy_asked(ops.mean(self, axis, keepdims), dtype, out, "mean")

    def max(self, axis=None, keepdims=False, *, out=None):
        return _as_numpy_asked(ops.max(self, axis, keepdims), None, out, "max")

    def min(self, axis=None, keepdims=False, *, out=None):
        return _as_numpy_asked(ops.min(self, axis, keepdims), None, out, "min")

    def var(self, axis=None, keepdims=False, ddof=0, *, dtype=None, out=None):
        return _as_numpy_asked(ops.var(self, axis, keepdims, ddof), dtype, out, "var")

    def std(self, axis=None, keepdims=False, ddof=0, *, dtype=None, out=None):
        return _as_numpy_asked(ops.std(self, axis, keepdims, ddof), dtype, out, "std")

    def logsumexp(self, axis=None, keepdims=False):
        return ops.logsumexp(self, axis, keepdims)

    def argmax(self, axis=None, keepdims=False):
        return ops.argmax(self, axis, keepdims)

    def argmin(self, axis=None, keepdims=False):
        return ops.argmin(self, axis, keepdims)

    def reshape(self, *shape):
        return ops.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes):
        return ops.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def permute(self, *axes):
        return ops.transpose(self, axes[0] if len(axes) == 1 else axes)

    def flatten(self, start_axis=0, end_axis=-1):
        return ops.flatten(self, start_axis, end_axis)

    def squeeze(self, axis=None):
        return ops.squeeze(self, axis)

    def unsqueeze(self, axis):
        return ops.unsqueeze(self, axis)

    def expand(self, *shape):
        return ops.broadcast_to(self, shape[0] if len(shape) == 1 else shape)

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)

    def relu(self):
        return ops.relu(self)

    def softmax(self, axis=-1):
        return ops.softmax(self, axis)

    def log_softmax(self, axis=-1):
        return ops.log_softmax(self, axis)


# Imported last: the op modules build Tensors, so this module must be complete before them.
from glassnet.autograd import ops  # noqa: E402
