"""The trick: the recurrences with one tanh per step for all gates, in feature-major buffers
allocated once per call, and the large products run beside the loop over steps.

Replaces ``LSTM``, ``GRU`` (``reset_after=True``; the other form runs the readable op) and
``SimpleRNN`` of ``glassnet.autograd.ops.recurrent`` inside a ``training()`` /
``inference()`` block; the same formulas, the same results to rounding.

- sigmoid(z) = (1 + tanh(z / 2)) / 2: the sigmoid gates' rows of the weights are halved once
  per call, so one ``np.tanh`` over a step's whole gate block gives every gate, and one
  multiply and one add turn the sigmoid rows into gates. The LSTM's gates are reordered to
  i, f, o, c inside so that its three sigmoid blocks are adjacent.
- In backward a gate's derivative is (1 - t**2) times a constant per block (t the stored
  tanh; 1/4 for a sigmoid gate, 1 for tanh): the constant is folded into the weights the
  gradient meets, and into the weight gradients once at the end.
- The steps work on (units, batch) buffers written in place, and the input projection, dx
  and the weight gradients run in chunks on a second thread beside the loop: the machinery
  of ``glassnet.kernels.recurrent_steps``, shared by the three kernels here.

>>> import numpy as np
>>> from glassnet import backend
>>> from glassnet.kernels import threads
>>> x, k, rk = np.ones((2, 5, 3)), np.full((3, 8), 0.1), np.zeros((2, 8))
>>> with threads.thread_pool(), backend.using_kernels({recurrent.LSTM: LSTM}):
...     seq, h, c = recurrent.lstm(x, None, None, k, rk)
>>> np.allclose(seq.numpy(), recurrent.lstm(x, None, None, k, rk)[0].numpy())
True
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.ops import recurrent
from glassnet.kernels.recurrent_steps import (
    FastRecurrence,
    Partials,
    Steps,
    chunk_bounds,
    chunk_grads,
    packed_result,
    put_states,
    run_backward,
    run_forward,
    slots,
    transposed,
)

# chunk_bounds is named here too: the chunking the kernels use is read from this module
__all__ = ["GRU", "LSTM", "SimpleRNN", "chunk_bounds"]


class LSTM(FastRecurrence, recurrent.LSTM):
    """The LSTM of the readable op, its gates reordered to i, f, o, c inside."""

    def forward(self, x, h0, c0, kernel, recurrent_kernel, bias=None):
        u = h0.shape[1]
        st = Steps(self, x, u)
        batch, time, dt, rec = st.batch, st.time, x.dtype, self.recording
        order = np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]
        half = np.ones(4 * u, dt)
        half[:3 * u] = 0.5
        rk_t = transposed(recurrent_kernel[:, order] * half)          # (4u, u)
        n = slots(rec, time)
        tb = np.empty((n, 4 * u, batch), dt)    # tanh of the gate block
        tc = np.empty((n, u, batch), dt)        # tanh(c) of the step (before masking)
        # i, f, o: one step's worth; backward recomputes them from tb (measured faster than
        # storing them, whose memory traffic cost more than two passes over a step's rows)
        g = np.empty((3 * u, batch), dt)
        tmp = np.empty((u, batch), dt)
        cs = np.empty((time + 1 if rec else 2, u, batch), dt)  # c before and after each step
        hs = np.empty((time + 1, u, batch), dt)                 # h before and after each step
        cs[0], hs[0] = c0.T, h0.T
        nc, masked, dropped = len(cs), st.keep is not None, st.recurrent_mask is not None
        hd = np.empty((n, u, batch), dt) if dropped else None   # h * recurrent dropout mask

        def step(s, xp):
            i = s % n
            a, t_c, h, h_new = tb[i], tc[i], hs[s], hs[s + 1]
            c_prev, c = cs[s % nc], cs[(s + 1) % nc]
            h_in = np.multiply(h, st.recurrent_mask, out=hd[i]) if dropped else h
            np.matmul(rk_t, h_in, out=a)
            a += xp
            np.tanh(a, out=a)
            np.multiply(a[:3 * u], 0.5, out=g)
            np.add(g, 0.5, out=g)
            np.multiply(g[u:2 * u], c_prev, out=c)
            np.multiply(g[:u], a[3 * u:], out=tmp)
            c += tmp
            np.tanh(c, out=t_c)
            np.multiply(g[2 * u:], t_c, out=h_new)
            if masked:
                np.copyto(c, c_prev, where=st.skip[s])
                np.copyto(h_new, h, where=st.skip[s])

        w = kernel[:, order] * half
        packed, seq = packed_result(self, st, 2)
        xt = run_forward(st, w, None if bias is None else bias[order] * half, rec, step, hs, seq)
        if rec:
            self.saved = (st, xt, tb, tc, cs, hs, hd, order)
            self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        return put_states(packed, st, [hs[time], cs[time % nc]])

    def backward(self, g_packed):
        st, xt, tb, tc, cs, hs, hd, order = self.saved
        gseq, (dh, dc) = st.output_grads(self, g_packed)
        u, dt, need = st.units, st.dtype, self.needs_input_grad
        masked, dropped = st.keep is not None, st.recurrent_mask is not None
        quarter = np.ones(4 * u, dt)  # d sigmoid(z) / dz = (1 - tanh(z / 2)**2) / 4
        quarter[:3 * u] = 0.25
        u4 = self.recurrent_kernel[:, order] * quarter               # (u, 4u)
        da = np.empty((st.time, 4 * u, st.batch), dt)
        t4 = np.empty((4 * u, st.batch), dt)
        g = np.empty((3 * u, st.batch), dt)
        tmp = np.empty((u, st.batch), dt)
        dh_next, dh_kept = np.empty_like(dh), np.empty_like(dh)
        dc_next, dc_kept = np.empty_like(dc), np.empty_like(dc)
        grads = [dh, dc, dh_next, dc_next]

        def step(s):
            dh, dc, dh_next, dc_next = grads
            d, a, t_c = da[s], tb[s], tc[s]
            np.multiply(a[:3 * u], 0.5, out=g)                      # i, f, o again
            np.add(g, 0.5, out=g)
            if gseq is not None:
                dh += gseq[s]
            dhn = np.multiply(dh, st.keep[s], out=dh_kept) if masked else dh
            dcn = np.multiply(dc, st.keep[s], out=dc_kept) if masked else dc
            np.multiply(dhn, t_c, out=d[2 * u:3 * u])               # d o
            # dc += dh * o * (1 - tanh(c)**2), as dh * o - (dh * tanh(c)) * h
            np.multiply(dhn, g[2 * u:], out=tmp)
            dcn += tmp
            np.multiply(d[2 * u:3 * u], hs[s + 1], out=tmp)
            dcn -= tmp
            np.multiply(dcn, a[3 * u:], out=d[:u])                  # d i = dc * g
            np.multiply(dcn, cs[s], out=d[u:2 * u])                 # d f = dc * c_prev
            np.multiply(dcn, g[:u], out=d[3 * u:])                  # d g = dc * i
            np.multiply(a, a, out=t4)
            np.subtract(1, t4, out=t4)
            d *= t4
            np.multiply(dcn, g[u:2 * u], out=dc_next)
            np.matmul(u4, d, out=dh_next)
            if dropped:
                dh_next *= st.recurrent_mask
            if masked:
                np.add(dc_next, dc, out=dc_next, where=st.skip[s])
                np.add(dh_next, dh, out=dh_next, where=st.skip[s])
            grads[:] = dh_next, dc_next, dh, dc

        parts = Partials()
        dx = np.empty(st.x.shape, dt) if need[0] else None
        has_bias = len(need) > 5 and need[5]
        w4 = transposed(self.kernel[:, order] * quarter)             # (4u, F)
        rows = slice(0, 4 * u)
        work = chunk_grads(st, xt, da, (rows, rows), hd if dropped else hs, w4,
                            (need[3] or has_bias, need[4], False), parts, dx)
        run_backward(st, step, work)
        dk = du = db = None
        if need[3] or has_bias:
            wb = parts.total("wb", (st.features + 1, 4 * u), dt, True) * quarter
            if need[3]:
                dk = np.empty_like(self.kernel)
                dk[:, order] = wb[:-1]
            if has_bias:
                db = np.empty(4 * u, dt)
                db[order] = wb[-1]
        if need[4]:
            du = np.empty_like(self.recurrent_kernel)
            du[:, order] = parts.total("u", du.shape, dt, True) * quarter
        dh0, dc0 = grads[0].T, grads[1].T
        return (dx, dh0 if need[1] else None, dc0 if need[2] else None, dk, du, db)[:len(need)]


class GRU(FastRecurrence, recurrent.GRU):
    """The GRU of the readable op (``reset_after=True``; the other form runs the readable
    op). The recurrent bias of z and r is added with the input's, once per call."""

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None):
        self.fused = self.reset_after
        if not self.fused:
            return super().forward(x, h0, kernel, recurrent_kernel, bias)
        u = h0.shape[1]
        st = Steps(self, x, u)
        batch, time, dt, rec = st.batch, st.time, x.dtype, self.recording
        half = np.ones(3 * u, dt)
        half[:2 * u] = 0.5
        b_x = b_h = None
        if bias is not None:
            b_x = bias[0] * half
            b_x[:2 * u] += bias[1, :2 * u] * 0.5
            b_h = bias[1, 2 * u:, None]
        rk_t = transposed(recurrent_kernel * half)                    # (3u, u)
        n = slots(rec, time)
        qs = np.empty((n, 3 * u, batch), dt)    # U^T h (+ the recurrent bias of h)
        tz = np.empty((n, 2 * u, batch), dt)    # tanh of the z, r block
        sg = np.empty((n, 2 * u, batch), dt)    # z, r
        ns = np.empty((n, u, batch), dt)        # n
        diff = np.empty((n, u, batch), dt)      # h_prev - n
        hs = np.empty((time + 1, u, batch), dt)
        hs[0] = h0.T
        masked, dropped = st.keep is not None, st.recurrent_mask is not None
        hd = np.empty((n, u, batch), dt) if dropped else None

        def step(s, xp):
            i = s % n
            q, t, g, nv, df, h, h_new = qs[i], tz[i], sg[i], ns[i], diff[i], hs[s], hs[s + 1]
            h_in = np.multiply(h, st.recurrent_mask, out=hd[i]) if dropped else h
            np.matmul(rk_t, h_in, out=q)
            if b_h is not None:
                q[2 * u:] += b_h
            np.add(q[:2 * u], xp[:2 * u], out=t)
            np.tanh(t, out=t)
            np.multiply(t, 0.5, out=g)
            g += 0.5
            np.multiply(g[u:], q[2 * u:], out=nv)
            nv += xp[2 * u:]
            np.tanh(nv, out=nv)
            np.subtract(h, nv, out=df)
            np.multiply(g[:u], df, out=h_new)   # h = n + z * (h_prev - n)
            h_new += nv
            if masked:
                np.copyto(h_new, h, where=st.skip[s])

        packed, seq = packed_result(self, st, 1)
        xt = run_forward(st, kernel * half, b_x, rec, step, hs, seq)
        if rec:
            self.saved = (st, xt, qs, tz, sg, ns, diff, hs, hd)
            self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        return put_states(packed, st, [hs[time]])

    def backward(self, g_packed):
        if not self.fused:
            return super().backward(g_packed)
        st, xt, qs, tz, sg, ns, diff, hs, hd = self.saved
        gseq, (dh,) = st.output_grads(self, g_packed)
        u, dt, need = st.units, st.dtype, self.needs_input_grad
        masked, dropped = st.keep is not None, st.recurrent_mask is not None
        # rows of ds: dn, dz, dr, dq_h; the input side reads [dn, dz, dr] (gates h, z, r),
        # the recurrent side [dz, dr, dq_h] (gates z, r, h)
        hzr = np.r_[2 * u:3 * u, 0:2 * u]
        q_zrh = np.ones(3 * u, dt)
        q_zrh[:2 * u] = 0.25
        q_hzr = q_zrh[hzr]
        u3 = self.recurrent_kernel * q_zrh                           # (u, 3u)
        ds = np.empty((st.time, 4 * u, st.batch), dt)
        t2 = np.empty((2 * u, st.batch), dt)
        tmp, direct = np.empty((u, st.batch), dt), np.empty((u, st.batch), dt)
        dh_next, dh_kept = np.empty_like(dh), np.empty_like(dh)
        grads = [dh, dh_next]

        def step(s):
            dh, dh_next = grads
            d, g, t, nv = ds[s], sg[s], tz[s], ns[s]
            if gseq is not None:
                dh += gseq[s]
            dhn = np.multiply(dh, st.keep[s], out=dh_kept) if masked else dh
            np.multiply(dhn, g[:u], out=direct)             # dh * z: to h_prev
            np.subtract(dhn, direct, out=d[:u])             # dh * (1 - z)
            np.multiply(nv, nv, out=tmp)
            np.subtract(1, tmp, out=tmp)
            d[:u] *= tmp                                    # dn
            np.multiply(dhn, diff[s], out=d[u:2 * u])       # d z
            np.multiply(d[:u], qs[s][2 * u:], out=d[2 * u:3 * u])  # d r
            np.multiply(t, t, out=t2)
            np.subtract(1, t2, out=t2)
            d[u:3 * u] *= t2
            np.multiply(d[:u], g[u:], out=d[3 * u:])        # dq_h = dn * r
            np.matmul(u3, d[u:], out=dh_next)
            if dropped:
                dh_next *= st.recurrent_mask
            dh_next += direct
            if masked:
                np.add(dh_next, dh, out=dh_next, where=st.skip[s])
            grads[:] = dh_next, dh

        parts = Partials()
        dx = np.empty(st.x.shape, dt) if need[0] else None
        has_bias = len(need) > 4 and need[4]
        w3 = transposed(self.kernel[:, hzr] * q_hzr)                 # (3u, F)
        work = chunk_grads(st, xt, ds, (slice(0, 3 * u), slice(u, 4 * u)),
                            hd if dropped else hs, w3, (need[2] or has_bias, need[3], has_bias),
                            parts, dx)
        run_backward(st, step, work)
        dk = du = db = None
        if need[2] or has_bias:
            wb = parts.total("wb", (st.features + 1, 3 * u), dt, True) * q_hzr
            if need[2]:
                dk = np.empty_like(self.kernel)
                dk[:, hzr] = wb[:-1]
            if has_bias:
                db = np.empty((2, 3 * u), dt)
                db[0, hzr] = wb[-1]
                db[1] = parts.total("bh", (3 * u,), dt) * q_zrh
        if need[3]:
            du = parts.total("u", self.recurrent_kernel.shape, dt, True) * q_zrh
        return (dx, grads[0].T if need[1] else None, dk, du, db)[:len(need)]


