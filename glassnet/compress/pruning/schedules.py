"""Pruning schedules: at which training steps to prune, and to what sparsity (the names,
arguments, formulas and errors of ``tfmot.sparsity.keras``).

A schedule is called with the pruning step and returns ``(should_prune, sparsity)``:

    in_range     = begin_step <= step and (step <= end_step or end_step < 0)
    should_prune = in_range and (step - begin_step) % frequency == 0

``ConstantSparsity`` always answers ``target_sparsity``; ``PolynomialDecay`` ramps from
``initial_sparsity`` to ``final_sparsity`` (Zhu & Gupta, 2017):

    p        = clip((step - begin_step) / (end_step - begin_step), 0, 1)
    sparsity = final_sparsity + (initial_sparsity - final_sparsity) * (1 - p) ** power

>>> schedule = PolynomialDecay(0.0, 0.8, begin_step=0, end_step=100, frequency=10)
>>> schedule(50)
(True, 0.7)
>>> schedule(55)[0]
False
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

__all__ = ["ConstantSparsity", "PolynomialDecay", "PruningSchedule", "deserialize"]


def _integer(value, name, schedule):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{schedule}: `{name}` must be an integer. Received: "
                        f"{name}={value!r}")
    return int(value)


def _number(value, name, schedule):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{schedule}: `{name}` must be a number. Received: "
                        f"{name}={value!r}")
    return float(value)


class PruningSchedule:
    """Base class: ``schedule(step) -> (should_prune, sparsity)``; subclasses define
    ``__call__`` and ``get_config``."""

    def __call__(self, step):
        raise NotImplementedError

    @staticmethod
    def _should_prune_in_step(step, begin_step, end_step, frequency):
        in_range = step >= begin_step and (step <= end_step or end_step < 0)
        return bool(in_range and (step - begin_step) % frequency == 0)

    @staticmethod
    def _validate_step(begin_step, end_step, frequency, allow_negative_1):
        if begin_step < 0:
            raise ValueError(f"begin_step should be >= 0. Received: begin_step={begin_step}")
        # A decaying schedule needs an end to decay towards; only a constant one may run on.
        if not allow_negative_1 and end_step == -1:
            raise ValueError("end_step cannot be -1.")
        if end_step != -1:
            if end_step < 0:
                raise ValueError(f"end_step can be -1 or >= 0. Received: end_step={end_step}")
            if end_step < begin_step:
                raise ValueError(f"begin_step should be <= end_step if end_step != -1. "
                                 f"Received: begin_step={begin_step}, end_step={end_step}")
        if frequency <= 0:
            raise ValueError(f"frequency should be > 0. Received: frequency={frequency}")

    @staticmethod
    def _validate_sparsity(sparsity, variable_name):
        if not 0.0 <= sparsity < 1.0:
            raise ValueError(f"{variable_name} must be in range [0,1). Received: "
                             f"{variable_name}={sparsity}")

    @staticmethod
    def _step(step):
        if isinstance(step, np.ndarray) or hasattr(step, "numpy"):
            step = np.asarray(step.numpy() if hasattr(step, "numpy") else step).item()
        if isinstance(step, bool) or not isinstance(step, numbers.Integral):
            raise TypeError(f"a pruning schedule takes an integer step. Received: "
                            f"step={step!r}")
        return int(step)

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        """The schedule of ``get_config()``'s output, or of its inner ``config`` dict."""
        if not isinstance(config, dict):
            raise TypeError(f"{cls.__name__}.from_config: expected a dict. Received: "
                            f"{type(config).__name__}")
        if "class_name" in config:
            if config["class_name"] != cls.__name__:
                raise ValueError(f"{cls.__name__}.from_config: the config describes a "
                                 f"{config['class_name']!r}")
            config = config.get("config", {})
        return cls(**config)

    def __eq__(self, other):
        return type(self) is type(other) and self.get_config() == other.get_config()

    def __hash__(self):
        return hash(repr(self.get_config()))

    def __repr__(self):
        arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config()["config"].items())
        return f"{type(self).__name__}({arguments})"


