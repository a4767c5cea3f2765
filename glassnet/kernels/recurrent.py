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
- A step works on transposed arrays, (units, batch) and (gates * units, batch): every gate
  block is then a contiguous run of rows (NumPy's contiguous loops cost half of its strided
  ones on arrays this small), and the step's product is U^T @ h^T. Each is a slice of a
  (time, ..., batch) buffer in the order the steps run, written with ``out=``: a step
  allocates nothing. The chunks of projected inputs and of gate gradients are transposed
  beside the loop; the sequence once at the end.
- The loop runs on one core and waits on small products. The large ones (the input
  projection with the bias as a row of ones in forward; dx and the weight gradients, bias
  included, in backward) are cut into chunks of steps and run on the pool's second thread
  (``threads``) as the loop reaches them: in forward ahead of it, in backward behind it (the
  loop's thread takes its share once the loop is done). Partial weight gradients are added in
  chunk order: the result does not depend on which thread computed a chunk. Outside a pool,
  or with one thread, the same chunks run in turn.

>>> import numpy as np
>>> from glassnet import backend
>>> x, k, rk = np.ones((2, 5, 3)), np.full((3, 8), 0.1), np.zeros((2, 8))
>>> with threads.thread_pool(), backend.using_kernels({recurrent.LSTM: LSTM}):
...     seq, h, c = recurrent.lstm(x, None, None, k, rk)
>>> np.allclose(seq.numpy(), recurrent.lstm(x, None, None, k, rk)[0].numpy())
True
"""

from __future__ import annotations

import queue
import threading

import numpy as np

from glassnet.autograd.grad_mode import is_grad_enabled
from glassnet.autograd.ops import recurrent
from glassnet.kernels import threads


def chunk_bounds(time):
    """Step boundaries of the chunks: small ones first (the loop waits for the first one in
    forward, and in backward the last one is the work left when the loop ends), then 32."""
    bounds, size = [0], 4
    while bounds[-1] < time:
        bounds.append(min(time, bounds[-1] + size))
        size = min(2 * size, 32)
    return bounds


def side_by_side(first, second):
    """``first()`` and ``second()`` on two threads of the pool inside a block, else in turn;
    ``second`` may wait on ``first``, never the reverse (the caller's thread starts with
    ``first`` and takes ``second`` too when no worker has claimed it)."""
    tasks = (first, second)

    def run(lo, hi):
        for k in range(lo, hi):
            tasks[k]()

    threads.over_batch(run, 2, threads.MIN_ELEMENTS)


def _t(a):
    """A (batch, n) array as a contiguous (n, batch) one."""
    return np.ascontiguousarray(a.T)


class _Steps:
    """One call's geometry and constants: steps in run order, chunked; masks as (time, 1,
    batch); x and dx moved between Keras's (batch, time, features) and chunks of rows in
    run order."""

    def __init__(self, op, x, units):
        self.x, self.reverse = x, op.reverse
        self.batch, self.time, self.features = x.shape
        self.units, self.dtype = units, x.dtype
        self.bounds = chunk_bounds(self.time)
        self.input_mask = op.input_dropout_mask                          # (batch, F)
        m = op.recurrent_dropout_mask
        self.recurrent_mask = None if m is None else _t(m)                # (units, batch)
        self.keep = self.skip = self.seen = None
        if op.mask is not None:
            m = np.ascontiguousarray((op.mask[:, ::-1] if self.reverse else op.mask).T)
            self.keep = m[:, None, :].astype(self.dtype)
            self.skip = ~m[:, None, :]
            self.seen = np.logical_or.accumulate(m, axis=0)[:, None, :].astype(self.dtype)

    def times(self, s0, s1):
        """The x time indices of steps s0..s1 - 1, as a slice (view-making)."""
        if not self.reverse:
            return slice(s0, s1)
        t = self.time
        return slice(t - 1 - s0, t - 1 - s1 if s1 < t else None, -1)

    def inputs(self, s0, s1):
        """[x, 1] at steps s0..s1 - 1 (input dropout mask applied): (L * batch,
        features + 1), row (s - s0) * batch + b; the column of ones carries the bias."""
        out = np.empty((s1 - s0, self.batch, self.features + 1), self.dtype)
        view = self.x[:, self.times(s0, s1)].transpose(1, 0, 2)
        if self.input_mask is None:
            np.copyto(out[..., :-1], view)
        else:
            np.multiply(view, self.input_mask, out=out[..., :-1])
        out[..., -1] = 1
        return out.reshape(-1, self.features + 1)

    def put_dx(self, dx, s0, s1, chunk):
        """A chunk of dx (L * batch, features) into dx (batch, time, features)."""
        chunk = chunk.reshape(s1 - s0, self.batch, self.features)
        if self.input_mask is not None:
            chunk *= self.input_mask
        np.copyto(dx[:, self.times(s0, s1)].transpose(1, 0, 2), chunk)

    def sequence(self, hs, out, s0, s1):
        """The outputs of steps s0..s1 - 1 into ``out`` (batch, time, units) from the states
        hs (time + 1, units, batch): h after each step (times 'some step taken so far' under
        a mask)."""
        view = out[:, s0:s1].transpose(1, 2, 0)
        if self.seen is None:
            np.copyto(view, hs[s0 + 1:s1 + 1])
        else:
            np.multiply(hs[s0 + 1:s1 + 1], self.seen[s0:s1], out=view)

    def output_grads(self, op, g):
        """The packed gradient as (d sequence as (time, units, batch) or None when zero,
        [d final state as (units, batch)])."""
        gseq, gstates = op.unpack(g)
        gstates = [_t(s) for s in gstates]
        if not gseq.any():
            return None, gstates
        out = np.empty((self.time, self.units, self.batch), self.dtype)
        if self.seen is None:
            np.copyto(out, gseq.transpose(1, 2, 0))
        else:
            np.multiply(gseq.transpose(1, 2, 0), self.seen, out=out)
        return out, gstates


class _Projection:
    """xp^T = [W; b]^T @ [x, 1]^T for the steps, chunk by chunk, computed by :meth:`produce`
    while the loop :meth:`wait` s for each chunk; the [x, 1] chunks are kept for the weight
    gradient when ``keep_x``."""

    def __init__(self, steps, w, b, keep_x):
        self.steps, self.keep_x = steps, keep_x
        wb = np.empty((w.shape[0] + 1, w.shape[1]), steps.dtype)
        wb[:-1] = w
        wb[-1] = 0 if b is None else b
        self.wb_t = _t(wb)
        n = len(steps.bounds) - 1
        self.xp, self.xt = [None] * n, [None] * n
        self.ready = [threading.Event() for _ in range(n)]
        self.failed = False

    def produce(self):
        bounds = self.steps.bounds
        try:
            for k in range(len(bounds) - 1):
                xt = self.steps.inputs(bounds[k], bounds[k + 1])
                # xp^T directly (B a transposed operand): turning xp = xt @ wb around
                # afterwards cost more than the product (measured)
                self.xp[k] = self.wb_t @ xt.T
                if self.keep_x:
                    self.xt[k] = xt
                self.ready[k].set()
        except BaseException:
            self.failed = True  # the loop stops; the pool raises this error in the caller
            raise
        finally:
            for event in self.ready:
                event.set()

    def wait(self, k):
        """Chunk k's xp^T (gates * units, L * batch), or None if its computation failed."""
        self.ready[k].wait()
        return None if self.failed else self.xp[k]


