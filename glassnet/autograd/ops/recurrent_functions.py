"""LSTM, GRU and simple RNN over a whole sequence: one ``Function`` each, with
backpropagation through time written by hand (the reference; ``glassnet.kernels.recurrent``
computes the same faster). The functional wrappers that check the arguments and take the
results apart (``lstm``, ``gru``, ``simple_rnn``) are in ``glassnet.autograd.ops.recurrent``.

Layouts are Keras's, batch-major: ``x`` (batch, time, features), states (batch, units),
``kernel`` (features, G * units), ``recurrent_kernel`` (units, G * units), gate blocks in
Keras's order (LSTM i, f, c, o; GRU z, r, h). Activations are Keras's defaults: tanh, and
sigmoid for the gates.

Each op projects every timestep's input with one matrix product (x @ kernel + bias), then
runs the recurrence one step at a time (one product with the recurrent kernel for all gates).
Backward walks the steps from last to first, keeping the gradient of each step's gate
pre-activations dZ, and forms the weight gradients once at the end::

    d kernel = x^T @ dZ,   d recurrent_kernel = h_prev^T @ dZ,   d bias = sum(dZ),
    dx = dZ @ kernel^T

(x and h_prev here with the dropout masks applied, dx multiplied by the input mask again).

Masks, as Keras (``zero_output_for_mask=False``): where ``mask[b, t]`` is False the states are
carried over unchanged and the output repeats the previous step's output (0 before the first
kept step); such a step's input receives no gradient. ``reverse=True`` reads the steps from
last to first and returns the outputs in that order (Keras's ``go_backwards``).

The three results (sequence, final h, final c) are parts of one array the op returns; each is
taken out by a :class:`RecurrentOutput`, whose backward puts its gradient back in place.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Function

__all__ = ["GRU", "LSTM", "RecurrentOutput", "SimpleRNN"]


def _sigmoid(z):
    # the identity sigmoid(z) = (1 + tanh(z / 2)) / 2 never overflows, unlike 1 / (1 + e**-z)
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _split(a, n):
    """The n gate blocks of the last axis."""
    return np.split(a, n, axis=-1)


class _Recurrence(Function):
    """What the three ops share: the order of the steps, masks, dropout masks, the packed
    result and the weight gradients formed at the end.

    ``mask`` (batch, time) bool or None; ``input_dropout_mask`` (batch, features) and
    ``recurrent_dropout_mask`` (batch, units) arrays or None (constants, already scaled).
    """

    n_states = 1

    def __init__(self, mask=None, reverse=False, input_dropout_mask=None,
                 recurrent_dropout_mask=None):
        self.mask, self.reverse = mask, reverse
        self.input_dropout_mask = input_dropout_mask
        self.recurrent_dropout_mask = recurrent_dropout_mask

    def steps(self, time):
        """(step number, time index read) in the order the recurrence runs."""
        order = range(time - 1, -1, -1) if self.reverse else range(time)
        return list(enumerate(order))

    def keep(self, t):
        """(batch, 1) bool: the samples that take step t, or None (all of them)."""
        return None if self.mask is None else self.mask[:, t, None]

    def dropped_input(self, x):
        m = self.input_dropout_mask
        return x if m is None else x * m[:, None, :]

    def dropped_state(self, h):
        m = self.recurrent_dropout_mask
        return h if m is None else h * m

    def pack(self, seq, *states):
        self.seq_shape, self.state_shape = seq.shape, states[0].shape
        return np.concatenate([seq.ravel(), *(s.ravel() for s in states)])

    def unpack(self, g):
        """The packed gradient as (d sequence, [d state for each final state])."""
        n = int(np.prod(self.seq_shape))
        size = int(np.prod(self.state_shape))
        states = [g[n + k * size:n + (k + 1) * size].reshape(self.state_shape)
                  for k in range(self.n_states)]
        return g[:n].reshape(self.seq_shape), states

    @staticmethod
    def carry(keep, new, old):
        """Masked steps keep the old value (np.where: a skipped step's inf/nan stays out)."""
        return new if keep is None else np.where(keep, new, old)

    def split_grad(self, keep, d_state, d_out):
        """The gradient reaching h_s (from the next step and from the output) as (the part
        reaching the step's new value, the part that skips a masked step to h_{s-1})."""
        total = d_state + d_out
        if keep is None:
            return total, 0
        return np.where(keep, total, 0), np.where(keep, 0, total)

    def input_grads(self, x, kernel, dz, need_bias):
        """(dx, d kernel, d bias) from the gate pre-activation gradients dz (batch, time,
        G * units); need_bias: whether the bias gradient is wanted."""
        need = self.needs_input_grad
        xd = self.dropped_input(x)
        dz2 = dz.reshape(-1, dz.shape[-1])
        dx = dk = db = None
        if need[0]:
            dx = self.dropped_input(dz @ kernel.T)
        if need[self.kernel_index]:
            dk = xd.reshape(-1, x.shape[-1]).T @ dz2
        if need_bias:
            db = dz2.sum(axis=0)
        return dx, dk, db

    def output_grads(self, g):
        """The packed gradient, with the output's repeat over masked steps undone: the output
        at step s is h_s once some step <= s was taken, else 0, so d h_s gets d out_s there."""
        gseq, gstates = self.unpack(g)
        if self.mask is not None:
            taken = self.mask[:, ::-1] if self.reverse else self.mask
            if isinstance(taken, np.ndarray):
                seen = np.logical_or.accumulate(taken, axis=1)
            else:  # CuPy's ufuncs accumulate only add and multiply
                seen = np.cumsum(taken, axis=1) > 0
            gseq = gseq * seen[:, :, None]
        return gseq, gstates


class LSTM(_Recurrence):
    """The LSTM recurrence, Keras's gate order (i, f, c, o)::

        z = x_t @ W + h_{t-1} @ U + b,   i, f, o = sigmoid(z_i, z_f, z_o),   g = tanh(z_c)
        c_t = f * c_{t-1} + i * g,       h_t = o * tanh(c_t)

    Backward of a step, with dh, dc the gradients reaching h_t, c_t::

        dc += dh * o * (1 - tanh(c_t)**2)
        dz = [dc * g * i(1 - i), dc * c_{t-1} * f(1 - f), dc * i * (1 - g**2),
              dh * tanh(c_t) * o(1 - o)]
        dc_{t-1} = dc * f,   dh_{t-1} = dz @ U^T

    Inputs: x, h0, c0, kernel, recurrent_kernel[, bias]; returns sequence, h, c packed.
    """

    n_states, kernel_index = 2, 3

    def forward(self, x, h0, c0, kernel, recurrent_kernel, bias=None):
        batch, time, _ = x.shape
        u = h0.shape[1]
        proj = self.dropped_input(x) @ kernel
        if bias is not None:
            proj += bias
        h, c, out = h0, c0, np.zeros_like(h0)
        seq = backend.get_array_module(x).empty((batch, time, u), x.dtype)
        self.saved = []
        for s, t in self.steps(time):
            hd = self.dropped_state(h)
            zi, zf, zg, zo = _split(proj[:, t] + hd @ recurrent_kernel, 4)
            i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
            c_new = f * c + i * g
            tc = np.tanh(c_new)
            keep = self.keep(t)
            self.saved.append((hd, c, i, f, g, o, tc))
            h, c = self.carry(keep, o * tc, h), self.carry(keep, c_new, c)
            out = self.carry(keep, h, out)
            seq[:, s] = out
        self.x, self.kernel, self.recurrent_kernel = x, kernel, recurrent_kernel
        return self.pack(seq, h, c)

    def backward(self, g_packed):
        gseq, (dh, dc) = self.output_grads(g_packed)
        x, u = self.x, self.recurrent_kernel.shape[0]
        xp = backend.get_array_module(x)
        dz = xp.zeros((*x.shape[:2], 4 * u), x.dtype)
        hd_all = xp.empty((*x.shape[:2], u), x.dtype)
        for s, t in reversed(self.steps(x.shape[1])):
            hd, c_prev, i, f, g, o, tc = self.saved[s]
            keep = self.keep(t)
            dh_new, dh_skip = self.split_grad(keep, dh, gseq[:, s])
            dc_new = dc if keep is None else np.where(keep, dc, 0)
            dc_new = dc_new + dh_new * o * (1 - tc * tc)
            dz_t = np.concatenate([dc_new * g * i * (1 - i), dc_new * c_prev * f * (1 - f),
                                   dc_new * i * (1 - g * g), dh_new * tc * o * (1 - o)], axis=1)
            dz[:, t], hd_all[:, t] = dz_t, hd
            dc = dc_new * f + (0 if keep is None else np.where(keep, 0, dc))
            dh = self.dropped_state(dz_t @ self.recurrent_kernel.T) + dh_skip
        need = self.needs_input_grad
        dx, dk, db = self.input_grads(x, self.kernel, dz, len(need) > 5 and need[5])
        du = hd_all.reshape(-1, u).T @ dz.reshape(-1, 4 * u) if need[4] else None
        return (dx, dh if need[1] else None, dc if need[2] else None, dk, du, db)[:len(need)]


class GRU(_Recurrence):
    """The GRU recurrence, Keras's gate order (z, r, h); ``reset_after=True`` (Keras's
    default, cuDNN's and PyTorch's form), with b = (input bias, recurrent bias)::

        x_z, x_r, x_h = x_t @ W + b_in,   q_z, q_r, q_h = h_{t-1} @ U + b_rec
        z = sigmoid(x_z + q_z),  r = sigmoid(x_r + q_r),  n = tanh(x_h + r * q_h)

    ``reset_after=False`` (the original paper's form, one bias b)::

        z, r = sigmoid(x_{z,r} + h_{t-1} @ U_{z,r}),  n = tanh(x_h + (r * h_{t-1}) @ U_h)

    and in both ``h_t = z * h_{t-1} + (1 - z) * n``. Backward of a step (dh reaching h_t)::

        dn = dh * (1 - z) * (1 - n**2),   dz = dh * (h_{t-1} - n) * z(1 - z)
        reset_after:  dq_h = dn * r,  dr = dn * q_h * r(1 - r)
        before:       d(r h) = dn @ U_h^T,  dr = d(r h) * h_{t-1} * r(1 - r)
        dh_{t-1} = dh * z + [dz, dr, dq_h] @ U^T   (before: [dz, dr] @ U_{z,r}^T + d(r h) * r)

    Inputs: x, h0, kernel, recurrent_kernel[, bias]; returns sequence, h packed.
    """

    kernel_index = 2

    def __init__(self, reset_after=True, **masks):
        super().__init__(**masks)
        self.reset_after = reset_after

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None):
        batch, time, _ = x.shape
        u = h0.shape[1]
        b_in, b_rec = (None, None) if bias is None else \
            (bias[0], bias[1]) if self.reset_after else (bias, None)
        proj = self.dropped_input(x) @ kernel
        if b_in is not None:
            proj += b_in
        h, out = h0, np.zeros_like(h0)
        seq = backend.get_array_module(x).empty((batch, time, u), x.dtype)
        self.saved = []
        for s, t in self.steps(time):
            hd = self.dropped_state(h)
            xz, xr, xh = _split(proj[:, t], 3)
            if self.reset_after:
                q = hd @ recurrent_kernel
                if b_rec is not None:
                    q += b_rec
                qz, qr, qh = _split(q, 3)
                z, r = _sigmoid(xz + qz), _sigmoid(xr + qr)
                n = np.tanh(xh + r * qh)
            else:
                qz, qr = _split(hd @ recurrent_kernel[:, :2 * u], 2)
                z, r = _sigmoid(xz + qz), _sigmoid(xr + qr)
                qh = None
                n = np.tanh(xh + (r * hd) @ recurrent_kernel[:, 2 * u:])
            keep = self.keep(t)
            self.saved.append((h, hd, z, r, n, qh))
            h = self.carry(keep, z * h + (1 - z) * n, h)
            out = self.carry(keep, h, out)
            seq[:, s] = out
        self.x, self.kernel, self.recurrent_kernel = x, kernel, recurrent_kernel
        return self.pack(seq, h)

    def backward(self, g_packed):
        gseq, (dh,) = self.output_grads(g_packed)
        x, rk = self.x, self.recurrent_kernel
        u = rk.shape[0]
        xp = backend.get_array_module(x)
        dx_gates = xp.zeros((*x.shape[:2], 3 * u), x.dtype)   # d(x_z, x_r, x_h)
        dq_gates = np.zeros_like(dx_gates)                     # d(q_z, q_r, q_h)
        hd_all = xp.empty((*x.shape[:2], u), x.dtype)
        rhd_all = np.empty_like(hd_all) if not self.reset_after else None
        for s, t in reversed(self.steps(x.shape[1])):
            h_prev, hd, z, r, n, qh = self.saved[s]
            dh_new, dh_skip = self.split_grad(self.keep(t), dh, gseq[:, s])
            dn = dh_new * (1 - z) * (1 - n * n)
            dz = dh_new * (h_prev - n) * z * (1 - z)
            if self.reset_after:
                dr = dn * qh * r * (1 - r)
                dq = np.concatenate([dz, dr, dn * r], axis=1)
                dhd = dq @ rk.T
            else:
                d_rh = dn @ rk[:, 2 * u:].T
                dr = d_rh * hd * r * (1 - r)
                dq = np.concatenate([dz, dr, dn], axis=1)
                dhd = dq[:, :2 * u] @ rk[:, :2 * u].T + d_rh * r
                rhd_all[:, t] = r * hd
            dx_gates[:, t] = np.concatenate([dz, dr, dn], axis=1)
            dq_gates[:, t], hd_all[:, t] = dq, hd
            dh = dh_new * z + self.dropped_state(dhd) + dh_skip
        need = self.needs_input_grad
        has_bias = len(need) > 4 and need[4]
        dx, dk, db_in = self.input_grads(x, self.kernel, dx_gates, has_bias)
        du = db = None
        if need[3]:
            dq2 = dq_gates.reshape(-1, 3 * u)
            du = hd_all.reshape(-1, u).T @ dq2
            if not self.reset_after:  # the h block's product took r * h, not h
                du[:, 2 * u:] = rhd_all.reshape(-1, u).T @ dq2[:, 2 * u:]
        if has_bias:
            db = np.stack([db_in, dq_gates.reshape(-1, 3 * u).sum(axis=0)]) \
                if self.reset_after else db_in
        return (dx, dh if need[1] else None, dk, du, db)[:len(need)]


