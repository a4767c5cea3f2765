"""``Optimizer``: the update rule applied to parameters in place, two ways of driving it.

Keras style: ``opt = Adam(learning_rate=1e-3)``, then ``opt.apply_gradients(zip(grads,
params))`` (``fit`` does this). PyTorch style: ``opt = Adam(model.parameters(), lr=1e-3)``,
then ``loss.backward(); opt.step(); opt.zero_grad()``. Both run the same ``update_step``.

Each step: clip the gradients (clipnorm per variable, else global_clipnorm; then clipvalue),
apply decoupled weight decay (w -= lr * weight_decay * w), then the algorithm's update.
State arrays are created once per parameter and updated in place: a step allocates nothing
that it can reuse. Hyperparameters and formulas are Keras's (where epsilon sits included).

Denormals: a moving average whose gradient is exactly zero (a pixel that is always blank in
most batches, a dead unit) decays geometrically into the subnormal range, where arithmetic is
tens of times slower on x86 (measured: 420 us instead of 8 us for one pass over 100k float32).
NumPy cannot set the CPU's flush-to-zero mode, so every few steps the optimizer sets state
values more than 8 orders of magnitude below the smallest normal number to exactly zero. The
period is short enough that no value can decay from that bound into the subnormals in between,
and the effect on any update is below 1e-27 of the learning rate.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from glassnet import parallel
from glassnet.autograd.tensor import Tensor
from glassnet.optim import schedules
from glassnet.optim.flat_group import FlatGroup


def _is_params(value):
    if isinstance(value, (int, float, np.number, schedules.LearningRateSchedule)):
        return False
    if callable(value) or value is None:
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


FLUSH_MARGIN = 1e8  # flush state values below tiny * FLUSH_MARGIN
# Parameters up to this size are updated together in one flat group: for small arrays the
# cost of an update is the Python and NumPy call overhead (about ten calls per parameter),
# not the arithmetic. Larger ones are updated in place, one by one.
SMALL_PARAMETER = 1 << 14
MAX_FLUSH_PERIOD = 64


def flush_period(decay):
    """Steps a value ``decay``-ing geometrically needs to fall by FLUSH_MARGIN (capped)."""
    if not 0 < decay < 1:
        return 0
    return max(1, min(MAX_FLUSH_PERIOD, int(math.log(FLUSH_MARGIN) / -math.log(decay))))


class Optimizer:
    """Base class. Subclasses define ``slot_names``, ``update_step`` and ``get_config``, and
    ``state_decay``: the smallest factor a state array is multiplied by each step (0 when
    no state decays).

    Args:
        learning_rate: a positive number, a ``LearningRateSchedule``, or a callable of the
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
    # True when update_step treats every element on its own (all built-in optimizers): a
    # large parameter is then updated in slices split over the threads.
    elementwise = False
    state_decay = 0.0
    # A slot kept as value / scale internally (for fewer passes); exported unscaled.
    slot_scales: dict = {}

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
        self._group = None
        self.params = None if params is None else list(params)
        if self.params is not None:
            for p in self.params:
                if not isinstance(p, Tensor):
                    raise TypeError(f"{cls}: expected parameters (tensors); received "
                                    f"{type(p).__name__}")

    # -- learning rate --------------------------------------------------------------------

    def _validate_learning_rate(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or callable(value):
            return value
        return _check(value, "learning_rate", type(self).__name__, 0, False)

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
        """Update each variable with its gradient (Keras): ``zip(grads, variables)``."""
        grads, variables = [], []
        for g, v in grads_and_vars:
            grads.append(g)
            variables.append(v)
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
        return g.data if isinstance(g, Tensor) else np.asarray(g)

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
        group = self._small_group(pairs)
        for g, (_, v) in zip(grads, pairs):
            if group is not None and id(v) in group.members:
                group.gather(v, g)
                continue
            w = v.data
            if self.weight_decay:
                w *= 1.0 - lr * self.weight_decay
            if g.dtype != w.dtype:
                g = g.astype(w.dtype)
            self._update(g, w, self._slots[id(v)], lr, t)
        if group is not None:
            if self.weight_decay:
                group.w *= 1.0 - lr * self.weight_decay
            self.update_step(group.g, group.w, group.slots, lr, t)
            group.scatter()
        self.iterations = t
        period = flush_period(self.state_decay)
        if period and t % period == 0:
            self._flush_subnormal_state()

    def _update(self, g, w, slots, lr, t):
        """update_step, split over the threads by rows for a large parameter."""
        if not (self.elementwise and w.flags.c_contiguous and g.flags.c_contiguous
                and all(s.flags.c_contiguous for s in slots.values())):
            self.update_step(g, w, slots, lr, t)
            return
        g1, w1 = g.reshape(-1), w.reshape(-1)
        flat = {name: s.reshape(-1) for name, s in slots.items()}
        parallel.over_batch(lambda lo, hi: self.update_step(
            g1[lo:hi], w1[lo:hi], {name: s[lo:hi] for name, s in flat.items()}, lr, t),
            len(w1), 2 * w1.size)

    def _flush_subnormal_state(self):
        for slots in self._slots.values():
            for name in self.slot_names:
                state = slots[name]
                state[np.abs(state) < np.finfo(state.dtype).tiny * FLUSH_MARGIN] = 0

    def _small_group(self, pairs):
        """The flat group of this step's small parameters (built once for a given set)."""
        small = [v for _, v in pairs if v.data.size <= SMALL_PARAMETER]
        if len(small) < 2:
            return None
        key = tuple(id(v) for v in small)
        if self._group is None or self._group.key != key:
            if len({v.data.dtype for v in small}) != 1:
                return None
            self._group = FlatGroup(self, small, key)
        return self._group

    def _clip(self, grads):
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

    def _build_slots(self, variable):
        w = variable.data
        slots = {name: self.initial_slot(name, w) for name in self.slot_names}
        index = len(self._variables)
        if self._pending_state is not None:
            for name in self.slot_names:
                key = f"{index}/{name}"
                if key in self._pending_state:
                    slots[name][...] = self._pending_state[key] / self.slot_scales.get(name, 1)
        for i in range(self.scratch_buffers):
            slots[f"_scratch{i}"] = np.empty_like(w)
        self._variables.append(variable)
        self._slots[id(variable)] = slots

    def _slot_views(self, variable, slots):
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

    # -- state and config -----------------------------------------------------------------

    @property
    def variables(self):
        """The optimizer's state arrays: iterations, then each variable's slots in order."""
        out = [np.asarray(self.iterations)]
        for v in self._variables:
            out.extend(self._exported(v, name) for name in self.slot_names)
        return out

    def _exported(self, variable, name):
        state = self._slots[id(variable)][name]
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
                self._slots[id(v)][name][...] = state[f"{i}/{name}"] / scale
        self.load_extra_state(state)

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
