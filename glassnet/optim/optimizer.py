"""``Optimizer``: the update rule applied to parameters in place, two ways of driving it.

Keras style: ``opt = Adam(learning_rate=1e-3)``, then ``opt.apply_gradients(zip(grads,
params))`` (``fit`` does this). PyTorch style: ``opt = Adam(model.parameters(), lr=1e-3)``,
then ``loss.backward(); opt.step(); opt.zero_grad()``. Both run the same ``update_step``.

Each step: clip the gradients (clipnorm per variable, else global_clipnorm; then clipvalue),
apply decoupled weight decay (w -= lr * weight_decay * w), then the algorithm's update.
State arrays are created once per parameter and updated in place: a step allocates nothing
that it can reuse. Hyperparameters and formulas are Keras's (where epsilon sits included).

What a step computes is the plain loop ``for g, v: update_variable(g, v.data, slots, lr, t)``;
it runs through ``glassnet.kernels.flat_params`` (small parameters as one flat array, large
ones split over the threads, subnormal state flushed), which gives the same values faster.
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.kernels import flat_params
from glassnet.optim import schedules


def _is_params(value):
    """Whether the first argument is PyTorch style: an iterable of parameters."""
    if isinstance(value, (str, bytes, np.ndarray, Tensor, schedules.LearningRateSchedule)):
        return False
    if callable(value) or value is None:
        return False
    try:
        iter(value)
    except TypeError:
        return False
    return True


def _check(value, arg, cls, low=0.0, low_inclusive=True, high=None, high_inclusive=False):
    ok = isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
    ok = ok and (value >= low if low_inclusive else value > low)
    if ok and high is not None:
        ok = value <= high if high_inclusive else value < high
    if not ok:
        span = f"{'[' if low_inclusive else '('}{low}, " + \
            (f"{high}{']' if high_inclusive else ')'}" if high is not None else "inf)")
        raise ValueError(f"{cls}: `{arg}` must be a number in {span}. Received: {arg}={value!r}")
    return float(value)


class StepCount(int):
    """``optimizer.iterations``: the number of updates applied, an int that also answers
    TensorFlow's ``.numpy()`` (``optimizer.iterations.numpy()`` in its guides)."""

    __slots__ = ()

    def numpy(self):
        return np.int64(self)


