"""The Adam family: Adam (and AMSGrad), AdamW, Adamax, Nadam."""

from __future__ import annotations

import math

import numpy as np

from glassnet.optim.optimizer import Optimizer, _check


class _AdamBase(Optimizer):
    elementwise = True

    def __init__(self, learning_rate, beta_1, beta_2, epsilon, **kwargs):
        super().__init__(learning_rate, **kwargs)
        cls = type(self).__name__
        self.beta_1 = _check(beta_1, "beta_1", cls, 0, True, 1, False)
        self.beta_2 = _check(beta_2, "beta_2", cls, 0, True, 1, False)
        self.epsilon = _check(epsilon, "epsilon", cls)
        self.state_decay = min(self.beta_1, self.beta_2)

    def _update_moments(self, g, m, v, tmp):
        """m += (g - m) * (1 - beta_1);  v += (g**2 - v) * (1 - beta_2), in place."""
        np.subtract(g, m, out=tmp)
        tmp *= 1 - self.beta_1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1 - self.beta_2
        v += tmp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Adam(_AdamBase):
    """m, v: moving averages of g and g**2;
    w -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + eps).

    Keras's placement of eps (added to sqrt(v) before bias correction). With ``amsgrad``,
    v is replaced by its running maximum.

    Stored scaled, m' = m / (1 - beta_1) and v' = v / (1 - beta_2), the averages update as
    m' = beta_1 m' + g and v' = beta_2 v' + g**2, and the constants fold into the step size
    and eps: 10 passes over memory instead of 12 (the update is memory-bound). ``state_dict``
    and ``variables`` give m and v in Keras's scale.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.amsgrad = bool(amsgrad)
        self.slot_names = ("momentum", "velocity") + (("velocity_hat",) if amsgrad else ())
        self.slot_scales = {"momentum": 1 - self.beta_1, "velocity": 1 - self.beta_2,
                            "velocity_hat": 1 - self.beta_2}

    def update_step(self, g, w, slots, lr, t):
        m, v, tmp = slots["momentum"], slots["velocity"], slots["_scratch0"]
        b1, b2 = self.beta_1, self.beta_2
        root = math.sqrt(1 - b2)
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * (1 - b1) / root
        m *= b1
        m += g
        v *= b2
        np.multiply(g, g, out=tmp)
        v += tmp
        if self.amsgrad:
            v = np.maximum(slots["velocity_hat"], v, out=slots["velocity_hat"])
        np.sqrt(v, out=tmp)
        tmp += self.epsilon / root
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        w -= tmp

    def fused_kind(self):
        same = type(self).update_step is Adam.update_step
        return "adam" if same and not self.amsgrad else None

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.004): w -= lr * weight_decay * w, then Adam."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)


class Adamax(_AdamBase):
    """Adam with the infinity norm: m as Adam, u = max(beta_2 * u, |g|);
    w -= lr / (1 - beta_1**t) * m / (u + eps)."""

    slot_names = ("momentum", "norm")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)

    def update_step(self, g, w, slots, lr, t):
        m, u, tmp = slots["momentum"], slots["norm"], slots["_scratch0"]
        np.subtract(g, m, out=tmp)
        tmp *= 1 - self.beta_1
        m += tmp
        np.abs(g, out=tmp)
        u *= self.beta_2
        np.maximum(u, tmp, out=u)
        np.add(u, self.epsilon, out=tmp)
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - self.beta_1 ** t)
        w -= tmp


class Nadam(_AdamBase):
    """Adam with Nesterov momentum (Dozat 2015), Keras's schedule
    mu_t = beta_1 * (1 - 0.5 * 0.96**t):
    m_hat = mu_{t+1} * m / (1 - prod mu_{1..t+1}) + (1 - mu_t) * g / (1 - prod mu_{1..t}),
    w -= lr * m_hat / (sqrt(v / (1 - beta_2**t)) + eps)."""

    slot_names = ("momentum", "velocity")
    scratch_buffers = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **kwargs)
        self.u_product = 1.0

    def before_update(self, t):
        u_t = self.beta_1 * (1 - 0.5 * 0.96 ** t)
        u_next = self.beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        self.u_product *= u_t
        self._coef_m = u_next / (1 - self.u_product * u_next)
        self._coef_g = (1 - u_t) / (1 - self.u_product)
        self._bias_2 = 1 - self.beta_2 ** t

    def update_step(self, g, w, slots, lr, t):
        m, v = slots["momentum"], slots["velocity"]
        denom, tmp = slots["_scratch0"], slots["_scratch1"]
        self._update_moments(g, m, v, tmp)
        np.divide(v, self._bias_2, out=denom)
        np.sqrt(denom, out=denom)
        denom += self.epsilon
        np.divide(m, denom, out=tmp)
        tmp *= lr * self._coef_m
        w -= tmp
        np.divide(g, denom, out=tmp)
        tmp *= lr * self._coef_g
        w -= tmp

    def extra_state(self):
        return {"u_product": np.asarray(self.u_product)}

    def load_extra_state(self, state):
        self.u_product = float(np.asarray(state.get("u_product", 1.0)))
