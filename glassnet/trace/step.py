"""``trace``: one training step of a small Dense network, written out as the textbooks do.

Forward, for each layer l with input x (the previous layer's a):

    z = x W + b,        a = f(z)

Backward, by the chain rule, from dL/da of the last layer down:

    dL/dz = dL/da * f'(z)          (elementwise; softmax: dL/dz = dL/da J, J = diag(a) - a a^T)
    dL/dW = x^T dL/dz,   dL/db = sum over the batch of dL/dz,   dL/dx = dL/dz W^T

and dL/dx of layer l is dL/da of layer l - 1. The loss and the gradients handed to the
optimizer are the engine's own (the same graph ``fit`` builds, the fused sigmoid/softmax +
cross-entropy included), so the step applied is the step ``train_on_batch`` takes; the
chain-rule arrays are computed beside them in NumPy for reading (and checked equal in tests).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, losses, optim
from glassnet.autograd import engine
from glassnet.autograd.grad_mode import enable_grad
from glassnet.autograd.ops import matmul
from glassnet.autograd.tensor import Tensor
from glassnet.nn import activations
from glassnet.nn.layers.core import Dense
from glassnet.trace.record import Trace
from glassnet.trace.update import textbook_update
from glassnet.train.sequential import Sequential

# f'(z) in words, for the text; the numbers always come from the engine.
DERIVATIVES = {
    "linear": "1", "relu": "1 if z > 0 else 0", "sigmoid": "a * (1 - a)",
    "tanh": "1 - a**2", "softmax": "diag(a) - a a^T (per sample)",
    "log_softmax": "I - softmax(z) (per sample)", "softplus": "sigmoid(z)",
    "elu": "1 if z > 0 else a + alpha",
}
_JACOBIAN = ("softmax", "log_softmax")  # activations that mix the units of a sample


def _dense_layers(model):
    if not isinstance(model, Sequential):
        raise ValueError(f"trace: expected a Sequential model of Dense layers (a chain, so "
                         f"that each layer's input is the previous layer's output); "
                         f"received {type(model).__name__}")
    layers = [layer for layer in getattr(model, "layers", None) or []
              if type(layer).__name__ != "InputLayer"]
    if not layers:
        raise ValueError(f"trace: expected a Sequential model of Dense layers; received "
                         f"{type(model).__name__} with no layers")
    for layer in layers:
        if not isinstance(layer, Dense):
            raise ValueError(
                f"trace: only Dense layers can be traced step by step, but layer "
                f"'{layer.name}' is a {type(layer).__name__}. Trace a Sequential of Dense "
                f"layers (activations given as Dense(units, activation=...)).")
        name = activations.serialize(layer.activation)
        if name == "glu" or not isinstance(name, str) and not callable(name):
            raise ValueError(f"trace: layer '{layer.name}': activation {name!r} changes the "
                             f"shape of z and cannot be traced")
        if getattr(layer, "activity_regularizer", None) is not None:
            raise ValueError(f"trace: layer '{layer.name}' has an activity_regularizer, whose "
                             f"gradient the step-by-step trace does not write out; remove it")
    return layers


def _penalty_grad(regularizer, param):
    """dR/dW of a weight regularizer (the model's loss adds R), or None without one."""
    if regularizer is None:
        return None
    with enable_grad():
        value = regularizer(param)
    if not isinstance(value, Tensor):
        return None
    grad = engine.gradients([value], [np.ones_like(value.data)], [param])[0]
    return None if grad is None else np.asarray(grad)


def _activation_name(layer):
    name = activations.serialize(layer.activation)
    return name if isinstance(name, str) else getattr(name, "__name__", "f")


def _derivative(layer, z):
    """da/dz: (N, k) for elementwise activations, the per-sample Jacobian (N, k, k) else."""
    name = _activation_name(layer)
    with enable_grad():
        zt = Tensor(z, requires_grad=True)
        a = layer.activation(zt)
        if name not in _JACOBIAN:  # diagonal Jacobian: one product with ones gives f'(z)
            return engine.gradients([a], [np.ones_like(a.data)], [zt])[0]
    s = a.data if name == "softmax" else np.exp(a.data)  # log_softmax: J = I - softmax
    eye = np.eye(z.shape[-1], dtype=z.dtype)
    if name == "softmax":
        return s[:, :, None] * (eye - s[:, None, :])
    return eye - s[:, None, :]


def _loss_function(model, loss, x):
    if loss is not None:
        fn = losses.get(loss)
        return lambda y, y_pred: fn(y, y_pred), getattr(fn, "name", str(loss))
    if getattr(model, "_compiled_loss", None) is not None:
        names = [getattr(f, "name", "loss") for f in model._compiled_loss.losses if f]
        return (lambda y, y_pred: model.compute_loss(x, y, y_pred, training=True),
                ", ".join(names))
    raise ValueError("trace: no loss: compile the model with a loss, or pass loss= "
                     "(e.g. trace(model, x, y, loss='mse'))")


def _as_array(value, what):
    try:
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"trace: `{what}` must be array-like; received "
                        f"{type(value).__name__} ({err})") from None
    if array.ndim < 1 or array.shape[0] == 0:
        raise ValueError(f"trace: `{what}` must be a non-empty batch; received shape "
                         f"{array.shape}")
    return array