class _Behind:
    """Chunks the backward loop has finished, handed to whichever thread is free."""

    def __init__(self, work):
        self.work_on, self.queue = work, queue.SimpleQueue()

    def close(self):
        self.queue.put(None)
        self.queue.put(None)  # one end mark per thread

    def work(self):
        while (k := self.queue.get()) is not None:
            self.work_on(k)


def _forward(steps, w, b, keep_x, step, hs, seq):
    """Run ``step(s, xp_s)`` over the steps, xp_s the step's projected input
    (gates * units, batch), with the projection computed beside the loop, then the outputs
    turned from the states ``hs`` into ``seq`` by chunks, behind it."""
    proj = _Projection(steps, w, b, keep_x)
    bounds = steps.bounds
    behind = _Behind(lambda k: steps.sequence(hs, seq, bounds[k], bounds[k + 1]))
    running = threading.Event()

    def loop():
        running.set()
        try:
            for k in range(len(bounds) - 1):
                xp = proj.wait(k)
                if xp is None:
                    return
                s0, batch = bounds[k], steps.batch
                for s in range(s0, bounds[k + 1]):
                    j = (s - s0) * batch
                    step(s, xp[:, j:j + batch])
                behind.queue.put(k)
        finally:
            behind.close()
        behind.work()

    def first():
        proj.produce()
        if running.is_set():  # the loop runs on another thread: help it (else it does all)
            behind.work()

    side_by_side(first, loop)
    return proj.xt