class Optimizer:
    """Base class. Subclasses define ``slot_names``, ``update_step`` and ``get_config``, and
    ``state_decay``: the smallest factor a state array is multiplied by each step (0 when
    no state decays).

    Args:
        learning_rate: a non-negative number, a ``LearningRateSchedule``, or a callable of the
            step count. Or, PyTorch style, the parameters to optimize, with ``lr=``.
        weight_decay: decoupled decay, w -= learning_rate * weight_decay * w each step.
        clipnorm: clip each gradient to this L2 norm. global_clipnorm: clip all gradients
            together to this global norm. clipvalue: clip each element to [-v, v].
        lr, decay: Keras 2 spellings (deprecated): ``lr`` is the learning rate; ``decay``
            divides it by (1 + decay * iterations).
    """

    default_learning_rate = 0.001
    slot_names = ()
    scratch_buffers = 1
    # True when update_step treats every element on its own (all built-in optimizers): the
    # kernels may then update a large parameter in slices split over the threads.
    elementwise = False
    state_decay = 0.0
    # A slot kept as value / scale internally (for fewer passes); exported unscaled.
    slot_scales: dict = {}

    @property
    def iterations(self):
        return StepCount(self._iterations)

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

    def __init__(self, learning_rate=None, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None, **kwargs):
        cls = type(self).__name__
        params = None
        if _is_params(learning_rate):
            params, learning_rate = learning_rate, None
        if "lr" in kwargs:
            if params is None:
                warnings.warn(f"{cls}: `lr` is deprecated; use `learning_rate`",
                              DeprecationWarning, stacklevel=3)
            learning_rate = kwargs.pop("lr")
        self.decay = 0.0
        if "decay" in kwargs:
            warnings.warn(f"{cls}: `decay` is deprecated; use a LearningRateSchedule such as "
                          f"InverseTimeDecay", DeprecationWarning, stacklevel=3)
            self.decay = _check(kwargs.pop("decay"), "decay", cls)
        if kwargs:
            raise TypeError(f"{cls}: unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
        if learning_rate is None:
            learning_rate = self.default_learning_rate
        self._learning_rate = self._validate_learning_rate(learning_rate)
        self.weight_decay = None if weight_decay is None else _check(weight_decay,
                                                                     "weight_decay", cls)
        if clipnorm is not None and global_clipnorm is not None:
            raise ValueError(f"{cls}: at most one of `clipnorm` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, "
                             f"global_clipnorm={global_clipnorm}")
        self.clipnorm = None if clipnorm is None else _check(clipnorm, "clipnorm", cls, 0, False)
        self.global_clipnorm = None if global_clipnorm is None else _check(
            global_clipnorm, "global_clipnorm", cls, 0, False)
        self.clipvalue = None if clipvalue is None else _check(clipvalue, "clipvalue", cls, 0,
                                                               False)
        self.name = name or cls.lower()
        self.iterations = 0
        self._variables = []
        self._slots = {}
        self._pending_state = None
        self._updates = flat_params.Updater(self)
        self.params = None if params is None else list(params)
        if self.params is not None:
            for p in self.params:
                if not isinstance(p, Tensor):
                    raise TypeError(f"{cls}: the first argument is `learning_rate` (a number, "
                                    f"a schedule or a callable) or the parameters to optimize "
                                    f"(tensors). Received: an iterable holding "
                                    f"{type(p).__name__}")

    # -- learning rate --------------------------------------------------------------------

    def _validate_learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or callable(value):
            return value
        cls = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{cls}: `learning_rate` must be a non-negative number, a "
                            f"LearningRateSchedule or a callable of the step count. "
                            f"Received: learning_rate={value!r} of type {type(value).__name__}")
        return _check(value, "learning_rate", cls, 0)  # 0 is allowed: a frozen step

    @property
    def learning_rate(self) -> float:
        """The learning rate the next step will use (schedule and legacy decay applied)."""
        return self._current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        if callable(self._learning_rate):
            raise TypeError(f"{type(self).__name__}: the learning rate is a schedule; it "
                            f"cannot be set to a number")
        self._learning_rate = self._validate_learning_rate(value)

    lr = learning_rate

    def _current_lr(self):
        lr = self._learning_rate
        if callable(lr):
            lr = float(lr(self.iterations))
        if self.decay:
            lr = lr / (1.0 + self.decay * self.iterations)
        return lr

    # -- applying updates -----------------------------------------------------------------

    def apply_gradients(self, grads_and_vars):
        """Update each variable with its gradient (Keras): ``zip(grads, variables)``.

        Gradients may be arrays or Tensors (what ``GradientTape.gradient`` returns); a None
        gradient (a variable the loss does not depend on) is skipped with a warning, as
        Keras does, and no gradient at all is an error."""
        grads, variables = [], []
        for g, v in grads_and_vars:
            if not isinstance(v, Tensor):
                raise TypeError(f"{type(self).__name__}.apply_gradients: each variable must be "
                                f"a Variable (a layer weight or a tf.Variable). Received: "
                                f"{type(v).__name__}")
            grads.append(g)
            variables.append(v)
        missing = [getattr(v, "name", None) for g, v in zip(grads, variables) if g is None]
        if missing and len(missing) < len(variables):
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          f"loss. If using `model.compile()`, did you forget to provide a "
                          f"`loss` argument?", UserWarning, stacklevel=2)
        self.apply(grads, variables)

    def apply(self, grads, variables):
        pairs = [(self._array(g), v) for g, v in zip(grads, variables) if g is not None]
        if not pairs:
            raise ValueError(f"{type(self).__name__}: no gradients provided for any variable")
        self._apply(pairs)

    def step(self):
        """Update the parameters given at construction from their ``.grad`` (PyTorch)."""
        if self.params is None:
            raise ValueError(
                f"{type(self).__name__} was created without parameters: pass them first, "
                f"e.g. {type(self).__name__}(model.parameters(), lr=1e-3), or use "
                f"apply_gradients(zip(grads, variables))")
        pairs = [(p.grad, p) for p in self.params if p.grad is not None]
        if pairs:
            self._apply(pairs)

    def zero_grad(self, set_to_none=True):
        """Forget the gradients of the parameters given at construction."""
        for p in self.params or ():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad[...] = 0

    @staticmethod
    def _array(g):
        return g.data if isinstance(g, Tensor) else backend.asarray(g)

    def _apply(self, pairs):
        for g, v in pairs:
            if g.shape != v.data.shape:
                raise ValueError(
                    f"{type(self).__name__}: gradient of shape {g.shape} for variable "
                    f"'{getattr(v, 'name', None)}' of shape {v.data.shape}")
            if id(v) not in self._slots:
                self._build_slots(v)
        grads = self._clip([g for g, _ in pairs])
        lr = self._current_lr()
        t = self.iterations + 1
        self.before_update(t)
        self._updates.apply(grads, [v for _, v in pairs], lr, t)
        self.iterations = t

    def update_variable(self, g, w, slots, lr, t):
        """One variable's update in place: decoupled weight decay, then ``update_step``."""
        if self.weight_decay:
            w *= 1.0 - lr * self.weight_decay
        self.update_step(g, w, slots, lr, t)

    def slots_of(self, variable):
        """``variable``'s state arrays by name (scratch buffers included)."""
        return self._slots[id(variable)]

    def state_variables(self):
        """The variables that have state, in the order their state was created."""
        return list(self._variables)

    def _clip(self, grads):
        if grads and backend.on_device(grads[0]):
            return self._clip_on_device(grads)
        if self.clipnorm:
            grads = [g * (self.clipnorm / max(float(np.linalg.norm(g)), self.clipnorm))
                     for g in grads]
        elif self.global_clipnorm:
            norm = float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads)))
            scale = self.global_clipnorm / max(norm, self.global_clipnorm)
            grads = [g * scale for g in grads] if scale != 1.0 else grads
        if self.clipvalue:
            grads = [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _clip_on_device(self, grads):
        """The clipping above with the norms kept on the GPU (no copy to the host)."""
        xp = backend.get_array_module(grads[0])
        if self.clipnorm:
            grads = [g * (self.clipnorm / xp.maximum(xp.linalg.norm(g), self.clipnorm))
                     for g in grads]
        elif self.global_clipnorm:
            norm = xp.sqrt(sum(xp.vdot(g, g) for g in grads))
            grads = [g * (self.global_clipnorm / xp.maximum(norm, self.global_clipnorm))
                     for g in grads]
        if self.clipvalue:
            grads = [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return [g.astype(grads[0].dtype, copy=False) for g in grads]

    def _build_slots(self, variable):
        w = variable.data
        slots = {name: self.initial_slot(name, w) for name in self.slot_names}
        index = len(self._variables)
        if self._pending_state is not None:
            for name in self.slot_names:
                key = f"{index}/{name}"
                if key in self._pending_state:
                    value = self._pending_state[key] / self.slot_scales.get(name, 1)
                    slots[name][...] = backend.to_device(value, backend.device_of(w))
        for i in range(self.scratch_buffers):
            slots[f"_scratch{i}"] = np.empty_like(w)
        self._variables.append(variable)
        self._slots[id(variable)] = slots

    def share_slots(self, variable, slots):
        """Register ``slots`` (views into a group's arrays) as ``variable``'s state, keeping
        the values it already had."""
        old = self._slots.get(id(variable))
        for name in self.slot_names:
            if old is not None:
                slots[name][...] = old[name]
        if old is None:
            self._build_slots(variable)
            old = self._slots[id(variable)]
            for name in self.slot_names:
                slots[name][...] = old[name]
        old.update({name: slots[name] for name in self.slot_names})

    def initial_slot(self, name, w):
        """The starting value of state ``name`` for a weight ``w`` (zeros by default)."""
        return np.zeros_like(w)

    def before_update(self, t):
        """Per-step work shared by all variables (Nadam's momentum schedule)."""

    def update_step(self, g, w, slots, lr, t):
        raise NotImplementedError

    def fused_kind(self):
        """The name of the GPU kernel that computes this optimizer's ``update_step`` in one
        pass (``glassnet.kernels.cuda.optimizers``), or None."""
        return None

    # -- state and config -----------------------------------------------------------------

    @property
    def variables(self):
        """The optimizer's state arrays: iterations, then each variable's slots in order."""
        out = [np.asarray(self.iterations)]
        for v in self._variables:
            out.extend(self._exported(v, name) for name in self.slot_names)
        return out

    def _exported(self, variable, name):
        state = backend.to_host(self._slots[id(variable)][name])  # state leaves the GPU here
        scale = self.slot_scales.get(name, 1)
        # float64 makes the scale round trip (export, then load and divide) exact.
        return state.astype(np.float64) * scale if scale != 1 else state.copy()

    def state_dict(self):
        """Plain arrays: ``iterations`` and ``"{variable index}/{slot}"``."""
        state = {"iterations": np.asarray(self.iterations)}
        if self._pending_state:  # loaded, not yet applied to variables (no step since)
            state.update({k: v for k, v in self._pending_state.items() if "/" in k})
        for i, v in enumerate(self._variables):
            for name in self.slot_names:
                state[f"{i}/{name}"] = self._exported(v, name)
        state.update(self.extra_state())
        return state

    def load_state_dict(self, state):
        """Restore ``state_dict()``; slots of variables not seen yet are filled when they are."""
        self.iterations = int(np.asarray(state["iterations"]))
        self._pending_state = dict(state)
        for i, v in enumerate(self._variables):
            for name in self.slot_names:
                scale = self.slot_scales.get(name, 1)
                slot = self._slots[id(v)][name]
                slot[...] = backend.to_device(state[f"{i}/{name}"] / scale,
                                              backend.device_of(slot))
        self.load_extra_state(state)

    def to(self, device):
        """Move the optimizer's state to ``device`` (``model.to`` calls this); returns self."""
        for slots in self._slots.values():
            for name, array in slots.items():
                slots[name] = backend.to_device(array, device)  # views no more: regrouped
        self._updates.group = None
        return self

    def extra_state(self):
        return {}

    def load_extra_state(self, state):
        pass

    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self._learning_rate!r})"