class ConstantSparsity(PruningSchedule):
    """Prune to ``target_sparsity`` every ``frequency`` steps from ``begin_step`` to
    ``end_step`` (-1: for ever).

    >>> ConstantSparsity(0.5, begin_step=0, frequency=100)(200)
    (True, 0.5)
    """

    def __init__(self, target_sparsity, begin_step, end_step=-1, frequency=100):
        name = "ConstantSparsity"
        self.target_sparsity = _number(target_sparsity, "target_sparsity", name)
        self.begin_step = _integer(begin_step, "begin_step", name)
        self.end_step = _integer(end_step, "end_step", name)
        self.frequency = _integer(frequency, "frequency", name)
        self._validate_step(self.begin_step, self.end_step, self.frequency, True)
        self._validate_sparsity(self.target_sparsity, "target_sparsity")

    def __call__(self, step):
        step = self._step(step)
        return (self._should_prune_in_step(step, self.begin_step, self.end_step,
                                           self.frequency),
                round(float(np.float32(self.target_sparsity)), 7))

    def get_config(self):
        return {"class_name": type(self).__name__,
                "config": {"target_sparsity": self.target_sparsity,
                           "begin_step": self.begin_step, "end_step": self.end_step,
                           "frequency": self.frequency}}


class PolynomialDecay(PruningSchedule):
    """Sparsity rising from ``initial_sparsity`` at ``begin_step`` to ``final_sparsity`` at
    ``end_step`` along ``final + (initial - final) * (1 - p) ** power``; pruning every
    ``frequency`` steps in between (and at ``end_step`` when it falls on the grid).

    >>> PolynomialDecay(0.5, 0.9, begin_step=100, end_step=200)(200)
    (True, 0.9)
    """

    def __init__(self, initial_sparsity, final_sparsity, begin_step, end_step, power=3,
                 frequency=100):
        name = "PolynomialDecay"
        self.initial_sparsity = _number(initial_sparsity, "initial_sparsity", name)
        self.final_sparsity = _number(final_sparsity, "final_sparsity", name)
        self.power = _number(power, "power", name)
        self.begin_step = _integer(begin_step, "begin_step", name)
        self.end_step = _integer(end_step, "end_step", name)
        self.frequency = _integer(frequency, "frequency", name)
        self._validate_step(self.begin_step, self.end_step, self.frequency, False)
        self._validate_sparsity(self.initial_sparsity, "initial_sparsity")
        self._validate_sparsity(self.final_sparsity, "final_sparsity")
        span = self.end_step - self.begin_step
        if span % self.frequency:
            # tfmot's rule, kept; but a model that never reaches final_sparsity is a surprise
            last = self.begin_step + span // self.frequency * self.frequency
            warnings.warn(
                f"PolynomialDecay: end_step - begin_step = {span} is not a multiple of "
                f"frequency={self.frequency}, so the masks are last updated at step {last}, "
                f"at sparsity {self(last)[1]} instead of final_sparsity="
                f"{self.final_sparsity}; make end_step = begin_step + k * frequency",
                stacklevel=2)

    def __call__(self, step):
        step = self._step(step)
        span = self.end_step - self.begin_step
        # float32 arithmetic, as tfmot computes it; an empty span jumps straight to the end
        p = np.float32(1.0) if span == 0 else \
            np.float32(step - self.begin_step) / np.float32(span)
        p = min(np.float32(1.0), max(np.float32(0.0), p))
        sparsity = (np.float32(self.initial_sparsity - self.final_sparsity)
                    * np.float32(1.0 - p) ** np.float32(self.power)
                    + np.float32(self.final_sparsity))
        # float32 as tfmot's tensor; rounded to the 7 digits a float32 holds, so 0.7 prints
        # as 0.7
        return (self._should_prune_in_step(step, self.begin_step, self.end_step,
                                           self.frequency),
                round(float(np.float32(sparsity)), 7))

    def get_config(self):
        return {"class_name": type(self).__name__,
                "config": {"initial_sparsity": self.initial_sparsity,
                           "final_sparsity": self.final_sparsity, "power": self.power,
                           "begin_step": self.begin_step, "end_step": self.end_step,
                           "frequency": self.frequency}}


_SCHEDULES = {"ConstantSparsity": ConstantSparsity, "PolynomialDecay": PolynomialDecay}


def deserialize(config, custom_objects=None):
    """The schedule a ``{"class_name": ..., "config": {...}}`` dict names (the built-in two
    and ``custom_objects``; nothing is imported)."""
    if isinstance(config, PruningSchedule):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"a pruning schedule config must be a dict with 'class_name' and "
                         f"'config'. Received: {config!r}")
    table = {**_SCHEDULES, **(custom_objects or {})}
    cls = table.get(config["class_name"])
    if cls is None:
        raise ValueError(f"unknown pruning schedule {config['class_name']!r}; expected one of "
                         f"{sorted(table)} (pass custom_objects for your own)")
    return cls.from_config(config)
