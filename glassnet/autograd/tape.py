"""``GradientTape``: TensorFlow's way of asking for gradients, over glassnet's graph.

glassnet records every op whose inputs require grad into its graph, tape or no tape; an open
tape also notes which ops it saw, and differentiates through those alone, as TensorFlow
does: an op run before the tape was entered, or after it closed, makes a constant for it.
On top it adds TensorFlow's interface: which tensors to differentiate with respect to
(trainable variables by default, constants after ``watch``), gradients returned as values
in the shape of the request (rather than accumulated into ``.grad``), and a one-use rule
unless ``persistent``. ``gradient`` reads the graph without freeing it or touching any ``.grad``,
so two tapes may share one forward pass (a GAN's generator and discriminator tapes), and
``loss.backward()`` users are unaffected.

>>> from glassnet.autograd.variable import Variable
>>> w = Variable([1.0, 2.0])
>>> with GradientTape() as tape:
...     y = (w * w).sum()
>>> tape.gradient(y, w).tolist()
[2.0, 4.0]

Differences from TensorFlow, by design:

- ``stop_recording`` is ``no_grad``: it stops every tape of the calling thread, not only
  this one.
- A leaf made with ``requires_grad=True`` (PyTorch's way) counts as watched.
- ``watch(x)`` sets ``x.requires_grad = True``, for good: ops on ``x`` are recorded from
  then on, in this tape and outside it.
- Second derivatives (a tape around another tape's ``gradient``) are not supported: the
  engine's backward works on NumPy arrays, so a gradient carries no graph of its own. A
  gradient computed while another tape is recording is marked, and differentiating through
  it raises a RuntimeError instead of returning a wrong number (wrap it in
  ``stop_gradient`` / ``.detach()`` for a first-order method).

Tapes are per thread: one thread's tape never sees another thread's ops' bookkeeping (the
graph itself is shared, as the tensors are).
"""

from __future__ import annotations

import contextlib
import enum
import warnings

import numpy as np

from glassnet import backend
from glassnet.autograd import engine
from glassnet.autograd.grad_mode import _recording, enable_grad, no_grad
from glassnet.autograd.tensor import Function, Tensor, _check_can_require_grad
from glassnet.autograd.variable import Variable


class _NestedGradient(Function):
    """The op behind a gradient computed while another tape records: its backward would be
    a second derivative, which this engine cannot compute, so it raises."""

    def forward(self, *arrays):  # never called: built by the tape around finished arrays
        raise NotImplementedError

    def backward(self, grad_output):
        raise RuntimeError(
            "GradientTape: second derivatives are not supported. This value is a gradient "
            "computed by a tape inside another tape, and differentiating it again needs the "
            "graph of the gradient itself, which glassnet does not build (its backward works "
            "on NumPy arrays). Compute second derivatives by finite differences of the "
            "first, or wrap the gradient in stop_gradient()/.detach() to treat it as a "
            "constant (first-order methods)."
        )


# -- nested structures (lists, tuples, dicts of tensors) -----------------------------------

def _flatten(structure, what, path=""):
    if isinstance(structure, dict):
        return [leaf for key in structure
                for leaf in _flatten(structure[key], what, f"{path}[{key!r}]")]
    if isinstance(structure, (list, tuple)):
        return [leaf for i, item in enumerate(structure)
                for leaf in _flatten(item, what, f"{path}[{i}]")]
    if not isinstance(structure, Tensor):
        raise TypeError(f"GradientTape: `{what}{path}` must be a Tensor or Variable (or a "
                        f"list, tuple or dict of them). Received: {type(structure).__name__}")
    return [structure]