def _backward(steps, step, chunk_work):
    """Run ``step(s)`` from the last step to the first, and ``chunk_work(k)`` for each chunk
    once its steps are done, beside the loop."""
    behind = _Behind(chunk_work)
    bounds = steps.bounds

    def first():
        try:
            for k in range(len(bounds) - 2, -1, -1):
                for s in range(bounds[k + 1] - 1, bounds[k] - 1, -1):
                    step(s)
                behind.queue.put(k)
        finally:
            behind.close()
        behind.work()

    side_by_side(first, behind.work)


class _Partials:
    """Per-chunk partial sums of the weight gradients, added in chunk order by :meth:`total`
    (so the result does not depend on which thread computed which chunk)."""

    def __init__(self):
        self.parts = {}

    def add(self, k, name, value):
        self.parts.setdefault(name, {})[k] = value

    def total(self, name, shape, dtype, transposed=False):
        """The sum of ``name``'s parts, of ``shape`` (the parts hold its transpose when
        ``transposed``)."""
        chunks = self.parts.get(name)
        if not chunks:  # no steps
            return np.zeros(shape, dtype)
        first, *rest = (chunks[k] for k in sorted(chunks))
        out = first.copy()
        for part in rest:
            out += part
        return out.T if transposed else out


def _chunk_grads(steps, xt, ds, rows, states, w, need, parts, dx):
    """The work of backward chunk k on the gate gradients ``ds`` (time, ., batch): with
    dz_x = ds rows ``rows[0]`` (the input side) and dz_h = rows ``rows[1]`` (the recurrent
    side), as (gates * units, L * batch): [dW; db]^T = dz_x @ [x, 1], dU^T = dz_h @ h_prev
    (``states`` (time, units, batch): what the recurrent product took), the recurrent side's
    bias gradient (``need_bh``) and dx = dz_x^T @ w, w (gates * units, features)."""
    need_w, need_u, need_bh = need
    st = steps

    def work(k):
        s0, s1 = st.bounds[k], st.bounds[k + 1]
        block = np.ascontiguousarray(ds[s0:s1].transpose(1, 0, 2)).reshape(ds.shape[1], -1)
        dz_x = block[rows[0]]
        dz_h = block[rows[1]]
        # the products as dz @ rows (no transposed operand: measured faster), transposed back
        # once by _Partials.total
        if need_w:
            parts.add(k, "wb", dz_x @ xt[k])
        if need_u:
            h_prev = np.ascontiguousarray(states[s0:s1].transpose(1, 0, 2))
            parts.add(k, "u", dz_h @ h_prev.reshape(st.units, -1).T)
        if need_bh:
            parts.add(k, "bh", dz_h.sum(axis=1))
        if dx is not None:
            st.put_dx(dx, s0, s1, dz_x.T @ w)

    return work


def _recording(inputs):
    return is_grad_enabled() and any(t.requires_grad for t in inputs)


def _slots(rec, time):
    """How many steps a buffer holds: all of them when backward will read them, else one."""
    return time if rec else 1


def _packed(op, st, n_states):
    """The op's packed result (the sequence, then each final state) and its sequence part
    as (batch, time, units)."""
    n = st.batch * st.time * st.units
    packed = np.empty(n + n_states * st.batch * st.units, st.dtype)
    op.seq_shape, op.state_shape = (st.batch, st.time, st.units), (st.batch, st.units)
    return packed, packed[:n].reshape(op.seq_shape)


def _put_states(packed, st, finals):
    """The final states (units, batch) into the packed result, after the sequence."""
    n = st.batch * st.time * st.units
    for k, f in enumerate(finals):
        packed[n + k * f.size:n + (k + 1) * f.size] = f.T.reshape(-1)
    return packed


class _Fast:
    """What the three kernels share: whether forward must keep its buffers for backward."""

    def __call__(self, *inputs):
        self.recording = _recording(inputs)
        return super().__call__(*inputs)


