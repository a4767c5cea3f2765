"""Learning-rate schedules: callables of the optimizer's step count (Keras's
``keras.optimizers.schedules``)."""

from __future__ import annotations

import bisect
import math

from glassnet.naming import lookup


class LearningRateSchedule:
    """Base class: ``schedule(step) -> learning rate``."""

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _positive(value, arg, cls):
    if not value > 0:
        raise ValueError(f"{cls}: {arg} must be positive. Received: {arg}={value!r}")
    return value


class _StepDecay(LearningRateSchedule):
    """A decay driven by step / decay_steps (floored with ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name=None):
        cls = type(self).__name__
        self.initial_learning_rate = _positive(initial_learning_rate, "initial_learning_rate",
                                               cls)
        self.decay_steps = _positive(decay_steps, "decay_steps", cls)
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def _progress(self, step):
        p = step / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class ExponentialDecay(_StepDecay):
    """lr * decay_rate ** (step / decay_steps); with ``staircase`` the exponent is floored."""

    def __call__(self, step):
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)


class InverseTimeDecay(_StepDecay):
    """lr / (1 + decay_rate * step / decay_steps); ``staircase`` floors step / decay_steps."""

    def __call__(self, step):
        return self.initial_learning_rate / (1 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[1] while step <= boundaries[1], ...,
    values[-1] after the last boundary."""

    def __init__(self, boundaries, values, name=None):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: expected len(values) == "
                             f"len(boundaries) + 1. Received: {len(boundaries)} boundaries and "
                             f"{len(values)} values")
        if list(boundaries) != sorted(boundaries):
            raise ValueError("PiecewiseConstantDecay: boundaries must be increasing")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step):
        return self.values[bisect.bisect_left(self.boundaries, step)]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps``, then lr * ((1 - alpha) * (1 + cos(pi * s / decay_steps)) / 2 + alpha)
    with s the steps since warmup, capped at decay_steps."""

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None,
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = _positive(decay_steps, "decay_steps", "CosineDecay")
        self.alpha, self.name = alpha, name
        self.warmup_target, self.warmup_steps = warmup_target, warmup_steps

    def __call__(self, step):
        peak = self.initial_learning_rate if self.warmup_target is None else self.warmup_target
        if self.warmup_steps and step < self.warmup_steps:
            return self.initial_learning_rate + (peak - self.initial_learning_rate) * \
                step / self.warmup_steps
        s = min(step - self.warmup_steps, self.decay_steps)
        cosine = 0.5 * (1 + math.cos(math.pi * s / self.decay_steps))
        return peak * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


SCHEDULES = {c.__name__.lower(): c for c in (ExponentialDecay, InverseTimeDecay,
                                              PiecewiseConstantDecay, CosineDecay)}


def serialize(schedule):
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config):
    cls = lookup(SCHEDULES, config["class_name"], "learning-rate schedule")
    return cls.from_config(config["config"])
