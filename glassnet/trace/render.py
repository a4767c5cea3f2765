"""Text and Markdown views of a ``Trace``: each formula followed by its numbers, rounded."""

from __future__ import annotations

import numpy as np


def fmt(value, precision=4, inline=False) -> str:
    """An array (or number) rounded to ``precision`` decimals; one line when ``inline``."""
    if value is None:
        return "-"
    if np.isscalar(value):
        return f"{float(value):.{precision}g}" if isinstance(value, float) else str(value)
    text = np.array2string(np.asarray(value), precision=precision, suppress_small=False,
                           separator=", ", max_line_width=100 if not inline else 10**6)
    return " ".join(text.split()) if inline else text


def _block(label, value, precision, indent="    "):
    text = fmt(value, precision)
    pad = indent + " " * (len(label) + 3)
    return f"{indent}{label} = " + text.replace("\n", "\n" + pad)


def to_text(trace, precision=4) -> str:
    n = len(trace.layers)
    out = [f"One training step of '{trace.model_name}' (batch of "
           f"{len(trace.layers[0]['x'])}, loss {trace.loss_name}, optimizer "
           f"{type(trace.optimizer).__name__})", "", "Forward: z = x W + b, a = f(z)"]
    for i, rec in enumerate(trace.layers, 1):
        out.append(f"  layer {i} '{rec['name']}' (Dense, activation {rec['activation']})")
        for label in ("x", "W", "b"):
            if rec[label] is not None:
                out.append(_block(label, rec[label], precision))
        out.append(_block("z = x W + b", rec["z"], precision))
        out.append(_block(f"a = {rec['activation']}(z)", rec["a"], precision))
    out += ["", f"Loss: L = {trace.loss_name}(y, a) = {trace.loss:.{precision + 2}g}", "",
            "Backward (chain rule, last layer first)"]
    for i in range(n - 1, -1, -1):
        rec = trace.layers[i]
        out.append(f"  layer {i + 1} '{rec['name']}'")
        out.append(_block("dL/da", rec["dL/da"], precision))
        out.append(_block(f"da/dz = f'(z) = {rec['derivative']}", rec["da/dz"], precision))
        how = "(loss fused with the activation: computed from z, as fit does)" \
            if rec["fused_loss"] else ("dL/da J" if rec["da/dz"].ndim == 3 else "dL/da * da/dz")
        out.append(_block(f"dL/dz = {how}", rec["dL/dz"], precision))
        if rec["dR/dW"] is not None:
            out.append(_block("dR/dW (kernel_regularizer)", rec["dR/dW"], precision))
        reg = " + dR/dW" if rec["dR/dW"] is not None else ""
        out.append(_block(f"dL/dW = x^T dL/dz{reg}", rec["dL/dW"], precision))
        if rec["dL/db"] is not None:
            if rec["dR/db"] is not None:
                out.append(_block("dR/db (bias_regularizer)", rec["dR/db"], precision))
            reg = " + dR/db" if rec["dR/db"] is not None else ""
            out.append(_block(f"dL/db = sum over batch of dL/dz{reg}", rec["dL/db"],
                              precision))
        below = f" (= dL/da of layer {i})" if i else ""
        out.append(_block(f"dL/dx = dL/dz W^T{below}", rec["dL/dx"], precision))
    out += ["", f"Update ({type(trace.optimizer).__name__}"
            f"{'' if trace.applied else ', not applied'})"]
    for u in trace.updates:
        extra = "".join(f", {k} = {u[k]:g}" for k in ("momentum", "t", "beta_1", "beta_2",
                                                      "epsilon") if k in u)
        out.append(f"  {u['layer']}.{u['param']} (lr = {u['lr']:g}{extra}):")
        out += [f"    {part}" for part in u["rule"].split("; ")]
        for key in ("m", "v", "m_hat", "v_hat", "step", "W_new"):
            if u.get(key) is not None:
                label = f"{u['param']}_new" if key == "W_new" else key
                out.append(_block(label, u[key], precision, indent="      "))
    return "\n".join(out)


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def to_markdown(trace, precision=4) -> str:
    def f(v):
        return f"`{fmt(v, precision, inline=True)}`"

    forward = _table(["layer", "activation", "x", "W", "b", "z = xW + b", "a = f(z)"],
                     [[r["name"], r["activation"], f(r["x"]), f(r["W"]), f(r["b"]), f(r["z"]),
                       f(r["a"])] for r in trace.layers])
    backward = _table(["layer", "dL/da", "da/dz", "dL/dz", "dL/dW", "dL/db", "dL/dx"],
                      [[r["name"], f(r["dL/da"]), f(r["da/dz"]), f(r["dL/dz"]), f(r["dL/dW"]),
                        f(r["dL/db"]), f(r["dL/dx"])] for r in reversed(trace.layers)])
    keys = [k for k in ("m", "v", "m_hat", "v_hat", "step") if any(k in u for u in
                                                                   trace.updates)]
    update = _table(["parameter", "rule", "lr", "W", "dW", *keys, "W_new"],
                    [[f"{u['layer']}.{u['param']}", u["rule"], f"{u['lr']:g}", f(u["W"]),
                      f(u["dW"]), *[f(u.get(k)) for k in keys], f(u["W_new"])]
                     for u in trace.updates])
    return (f"### One training step of '{trace.model_name}'\n\n**Forward**\n\n{forward}\n\n"
            f"**Loss** ({trace.loss_name}): {trace.loss:.{precision + 2}g}\n\n"
            f"**Backward** (chain rule)\n\n{backward}\n\n"
            f"**Update** ({type(trace.optimizer).__name__})\n\n{update}\n")
