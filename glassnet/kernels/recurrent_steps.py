"""The machinery the fast recurrent kernels (``glassnet.kernels.recurrent``) share: one
call's steps and their buffers, and the large products run beside the loop over steps.

- A step works on transposed arrays, (units, batch) and (gates * units, batch): every gate
  block is then a contiguous run of rows (NumPy's contiguous loops cost half of its strided
  ones on arrays this small), and the step's product is U^T @ h^T. Each is a slice of a
  (time, ..., batch) buffer in the order the steps run, written with ``out=``: a step
  allocates nothing. The chunks of projected inputs and of gate gradients are transposed
  beside the loop; the sequence once at the end (:class:`Steps`).
- The loop runs on one core and waits on small products. The large ones (the input
  projection with the bias as a row of ones in forward; dx and the weight gradients, bias
  included, in backward) are cut into chunks of steps and run on the pool's second thread
  (``threads``) as the loop reaches them: in forward ahead of it, in backward behind it (the
  loop's thread takes its share once the loop is done) (:func:`run_forward`,
  :func:`run_backward`). Partial weight gradients are added in chunk order: the result does
  not depend on which thread computed a chunk (:class:`Partials`). Outside a pool, or with
  one thread, the same chunks run in turn.

>>> chunk_bounds(40)
[0, 4, 12, 28, 40]
"""

from __future__ import annotations

import queue
import threading

import numpy as np

from glassnet.autograd.grad_mode import is_grad_enabled
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


def transposed(a):
    """A (batch, n) array as a contiguous (n, batch) one."""
    return np.ascontiguousarray(a.T)


class Steps:
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
        self.recurrent_mask = None if m is None else transposed(m)        # (units, batch)
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
        gstates = [transposed(s) for s in gstates]
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
        self.wb_t = transposed(wb)
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


def run_forward(steps, w, b, keep_x, step, hs, seq):
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


def run_backward(steps, step, chunk_work):
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


class Partials:
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


def chunk_grads(steps, xt, ds, rows, states, w, need, parts, dx):
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
        # once by Partials.total
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
    """Whether backward can run on the result: grad mode on and an input requiring grad."""
    return is_grad_enabled() and any(t.requires_grad for t in inputs)


def slots(rec, time):
    """How many steps a buffer holds: all of them when backward will read them, else one."""
    return time if rec else 1


def packed_result(op, st, n_states):
    """The op's packed result (the sequence, then each final state) and its sequence part
    as (batch, time, units)."""
    n = st.batch * st.time * st.units
    packed = np.empty(n + n_states * st.batch * st.units, st.dtype)
    op.seq_shape, op.state_shape = (st.batch, st.time, st.units), (st.batch, st.units)
    return packed, packed[:n].reshape(op.seq_shape)


def put_states(packed, st, finals):
    """The final states (units, batch) into the packed result, after the sequence."""
    n = st.batch * st.time * st.units
    for k, f in enumerate(finals):
        packed[n + k * f.size:n + (k + 1) * f.size] = f.T.reshape(-1)
    return packed


class FastRecurrence:
    """What the three kernels share: whether forward must keep its buffers for backward."""

    def __call__(self, *inputs):
        self.recording = _recording(inputs)
        return super().__call__(*inputs)
