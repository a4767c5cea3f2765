"""Per-coordinate adaptive learning rates: Adagrad, RMSprop, Adadelta."""

from __future__ import annotations

import numpy as np

from glassnet.optim.optimizer import Optimizer, _check


class Adagrad(Optimizer):
    """acc += g**2;  w -= lr * g / sqrt(acc + eps) (Keras: eps inside the root)."""

    elementwise = True

    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = _check(initial_accumulator_value,
                                                "initial_accumulator_value", "Adagrad")
        self.epsilon = _check(epsilon, "epsilon", "Adagrad")

    def initial_slot(self, name, w):
        return np.full_like(w, self.initial_accumulator_value)

    def update_step(self, g, w, slots, lr, t):
        acc, tmp = slots["accumulator"], slots["_scratch0"]
        np.multiply(g, g, out=tmp)
        acc += tmp
        np.add(acc, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        w -= tmp

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon,
                "initial_accumulator_value": self.initial_accumulator_value}


class RMSprop(Optimizer):
    """v = rho * v + (1 - rho) * g**2;  step = lr * g / sqrt(v + eps) (centered: v - mg**2,
    with mg the moving mean of g);  momentum: m = momentum * m + step, w -= m; else w -= step."""

    elementwise = True

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check(rho, "rho", "RMSprop", 0, True, 1, False)
        self.momentum = _check(momentum, "momentum", "RMSprop", 0, True, 1, True)
        self.epsilon = _check(epsilon, "epsilon", "RMSprop")
        self.centered = bool(centered)
        self.slot_names = ("velocity",) + (("momentum",) if self.momentum else ()) + \
            (("average_gradient",) if self.centered else ())
        self.state_decay = min(self.rho, self.momentum) if self.momentum else self.rho

    def update_step(self, g, w, slots, lr, t):
        rho, v, tmp = self.rho, slots["velocity"], slots["_scratch0"]
        np.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        v *= rho
        v += tmp
        if self.centered:
            mg = slots["average_gradient"]
            np.multiply(g, 1 - rho, out=tmp)
            mg *= rho
            mg += tmp
            np.multiply(mg, mg, out=tmp)
            np.subtract(v, tmp, out=tmp)
            tmp += self.epsilon
        else:
            np.add(v, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(g, tmp, out=tmp)
        tmp *= lr
        if self.momentum:
            m = slots["momentum"]
            m *= self.momentum
            m += tmp
            w -= m
        else:
            w -= tmp

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adadelta(Optimizer):
    """acc_g = rho * acc_g + (1 - rho) * g**2;
    delta = sqrt(acc_d + eps) / sqrt(acc_g + eps) * g;
    acc_d = rho * acc_d + (1 - rho) * delta**2;  w -= lr * delta."""

    elementwise = True

    slot_names = ("accumulated_grad", "accumulated_delta")
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _check(rho, "rho", "Adadelta", 0, True, 1, False)
        self.epsilon = _check(epsilon, "epsilon", "Adadelta")
        self.state_decay = self.rho

    def update_step(self, g, w, slots, lr, t):
        rho, eps = self.rho, self.epsilon
        acc_g, acc_d = slots["accumulated_grad"], slots["accumulated_delta"]
        delta, tmp = slots["_scratch0"], slots["_scratch1"]
        np.multiply(g, g, out=tmp)
        tmp *= 1 - rho
        acc_g *= rho
        acc_g += tmp
        np.add(acc_d, eps, out=delta)
        np.sqrt(delta, out=delta)
        np.add(acc_g, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        delta /= tmp
        delta *= g
        np.multiply(delta, delta, out=tmp)
        tmp *= 1 - rho
        acc_d *= rho
        acc_d += tmp
        delta *= lr
        w -= delta

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