def trace(model, x, y, loss=None, optimizer=None, apply=True) -> Trace:
    """Run one training step of ``model`` on the batch ``(x, y)`` and record every number.

    Uses the model's compiled loss and optimizer unless ``loss`` / ``optimizer`` are given
    (an uncompiled model without ``optimizer`` gets ``SGD(learning_rate=0.01)``). With
    ``apply=True`` the update is applied, as ``model.train_on_batch(x, y)`` would; with
    ``apply=False`` the model and the optimizer are left as they were.

    Returns:
        a ``Trace``: ``.layers`` (one dict of arrays per layer: x, W, b, z, a, dL/da, da/dz,
        dL/dz, dL/dW, dL/db, dL/dx), ``.loss``, ``.updates``, ``.to_dict()``,
        ``.to_markdown()``, and ``str(trace)`` for the formulas with their numbers.

    >>> import numpy as np
    >>> from glassnet import keras
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> t = trace(model, np.ones((4, 2)), np.zeros((4, 1)), loss="mse", apply=False)
    >>> t.layers[0]["dL/dW"].shape
    (2, 1)
    """
    layers = _dense_layers(model)
    x = _as_array(x, "x").astype(backend.floatx())
    y = _as_array(y, "y")
    if len(x) != len(y):
        raise ValueError(f"trace: x and y must have the same number of samples; received "
                         f"x of shape {x.shape} and y of shape {y.shape}")
    if x.ndim != 2:
        raise ValueError(f"trace: x must be a 2-D batch (samples, features) for a Dense "
                         f"network; received shape {x.shape}")
    if not all(layer.built for layer in layers):
        model(x[:1])
    loss_fn, loss_name = _loss_function(model, loss, x)
    if optimizer is not None:
        opt = optim.get(optimizer)
    else:
        opt = getattr(model, "optimizer", None) or optim.SGD(learning_rate=0.01)

    with enable_grad():
        h = Tensor(x, requires_grad=True)
        steps = []
        for layer in layers:
            z = matmul(h, layer.kernel)
            if layer.use_bias:
                z = z + layer.bias
            a = layer.activation(z)
            steps.append((h, z, a))
            h = a
        total = loss_fn(y, h)
    params = [p for layer in layers for p in (layer.kernel, layer.bias if layer.use_bias
                                               else None) if p is not None]
    last_z, last_a = steps[-1][1], steps[-1][2]
    found = engine.gradients([total], [np.ones_like(total.data)],
                             [*params, last_a, last_z])
    grads, dl_da_graph, dl_dz_last = found[:len(params)], found[-2], found[-1]
    fused = dl_da_graph is None  # the loss went from the logits, past a (as in fit)
    if fused:  # dL/da for reading: the same loss on a as a plain input
        with enable_grad():
            a_leaf = Tensor(last_a.data.copy(), requires_grad=True)
            dl_da = engine.gradients([loss_fn(y, a_leaf)], [np.ones_like(total.data)],
                                     [a_leaf])[0]
    else:
        dl_da = dl_da_graph

    records = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):  # the chain rule, top layer first
        layer, (xin, z, a) = layers[i], steps[i]
        da_dz = _derivative(layer, z.data)
        if fused and i == len(layers) - 1:
            dl_dz = dl_dz_last
        elif da_dz.ndim == 3:
            dl_dz = np.einsum("nj,njk->nk", dl_da, da_dz)
        else:
            dl_dz = dl_da * da_dz
        kernel = layer.kernel.data
        penalties = (_penalty_grad(layer.kernel_regularizer, layer.kernel),
                     _penalty_grad(layer.bias_regularizer, layer.bias) if layer.use_bias
                     else None)
        dl_dw = xin.data.T @ dl_dz
        dl_db = dl_dz.sum(axis=0) if layer.use_bias else None
        rec = {"name": layer.name, "activation": _activation_name(layer),
               "derivative": DERIVATIVES.get(_activation_name(layer), "f'(z)"),
               "x": xin.data.copy(), "W": kernel.copy(),
               "b": layer.bias.data.copy() if layer.use_bias else None,
               "z": z.data.copy(), "a": a.data.copy(), "dL/da": np.array(dl_da),
               "da/dz": da_dz, "dL/dz": np.array(dl_dz),
               "dL/dW": dl_dw if penalties[0] is None else dl_dw + penalties[0],
               "dL/db": dl_db if penalties[1] is None else dl_db + penalties[1],
               "dR/dW": penalties[0], "dR/db": penalties[1],
               "dL/dx": dl_dz @ kernel.T, "fused_loss": bool(fused and i == len(layers) - 1)}
        records[i] = rec
        dl_da = rec["dL/dx"]

    names = [(layer.name, n) for layer in layers
             for n in (("W", "b") if layer.use_bias else ("W",))]
    updates = [textbook_update(opt, p, g, layer_name, pname)
               for (layer_name, pname), p, g in zip(names, params, grads)]
    if apply:
        opt.apply(grads, params)
        for u, p in zip(updates, params):
            u["applied"] = p.data.copy()
            if u["W_new"] is None:  # an update rule we do not write out: its result
                u["W_new"] = u["applied"]
    return Trace(model_name=getattr(model, "name", type(model).__name__), layers=records,
                 loss=float(total.data), loss_name=loss_name, optimizer=opt,
                 updates=updates, applied=bool(apply))
