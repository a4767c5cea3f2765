"""The update rule of one parameter, written out with its intermediate values.

SGD:       W_new = W - lr * dW
  momentum: m = momentum * m - lr * dW;  W_new = W + m   (Nesterov: W + momentum * m - lr * dW)
Adam (t = the step number, from 1):
  m = b1 m + (1 - b1) dW;   v = b2 v + (1 - b2) dW**2
  m_hat = m / (1 - b1**t);  v_hat = v / (1 - b2**t)
  step = lr * sqrt(1 - b2**t) / (1 - b1**t) * m / (sqrt(v) + eps)    (Keras's eps placement,
         = lr * m_hat / (sqrt(v_hat) + eps / sqrt(1 - b2**t)));   W_new = W - step

Other optimizers (and clipping) are reported by their result only: W_new is what the
optimizer itself wrote, known once the step is applied.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.optim import SGD, Adam


def _prior(opt, param, slot):
    """The optimizer's state for ``param`` before this step, in Keras's scale (0 if none)."""
    try:
        slots = opt.slots_of(param)
    except KeyError:
        return np.zeros_like(param.data)
    scale = getattr(opt, "slot_scales", {}).get(slot, 1)
    return np.array(slots[slot], dtype=param.data.dtype) * scale


def _plain(opt):
    return not (opt.clipnorm or opt.clipvalue or opt.global_clipnorm or opt.weight_decay)


def textbook_update(opt, param, grad, layer_name, param_name) -> dict:
    """The dict of one parameter's update: rule, lr, W, dW and the rule's values."""
    lr = float(opt.learning_rate)
    w = param.data.copy()
    record = {"layer": layer_name, "param": param_name, "optimizer": type(opt).__name__,
              "lr": lr, "W": w, "dW": np.array(grad), "rule": None, "W_new": None}
    if type(opt) is SGD and _plain(opt):
        if not opt.momentum:
            record["rule"] = "W_new = W - lr * dW"
            record["W_new"] = w - lr * grad
        else:
            m = opt.momentum * _prior(opt, param, "momentum") - lr * grad
            record.update(momentum=opt.momentum, m=m)
            if opt.nesterov:
                record["rule"] = "m = momentum * m - lr * dW; W_new = W + momentum * m - lr * dW"
                record["W_new"] = w + opt.momentum * m - lr * grad
            else:
                record["rule"] = "m = momentum * m - lr * dW; W_new = W + m"
                record["W_new"] = w + m
    elif type(opt) is Adam and _plain(opt) and not opt.amsgrad:
        b1, b2, eps = opt.beta_1, opt.beta_2, opt.epsilon
        t = int(opt.iterations) + 1
        m = b1 * _prior(opt, param, "momentum") + (1 - b1) * grad
        v = b2 * _prior(opt, param, "velocity") + (1 - b2) * grad * grad
        step = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        record.update(t=t, beta_1=b1, beta_2=b2, epsilon=eps, m=m, v=v,
                      m_hat=m / (1 - b1 ** t), v_hat=v / (1 - b2 ** t), step=step,
                      rule="m = b1 m + (1-b1) dW; v = b2 v + (1-b2) dW^2; "
                           "m_hat = m / (1-b1^t); v_hat = v / (1-b2^t); "
                           "step = lr sqrt(1-b2^t)/(1-b1^t) m / (sqrt(v) + eps); "
                           "W_new = W - step")
        record["W_new"] = w - step
    else:
        record["rule"] = f"{type(opt).__name__}'s own update (see glassnet.optim)"
    if param_name != "W":  # the rule in the parameter's own letter: b_new = b - lr * db
        record["rule"] = record["rule"].replace("W", param_name)
    return record