class SimpleRNN(FastRecurrence, recurrent.SimpleRNN):
    """The simple RNN of the readable op on feature-major buffers."""

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None):
        u = h0.shape[1]
        st = Steps(self, x, u)
        batch, time, dt, rec = st.batch, st.time, x.dtype, self.recording
        rk_t = transposed(recurrent_kernel)
        hs = np.empty((time + 1, u, batch), dt)
        hs[0] = h0.T
        masked, dropped = st.keep is not None, st.recurrent_mask is not None
        relu = self.activation == "relu"
        hd = np.empty((slots(rec, time), u, batch), dt) if dropped else None

        def step(s, xp):
            h, h_new = hs[s], hs[s + 1]
            h_in = np.multiply(h, st.recurrent_mask, out=hd[s % len(hd)]) if dropped else h
            np.matmul(rk_t, h_in, out=h_new)
            h_new += xp
            if relu:
                np.maximum(h_new, 0, out=h_new)
            else:
                np.tanh(h_new, out=h_new)
            if masked:
                np.copyto(h_new, h, where=st.skip[s])

        packed, seq = packed_result(self, st, 1)
        xt = run_forward(st, kernel, bias, rec, step, hs, seq)
        if rec:
            self.saved = (st, xt, hs, hd)
            self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        return put_states(packed, st, [hs[time]])

    def backward(self, g_packed):
        st, xt, hs, hd = self.saved
        gseq, (dh,) = st.output_grads(self, g_packed)
        u, dt, need = st.units, st.dtype, self.needs_input_grad
        masked, dropped = st.keep is not None, st.recurrent_mask is not None
        relu = self.activation == "relu"
        dz = np.empty((st.time, u, st.batch), dt)
        positive = np.empty((u, st.batch), bool)
        dh_next, dh_kept = np.empty_like(dh), np.empty_like(dh)
        grads = [dh, dh_next]

        def step(s):
            dh, dh_next = grads
            d, h_s = dz[s], hs[s + 1]
            if gseq is not None:
                dh += gseq[s]
            dhn = np.multiply(dh, st.keep[s], out=dh_kept) if masked else dh
            if relu:  # the derivative at 0 taken as 0
                np.greater(h_s, 0, out=positive)
                np.multiply(dhn, positive, out=d)
            else:
                np.multiply(h_s, h_s, out=d)
                np.subtract(1, d, out=d)
                d *= dhn
            np.matmul(self.recurrent_kernel, d, out=dh_next)
            if dropped:
                dh_next *= st.recurrent_mask
            if masked:
                np.add(dh_next, dh, out=dh_next, where=st.skip[s])
            grads[:] = dh_next, dh

        parts = Partials()
        dx = np.empty(st.x.shape, dt) if need[0] else None
        has_bias = len(need) > 4 and need[4]
        rows = slice(0, u)
        work = chunk_grads(st, xt, dz, (rows, rows), hd if dropped else hs, transposed(self.kernel),
                            (need[2] or has_bias, need[3], False), parts, dx)
        run_backward(st, step, work)
        dk = db = du = None
        if need[2] or has_bias:
            wb = parts.total("wb", (st.features + 1, u), dt, True)
            dk, db = (wb[:-1] if need[2] else None), (wb[-1] if has_bias else None)
        if need[3]:
            du = parts.total("u", self.recurrent_kernel.shape, dt, True)
        return (dx, grads[0].T if need[1] else None, dk, du, db)[:len(need)]
