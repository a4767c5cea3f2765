"""Connectionist Temporal Classification (Graves et al. 2006): the negative log-likelihood
of a label sequence summed over every alignment of it to the time steps of the logits.

A label sequence l of length S is extended with blanks, l' = (b, l1, b, l2, ..., lS, b) of
length 2S + 1; an alignment walks l' one step per time step, staying, moving by one, or
skipping a blank between two different labels. In log space, with y_t = log_softmax(z_t):

    alpha_0(0) = y_0(b),  alpha_0(1) = y_0(l1)
    alpha_t(s) = logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), [alpha_{t-1}(s-2)]) + y_t(l'_s)
    loss = -logsumexp(alpha_{T-1}(2S), alpha_{T-1}(2S-1))

with the s-2 term only where l'_s is not a blank and differs from l'_{s-2}. beta runs the
same recursion backwards; alpha_t(s) + beta_t(s) - y_t(l'_s) - log P is the log posterior
of passing through (t, s), so d loss / d z_t = softmax(z_t) - (posterior mass per class).

The recursions are vectorized over the batch and the positions s (a loop over time steps
only); sequences shorter than the padded length stop at their own ``logit_length``.

>>> import numpy as np
>>> z = np.zeros((1, 3, 3), "float32")      # uniform over {blank, 1, 2} at 3 time steps
>>> round(float(ctc_loss([[1, 2]], z, [2], [3]).numpy()[0]), 4)  # 5 of 27 paths spell "1 2"
1.6864
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Function

NEG_INF = -np.inf
# sizes are checked before the (time, batch, 2 * labels + 1) alpha and beta arrays are made
MAX_LATTICE = 2 ** 28


def _lse3(a, b, c):
    return np.logaddexp(np.logaddexp(a, b), c)


class CTCLoss(Function):
    """Per-sample CTC loss of logits (batch, time, classes), with labels and lengths fixed
    at construction (they get no gradient). ``backward`` returns the alpha-beta gradient;
    a sample no alignment fits (loss +inf) gets gradient 0."""

    def __init__(self, labels, label_length, logit_length, blank):
        self.labels, self.label_length = labels, label_length
        self.logit_length, self.blank = logit_length, blank

    def forward(self, z):
        dtype = z.dtype
        z = z.astype(np.float64)
        batch, steps, _ = z.shape
        shifted = z - z.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        ext, skip = self._extended()
        width = ext.shape[1]
        # y_t(l'_s) for every t and s: (time, batch, width)
        emit = np.take_along_axis(log_p, np.broadcast_to(ext[:, None, :], (batch, steps, width)),
                                  axis=2).transpose(1, 0, 2)
        alpha = np.full((steps, batch, width), NEG_INF)
        if steps:
            alpha[0, :, 0] = emit[0, :, 0]
            if width > 1:
                alpha[0, :, 1] = np.where(self.label_length > 0, emit[0, :, 1], NEG_INF)
        active = np.arange(steps)[:, None] < self.logit_length[None, :]  # (time, batch)
        pad = np.full((batch, 1), NEG_INF)
        for t in range(1, steps):
            prev = alpha[t - 1]
            one = np.concatenate([pad, prev[:, :-1]], axis=1)
            two = np.where(skip, np.concatenate([pad, pad, prev[:, :-2]], axis=1), NEG_INF)
            step = _lse3(prev, one, two) + emit[t]
            # a finished sequence keeps its last alpha, read at the end
            alpha[t] = np.where(active[t][:, None], step, prev)
        end = 2 * self.label_length
        if steps:
            last = alpha[-1]
            log_lik = np.logaddexp(last[np.arange(batch), end],
                                   np.where(end > 0, last[np.arange(batch), end - 1], NEG_INF))
        else:
            log_lik = np.full(batch, NEG_INF)
        # an empty input aligns only the empty label
        log_lik = np.where(self.logit_length == 0,
                           np.where(self.label_length == 0, 0.0, NEG_INF), log_lik)
        self.saved = (log_p, emit, alpha, log_lik, ext, skip, active, dtype)
        return (-log_lik).astype(dtype)

    def _extended(self):
        batch, width = self.labels.shape[0], 2 * self.labels.shape[1] + 1
        ext = np.full((batch, width), self.blank, dtype=np.int64)
        ext[:, 1::2] = self.labels
        # labels beyond a sample's length are padding: read as blanks, never reached
        positions = np.arange(width)[None, :]
        ext = np.where(positions < 2 * self.label_length[:, None] + 1, ext, self.blank)
        skip = np.zeros((batch, width), dtype=bool)
        skip[:, 2:] = (ext[:, 2:] != self.blank) & (ext[:, 2:] != ext[:, :-2])
        return ext, skip

    def backward(self, gy):
        log_p, emit, alpha, log_lik, ext, skip, active, dtype = self.saved
        steps, batch, width = alpha.shape
        rows = np.arange(batch)
        end = 2 * self.label_length
        beta = np.full((steps, batch, width), NEG_INF)
        init = np.full((batch, width), NEG_INF)
        pad = np.full((batch, 1), NEG_INF)
        skip_next = np.concatenate([skip[:, 2:], np.zeros((batch, 2), bool)], axis=1)
        last_step = self.logit_length - 1
        for t in range(steps - 1, -1, -1):
            init[:] = NEG_INF
            init[rows, end] = emit[t, rows, end]
            init[rows, np.maximum(end - 1, 0)] = np.where(
                end > 0, emit[t, rows, np.maximum(end - 1, 0)], init[rows, 0])
            if t + 1 < steps:
                nxt = beta[t + 1]
                one = np.concatenate([nxt[:, 1:], pad], axis=1)
                two = np.where(skip_next, np.concatenate([nxt[:, 2:], pad, pad], axis=1),
                               NEG_INF)
                rec = _lse3(nxt, one, two) + emit[t]
            else:
                rec = np.full((batch, width), NEG_INF)
            here = (t == last_step)[:, None]
            beta[t] = np.where(here, init, np.where((t < last_step)[:, None], rec, NEG_INF))
        finite = np.isfinite(log_lik)
        safe = np.where(finite, log_lik, 0.0)
        with np.errstate(invalid="ignore"):
            post = np.exp(alpha + beta - emit - safe[None, :, None])  # (time, batch, width)
        post = np.where(active[:, :, None] & finite[None, :, None], post, 0.0)
        onehot = np.zeros((batch, width, log_p.shape[-1]))
        onehot[rows[:, None], np.arange(width)[None, :], ext] = 1.0
        occupancy = np.einsum("tbw,bwc->btc", post, onehot)
        softmax = np.exp(log_p)
        mask = (active.T & finite[:, None])[:, :, None]
        dz = np.where(mask, softmax - occupancy, 0.0)
        return (dz * np.asarray(gy, np.float64)[:, None, None]).astype(dtype)


def _integers(value, name, shape=None):
    a = np.asarray(value.data if hasattr(value, "data") else value)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(a == np.round(a))):
        raise TypeError(f"ctc_loss: `{name}` must hold integers. Received dtype {a.dtype}")
    if shape is not None and a.shape != shape:
        raise ValueError(f"ctc_loss: `{name}` must have shape {shape}. Received: "
                         f"{name}.shape={a.shape}")
    return a.astype(np.int64)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    """Per-sample CTC loss, ``keras.ops.ctc_loss``'s contract.

    Args:
        target: integer labels (batch, max_label_length), padded beyond target_length.
        output: logits (batch, max_time, num_classes) (log-softmax is applied here).
        target_length, output_length: (batch,) integers.
        mask_index: the blank class.
    Returns:
        (batch,) losses, +inf where the labels cannot fit in output_length steps.
    """
    z = constant(output)
    if z.ndim != 3:
        raise ValueError(f"ctc_loss: `output` must be logits of shape (batch_size, "
                         f"max_length, num_classes). Received: output.shape={z.shape}")
    if z.data.dtype.kind != "f":
        raise TypeError(f"ctc_loss: `output` must be floating. Received dtype {z.data.dtype}")
    batch, steps, classes = z.shape
    labels = _integers(target, "target")
    if labels.ndim != 2 or labels.shape[0] != batch:
        raise ValueError(f"ctc_loss: `target` must have shape (batch_size={batch}, "
                         f"max_length). Received: target.shape={labels.shape}")
    label_length = _integers(target_length, "target_length", (batch,))
    logit_length = _integers(output_length, "output_length", (batch,))
    blank = int(mask_index)
    if not 0 <= blank < classes:
        raise ValueError(f"ctc_loss: `mask_index` must be a class in [0, {classes}). "
                         f"Received: mask_index={mask_index}")
    if (label_length < 0).any() or (label_length > labels.shape[1]).any():
        raise ValueError(f"ctc_loss: `target_length` must be in [0, {labels.shape[1]}]. "
                         f"Received: {label_length.tolist()}")
    if (logit_length < 0).any() or (logit_length > steps).any():
        raise ValueError(f"ctc_loss: `output_length` must be in [0, {steps}]. Received: "
                         f"{logit_length.tolist()}")
    used = np.arange(labels.shape[1])[None, :] < label_length[:, None]
    if ((labels < 0) | (labels >= classes))[used].any() or (labels == blank)[used].any():
        raise ValueError(f"ctc_loss: labels within target_length must be classes in "
                         f"[0, {classes}) other than mask_index={blank}")
    if steps * batch * (2 * labels.shape[1] + 1) > MAX_LATTICE:
        raise ValueError(f"ctc_loss: a lattice of {steps} steps x {batch} sequences x "
                         f"{2 * labels.shape[1] + 1} positions is too large")
    safe_labels = np.where(used, labels, blank)
    return CTCLoss(safe_labels, label_length, logit_length, blank)(z)


def ctc(y_true, y_pred):
    """Keras's ``ctc`` loss function: labels (batch, max_length) padded with 0 (the blank,
    which also marks their length), logits (batch, time, classes) all ``time`` steps long."""
    labels = _integers(y_true, "y_true")
    z = constant(y_pred)
    if labels.ndim != 2:
        raise ValueError(f"CTC: targets `y_true` are expected to be a tensor of shape "
                         f"(batch_size, max_length) in integer format. Received: "
                         f"y_true.shape={labels.shape}")
    if z.ndim != 3:
        raise ValueError(f"CTC: logits `y_pred` are expected to be a tensor of shape "
                         f"(batch_size, max_length, num_classes). Received: "
                         f"y_pred.shape={z.shape}")
    label_length = (labels != 0).sum(axis=-1)
    return ctc_loss(labels, z, label_length, np.full(z.shape[0], z.shape[1]), mask_index=0)