class LSTM(_Fast, recurrent.LSTM):
    """The LSTM of the readable op, its gates reordered to i, f, o, c inside."""

    def forward(self, x, h0, c0, kernel, recurrent_kernel, bias=None):
        u = h0.shape[1]
        st = _Steps(self, x, u)
        batch, time, dt, rec = st.batch, st.time, x.dtype, self.recording
        order = np.r_[0:2 * u, 3 * u:4 * u, 2 * u:3 * u]
        half = np.ones(4 * u, dt)
        half[:3 * u] = 0.5
        rk_t = _t(recurrent_kernel[:, order] * half)                  # (4u, u)
        n = _slots(rec, time)
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
        packed, seq = _packed(self, st, 2)
        xt = _forward(st, w, None if bias is None else bias[order] * half, rec, step, hs, seq)
        if rec:
            self.saved = (st, xt, tb, tc, cs, hs, hd, order)
            self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        return _put_states(packed, st, [hs[time], cs[time % nc]])

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

        parts = _Partials()
        dx = np.empty(st.x.shape, dt) if need[0] else None
        has_bias = len(need) > 5 and need[5]
        w4 = _t(self.kernel[:, order] * quarter)                     # (4u, F)
        rows = slice(0, 4 * u)
        work = _chunk_grads(st, xt, da, (rows, rows), hd if dropped else hs, w4,
                            (need[3] or has_bias, need[4], False), parts, dx)
        _backward(st, step, work)
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


class GRU(_Fast, recurrent.GRU):
    """The GRU of the readable op (``reset_after=True``; the other form runs the readable
    op). The recurrent bias of z and r is added with the input's, once per call."""

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None):
        self.fused = self.reset_after
        if not self.fused:
            return super().forward(x, h0, kernel, recurrent_kernel, bias)
        u = h0.shape[1]
        st = _Steps(self, x, u)
        batch, time, dt, rec = st.batch, st.time, x.dtype, self.recording
        half = np.ones(3 * u, dt)
        half[:2 * u] = 0.5
        b_x = b_h = None
        if bias is not None:
            b_x = bias[0] * half
            b_x[:2 * u] += bias[1, :2 * u] * 0.5
            b_h = bias[1, 2 * u:, None]
        rk_t = _t(recurrent_kernel * half)                            # (3u, u)
        n = _slots(rec, time)
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

        packed, seq = _packed(self, st, 1)
        xt = _forward(st, kernel * half, b_x, rec, step, hs, seq)
        if rec:
            self.saved = (st, xt, qs, tz, sg, ns, diff, hs, hd)
            self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        return _put_states(packed, st, [hs[time]])

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

        parts = _Partials()
        dx = np.empty(st.x.shape, dt) if need[0] else None
        has_bias = len(need) > 4 and need[4]
        w3 = _t(self.kernel[:, hzr] * q_hzr)                         # (3u, F)
        work = _chunk_grads(st, xt, ds, (slice(0, 3 * u), slice(u, 4 * u)),
                            hd if dropped else hs, w3, (need[2] or has_bias, need[3], has_bias),
                            parts, dx)
        _backward(st, step, work)
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


class SimpleRNN(_Fast, recurrent.SimpleRNN):
    """The simple RNN of the readable op on feature-major buffers."""

    def forward(self, x, h0, kernel, recurrent_kernel, bias=None):
        u = h0.shape[1]
        st = _Steps(self, x, u)
        batch, time, dt, rec = st.batch, st.time, x.dtype, self.recording
        rk_t = _t(recurrent_kernel)
        hs = np.empty((time + 1, u, batch), dt)
        hs[0] = h0.T
        masked, dropped = st.keep is not None, st.recurrent_mask is not None
        relu = self.activation == "relu"
        hd = np.empty((_slots(rec, time), u, batch), dt) if dropped else None

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

        packed, seq = _packed(self, st, 1)
        xt = _forward(st, kernel, bias, rec, step, hs, seq)
        if rec:
            self.saved = (st, xt, hs, hd)
            self.kernel, self.recurrent_kernel = kernel, recurrent_kernel
        return _put_states(packed, st, [hs[time]])

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

        parts = _Partials()
        dx = np.empty(st.x.shape, dt) if need[0] else None
        has_bias = len(need) > 4 and need[4]
        rows = slice(0, u)
        work = _chunk_grads(st, xt, dz, (rows, rows), hd if dropped else hs, _t(self.kernel),
                            (need[2] or has_bias, need[3], False), parts, dx)
        _backward(st, step, work)
        dk = db = du = None
        if need[2] or has_bias:
            wb = parts.total("wb", (st.features + 1, u), dt, True)
            dk, db = (wb[:-1] if need[2] else None), (wb[-1] if has_bias else None)
        if need[3]:
            du = parts.total("u", self.recurrent_kernel.shape, dt, True)
        return (dx, grads[0].T if need[1] else None, dk, du, db)[:len(need)]