def _leaves(structure):
    """The items of nested lists/tuples/dicts; anything else (an array, a number) is one."""
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in _leaves(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    return [structure]


def _rebuild(structure, leaves):
    """``structure`` with its tensors replaced, in order, by the items of iterator
    ``leaves``."""
    if isinstance(structure, dict):
        return type(structure)((key, _rebuild(structure[key], leaves)) for key in structure)
    if isinstance(structure, (list, tuple)):
        items = [_rebuild(item, leaves) for item in structure]
        if hasattr(structure, "_fields"):  # a namedtuple
            return type(structure)(*items)
        return type(structure)(items)
    return next(leaves)


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


def _unconnected_mode(value):
    mode = getattr(value, "value", value)  # tf.UnconnectedGradients.ZERO spells it .value
    if mode not in ("none", "zero"):
        raise ValueError(f"GradientTape: `unconnected_gradients` must be 'none' or 'zero'. "
                         f"Received: {value!r}")
    return mode


class GradientTape:
    """Records the forward computation inside ``with`` and differentiates it afterwards.

    For a target ``y`` (a list of targets is their sum) and sources ``x_i``, ``gradient``
    returns ``dy/dx_i``, in the structure ``sources`` was given in, each a Tensor of the
    source's shape with no graph; ``output_gradients`` ``g`` makes it the vector-Jacobian
    product ``sum(g * dy/dx_i)``. A source the target does not depend on gets None (or zeros
    with ``unconnected_gradients="zero"``).

    Args:
        persistent: allow more than one ``gradient``/``jacobian`` call (a non-persistent
            tape answers once, as in TensorFlow).
        watch_accessed_variables: differentiate with respect to trainable variables without
            ``watch``; with False only watched tensors and variables are sources.

    >>> import glassnet
    >>> x = glassnet.tensor(3.0)
    >>> with GradientTape(persistent=True) as tape:
    ...     tape.watch(x)
    ...     y = x * x
    ...     z = y * y
    >>> float(tape.gradient(z, x)), float(tape.gradient(z, y))   # 4x^3, 2y
    (108.0, 18.0)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._watched = {}  # id -> tensor, in watch order
        self._ops = set()  # the ops made while this tape recorded (Function.__call__ notes)
        self._accessed = {}  # id -> trainable variable read by those ops, in order
        self._used = False
        self._grad_mode = None

    # -- context --------------------------------------------------------------------------

    def __enter__(self):
        if self in _recording.tapes:
            raise RuntimeError("GradientTape: this tape is already recording; a tape can be "
                               "entered once at a time")
        # Inside ``no_grad`` (a predict helper, a decorated function) a tape still records.
        self._grad_mode = enable_grad()
        self._grad_mode.__enter__()
        _recording.tapes.append(self)
        return self

    def __exit__(self, *exc_info):
        _recording.tapes.remove(self)
        self._grad_mode.__exit__(*exc_info)
        self._grad_mode = None
        return False

    @contextlib.contextmanager
    def stop_recording(self):
        """A block whose ops are not recorded (``no_grad``: by any tape of this thread)."""
        if self not in _recording.tapes:
            raise RuntimeError("GradientTape.stop_recording: the tape is not recording; use "
                               "it inside the tape's `with` block")
        _recording.tapes.remove(self)
        try:
            with no_grad():
                yield
        finally:
            _recording.tapes.append(self)

    def reset(self):
        """Forget the watched tensors and the one-use rule, as a new tape would (the graph
        itself stays: see the module notes)."""
        self._watched.clear()
        self._ops.clear()
        self._accessed.clear()
        self._used = False

    def _note(self, fn, inputs):
        """Called for each op made while this tape records."""
        self._ops.add(fn)
        if self.watch_accessed_variables:
            for t in inputs:
                if t._ctx is None and isinstance(t, Variable) and t.trainable:
                    self._accessed.setdefault(id(t), t)

    # -- sources --------------------------------------------------------------------------

    def watch(self, tensor):
        """Make ``tensor`` (or each tensor of a list/tuple/dict) a source: from now on the
        ops using it are recorded, and ``gradient`` may differentiate with respect to it."""
        for t in _flatten(tensor, "tensor"):
            if t._ctx is None and not t._requires_grad:
                try:
                    _check_can_require_grad(t.data.dtype)
                except TypeError:
                    # as TensorFlow: a warning, and the tensor's gradient will be None
                    warnings.warn(f"GradientTape.watch: the tensor has dtype {t.dtype}; only "
                                  f"floating-point tensors have gradients, so its gradient "
                                  f"will be None", stacklevel=2)
                    continue
                t._requires_grad = True
            self._watched[id(t)] = t

    def watched_variables(self):
        """The variables watched explicitly, then the trainable variables the recorded ops
        read (with ``watch_accessed_variables``), in the order first seen."""
        found = {k: t for k, t in self._watched.items() if isinstance(t, Variable)}
        for k, t in self._accessed.items():
            found.setdefault(k, t)
        return tuple(found.values())

    # -- gradients ------------------------------------------------------------------------

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """d(target)/d(sources), in the structure of ``sources``; see the class docstring."""
        mode = _unconnected_mode(unconnected_gradients)
        roots = _flatten(target, "target")
        seeds = self._seeds(roots, output_gradients)
        flat_sources = _flatten(sources, "sources")
        self._consume("gradient")
        arrays = self._differentiate(roots, seeds, flat_sources)
        grads = [self._result(a, s, roots, mode) for a, s in zip(arrays, flat_sources)]
        return grads[0] if isinstance(sources, Tensor) else _rebuild(sources, iter(grads))

    def jacobian(self, target, sources, unconnected_gradients="none",
                 parallel_iterations=None, experimental_use_pfor=True):
        """d(target[i...])/d(source[j...]) of shape ``target.shape + source.shape`` for each
        source. One gradient pass per element of ``target`` (a loop: meant for small
        targets)."""
        mode = _unconnected_mode(unconnected_gradients)
        root = self._single_target(target, "jacobian")
        flat_sources = _flatten(sources, "sources")
        self._consume("jacobian")
        rows = []
        xp = backend.get_array_module(root.data)  # seeds and zeros beside the tensors
        for k in range(root.data.size):  # one backward pass per output element
            seed = xp.zeros(root.data.size, root.data.dtype)
            seed[k] = 1
            rows.append(self._differentiate([root], [seed.reshape(root.shape)], flat_sources))
        grads = []
        for j, s in enumerate(flat_sources):
            parts = [row[j] for row in rows]
            if all(p is None for p in parts):
                grads.append(None if mode == "none" else Tensor._from_op(
                    backend.get_array_module(s.data).zeros(root.shape + s.shape, s.dtype),
                    None))
                continue
            parts = [backend.get_array_module(s.data).zeros(s.shape, s.dtype) if p is None
                     else p for p in parts]
            full = np.stack(parts).reshape(root.shape + s.shape)
            grads.append(self._result(full, s, [root], mode))
        return grads[0] if isinstance(sources, Tensor) else _rebuild(sources, iter(grads))

    def batch_jacobian(self, target, source, unconnected_gradients="none",
                       parallel_iterations=None, experimental_use_pfor=True):
        """d(target[b, i...])/d(source[b, j...]) of shape ``(batch, *target.shape[1:],
        *source.shape[1:])``, assuming (as TensorFlow) that example b of the target depends
        only on example b of the source. One gradient pass per element of ``target[0]``."""
        mode = _unconnected_mode(unconnected_gradients)
        root = self._single_target(target, "batch_jacobian")
        if not isinstance(source, Tensor):
            raise TypeError(f"GradientTape.batch_jacobian: `source` must be a Tensor. "
                            f"Received: {type(source).__name__}")
        if root.ndim < 1 or source.ndim < 1 or root.shape[0] != source.shape[0]:
            raise ValueError(f"GradientTape.batch_jacobian: `target` and `source` must share "
                             f"their first (batch) dimension. Received: target of shape "
                             f"{root.shape}, source of shape {source.shape}")
        self._consume("batch_jacobian")
        batch, per_example = root.shape[0], int(np.prod(root.shape[1:], dtype=np.int64))
        out_shape = (batch, *root.shape[1:], *source.shape[1:])
        columns = []
        xp, xs = backend.get_array_module(root.data), backend.get_array_module(source.data)
        for k in range(per_example):  # one backward pass per element of an example
            seed = xp.zeros((batch, per_example), root.data.dtype)
            seed[:, k] = 1
            (g,) = self._differentiate([root], [seed.reshape(root.shape)], [source])
            columns.append(g)
        if all(c is None for c in columns):
            return None if mode == "none" else Tensor._from_op(
                xs.zeros(out_shape, source.dtype), None)
        columns = [xs.zeros(source.shape, source.dtype) if c is None else c for c in columns]
        full = np.stack(columns, axis=1).reshape(out_shape)
        return self._result(full, source, [root], mode)

    # -- helpers --------------------------------------------------------------------------

    def _consume(self, method):
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients (or jacobians); create it with "
                               f"GradientTape(persistent=True) to call {method}() again")
        self._used = True

    def _single_target(self, target, method):
        if not isinstance(target, Tensor):
            raise TypeError(f"GradientTape.{method}: `target` must be a Tensor. Received: "
                            f"{type(target).__name__}")
        return target

    @staticmethod
    def _seeds(roots, output_gradients):
        if output_gradients is None:
            return [backend.get_array_module(r.data).ones(r.shape, r.data.dtype)
                    for r in roots]
        # As TensorFlow: the structure is flattened like the target's; arrays are leaves.
        given = _leaves(output_gradients)
        if len(given) != len(roots):
            raise ValueError(f"GradientTape.gradient: `output_gradients` must hold one array "
                             f"per target ({len(roots)}). Received: {len(given)}")
        seeds = []
        for i, (r, g) in enumerate(zip(roots, given)):
            xp = backend.get_array_module(r.data)
            if g is None:
                seeds.append(xp.ones(r.shape, r.data.dtype))
                continue
            g = backend.asarray(g.data if isinstance(g, Tensor) else g, dtype=r.data.dtype)
            if xp is not np:  # a host array given for a GPU target goes beside it
                g = backend.to_device(g, backend.device_of(r.data))
            if g.shape != r.shape:
                raise ValueError(f"GradientTape.gradient: output_gradients[{i}] must have the "
                                 f"shape of target {i}, {r.shape}. Received: shape {g.shape}")
            seeds.append(g)
        return seeds

    def _differentiate(self, roots, seeds, sources):
        """engine.gradients over this tape's ops, None for sources it does not watch."""
        live = [s if self._is_source(s) else None for s in sources]
        chosen = [s for s in live if s is not None]
        arrays = iter(engine.gradients(roots, seeds, chosen, recorded=self._ops)
                      if chosen else ())
        return [None if s is None else next(arrays) for s in live]

    def _is_source(self, s):
        if id(s) in self._watched:
            return True
        if s._ctx is not None:
            return s._ctx in self._ops  # an intermediate this tape computed
        if isinstance(s, Variable):
            return self.watch_accessed_variables and id(s) in self._accessed
        return self.watch_accessed_variables and s._requires_grad  # requires_grad=True

    def _result(self, array, source, roots, mode):
        if array is None:
            return None if mode == "none" else Tensor._from_op(
                backend.get_array_module(source.data).zeros(source.shape, source.dtype), None)
        others = [t for t in _recording.tapes if t is not self]
        if not others:
            return Tensor._from_op(array, None)
        # Another tape records this call: mark the value so that differentiating it (a
        # second derivative) fails loudly; its inputs are the targets, so any source of the
        # first pass lies below it.
        fn = _NestedGradient()
        fn.inputs = tuple(r for r in roots if r._requires_grad)
        fn.needs_input_grad = tuple(True for _ in fn.inputs)
        if not fn.inputs:
            return Tensor._from_op(array, None)
        for tape in others:  # made inside them: what they differentiate through
            tape._ops.add(fn)
        return Tensor._from_op(array, fn)