class SimpleRNN(_Recurrence):
    """The simple (Elman) recurrence: h_t = act(x_t @ W + h_{t-1} @ U + b), act tanh or relu.

    Backward of a step: dz = dh * act'(z) (1 - h**2 for tanh; 1 where h > 0 for relu, whose
    derivative at 0 is taken as 0), dh_{t-1} = dz @ U^T.

    Inputs: x, h0, kernel, recurrent_kernel[, bias]; returns sequence, h packed.
    """

    kernel_index = 2

    def __init__(self, activation="tanh", **masks):
        super().__init__(**masks)
        self.activation = activation

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None):
        batch, time, _ = x.shape
        proj = self.dropped_input(x) @ kernel
        if bias is not None:
            proj += bias
        h, out = h0, np.zeros_like(h0)
        seq = backend.get_array_module(x).empty((batch, time, h0.shape[1]), x.dtype)
        self.saved = []
        for s, t in self.steps(time):
            hd = self.dropped_state(h)
            z = proj[:, t] + hd @ recurrent_kernel
            h_new = np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0)
            self.saved.append((hd, h_new))
            keep = self.keep(t)
            h = self.carry(keep, h_new, h)
            out = self.carry(keep, h, out)
            seq[:, s] = out
        self.x, self.kernel, self.recurrent_kernel = x, kernel, recurrent_kernel
        return self.pack(seq, h)

    def backward(self, g_packed):
        gseq, (dh,) = self.output_grads(g_packed)
        x, rk = self.x, self.recurrent_kernel
        u = rk.shape[0]
        dz = backend.get_array_module(x).zeros((*x.shape[:2], u), x.dtype)
        hd_all = np.empty_like(dz)
        for s, t in reversed(self.steps(x.shape[1])):
            hd, h_new = self.saved[s]
            dh_new, dh_skip = self.split_grad(self.keep(t), dh, gseq[:, s])
            dz_t = dh_new * (1 - h_new * h_new) if self.activation == "tanh" \
                else dh_new * (h_new > 0)
            dz[:, t], hd_all[:, t] = dz_t, hd
            dh = self.dropped_state(dz_t @ rk.T) + dh_skip
        need = self.needs_input_grad
        dx, dk, db = self.input_grads(x, self.kernel, dz, len(need) > 4 and need[4])
        du = hd_all.reshape(-1, u).T @ dz.reshape(-1, u) if need[3] else None
        return (dx, dh if need[1] else None, dk, du, db)[:len(need)]


class RecurrentOutput(Function):
    """One result of a recurrent op (the sequence or a final state): elements
    ``[start, start + size)`` of the op's packed array, as a view of ``shape``. Backward
    places the gradient there in a zero array of the packed size."""

    def __init__(self, start, shape):
        self.start, self.shape = start, tuple(shape)
        self.stop = start + int(np.prod(self.shape))

    def forward(self, packed):
        self.size = packed.size
        return packed[self.start:self.stop].reshape(self.shape)

    def backward(self, g):
        full = backend.get_array_module(g).zeros(self.size, g.dtype)
        full[self.start:self.stop] = g.reshape(-1)
        return full
