"""The trick: scaled dot-product attention in blocks of the batch x heads axis that stay in
cache through every pass, the passes cut from seven to three, split over the threads.

Replaces ``ScaledDotProductAttention`` of ``glassnet.autograd.ops.attention`` inside a
``training()`` / ``inference()`` block: the same results to rounding (float32 to about 1e-6
relative, float64 to 1e-14), the same dropout draws, the generator left in the same state.

- Blocks: the batch axes are flattened (N rows of (L, S) scores) and cut into blocks of about
  ``BLOCK_BYTES``; a block goes through all its passes and both products before the next
  starts (the readable op makes each pass over the whole array: 20 MB at batch 32, 4 heads and
  200 steps). Each thread takes a contiguous run of rows and writes only its rows of the
  outputs; broadcast batch axes are summed back once at the end (``unbroadcast``).
- Three passes: NumPy's row maximum, and any (L, S) op with an (L, 1) operand, cost 3-4x a
  plain elementwise pass (a loop per row of 200), so the rows are not shifted by their
  maximum: E = exp(scores), t = sum_j E_ij (einsum), and P = E / t is never formed: 1/t scales
  the (L, Ev) output, and in backward the rows of dQ, of s Q and of dO. A row whose t leaves
  [TINY, HUGE] (scores beyond about +-35, or every key masked) is redone as the readable op
  does it. In backward sum_j dP_ij P_ij = sum_e dO_ie O_ie (as FlashAttention) comes from the
  small arrays, so dS = P * (dO V^T - r) is one product of [dO, -r] and [V, 1]^T and one
  multiply (with dropout the keep mask comes between them). E is recomputed in backward, not
  kept: one product and one exp, about what writing and reading 20 MB costs, for no memory.
- A mask shared by every row (``is_causal``, a 2-D bool mask) cuts the queries into tiles that
  skip the keys they never see (a causal mask: 5/8 of the work in 4 tiles) and is added as one
  contiguous (rows, keys) array per tile, one loop instead of one per row.
- K^T and V^T are made contiguous: OpenBLAS took 6x longer on q @ k^T through a transposed
  view (an inner dimension of 16) than with contiguous operands.
- Dropout draws the readable op's numbers: one float32 uniform u per weight, in C order over
  the whole scores array, kept where u >= p. NumPy's float32 uniform is (x >> 8) * 2**-24 for
  the generator's next 32-bit output x, so "u >= p" is "x >= 256 t" for an integer t
  (:func:`keep_threshold`). The kernel reads those outputs straight from the bit generator
  (``random_raw``: half the cost of ``random``) and, for PCG64 (NumPy's default), each thread
  starts a copy of the generator at its own first draw (``advance``), so the draws run in
  parallel; the generator is then moved to where the readable op leaves it. Other bit
  generators draw the whole mask first, as the readable op does. The mask is kept as bool.
- Nothing of the scores' size is kept when no graph is recorded (``no_grad``, or no input
  requires grad).

Measured at batch 32, 4 heads of 16, 200 steps, forward + backward on one core: 27 ms without
dropout (readable op 48, PyTorch 24), 47 ms with dropout 0.1 (readable 70, PyTorch 98);
``benchmarks/attention_step.py`` runs the comparison.

>>> import numpy as np
>>> from glassnet import backend
>>> q = k = v = np.ones((2, 3, 5, 4))
>>> with backend.using_kernels({attention.ScaledDotProductAttention: ScaledDotProductAttention}):
...     y = attention.scaled_dot_product_attention(q, k, v, is_causal=True)
>>> y.shape
(2, 3, 5, 4)
"""

from __future__ import annotations

import math
import sys

import numpy as np

from glassnet.autograd.broadcast import unbroadcast
from glassnet.autograd.grad_mode import is_grad_enabled
from glassnet.autograd.ops import attention
from glassnet.kernels import threads

# The scores of one block: at L = S = 200 (160 KB a row) blocks of 2-6 rows ran alike, 8 and
# more slower (with the block's other buffers, past a core's 2 MB L2); one row when larger.
BLOCK_BYTES = 1 << 19

# A row whose t = sum_j exp(score_ij) leaves [TINY, HUGE] is redone with its maximum: below,
# its largest terms near the subnormals lose precision; above, E * dS might overflow.
TINY, HUGE = 2.0**-50, 2.0**50

# Tiles of queries under a shared mask (L >= 128; 2 from L = 32): measured on a causal mask at
# L = 200, 4 tiles saved 14% of forward + backward, 2 tiles 7%, 8 tiles 6%.
TILE_PARTS = 4

# Bit generators whose copies can be moved to any draw at once (``advance(n)``: n 64-bit
# outputs) and whose 32-bit outputs are the halves of the 64-bit ones, low half first.
_ADVANCING = (np.random.PCG64, np.random.PCG64DXSM)


def keep_threshold(rate) -> int:
    """The integer t with "(x >> 8) >= t" exactly where the readable op's float32 draw
    u = (x >> 8) * 2**-24 satisfies "u >= rate" (compared as the readable op compares them);
    2**24 when no draw is kept.

    >>> keep_threshold(0.5)
    8388608
    """
    base = int(float(rate) * 2**24)
    ks = np.arange(max(base - 2, 0), min(base + 2, 2**24) + 1)
    kept = ks.astype(np.float32) * np.float32(2.0**-24) >= rate
    return int(ks[kept.argmax()]) if kept.any() else 2**24


class _Draws:
    """The generator's 32-bit outputs from the ``start``-th one on (counted from ``state``,
    whose buffered half, if any, comes first, as in NumPy's own float32 draws), turned into
    keep flags a block at a time."""

    def __init__(self, kind, state, start, threshold):
        self.bits = kind(0)  # any seed: the state is overwritten
        self.bits.state = state
        self.threshold = np.uint32(threshold << 8)
        self.pending = None
        if state["has_uint32"]:
            if start == 0:
                self.pending = state["uinteger"]
                return
            start -= 1
        self.bits.advance(start // 2)
        if start % 2:
            self.pending = int(self.bits.random_raw()) >> 32

    def fill(self, keep):
        """The next ``keep.size`` flags into ``keep`` (a contiguous bool array)."""
        flat, done = keep.reshape(-1), 0
        if self.pending is not None and flat.size:
            flat[0] = self.pending >= self.threshold
            self.pending, done = None, 1
        rest = flat.size - done
        if rest:
            words = self.bits.random_raw((rest + 1) // 2).view(np.uint32)
            np.greater_equal(words[:rest], self.threshold, out=flat[done:])
            if rest % 2:
                self.pending = int(words[rest])


def state_after(kind, state, n):
    """The bit generator's state after NumPy drew ``n`` float32 uniforms from ``state``."""
    if n == 0:
        return state
    p = n - state["has_uint32"]  # outputs beyond the buffered half
    if p == 0:
        return {**state, "has_uint32": 0}
    bits = kind(0)
    bits.state = state
    bits.advance((p - 1) // 2)
    last = int(bits.random_raw())  # the 64-bit output holding the n-th draw
    return {**bits.state, "has_uint32": p % 2, "uinteger": last >> 32}


class _Dropout:
    """The keep flags of the readable op's draws, read by rows of the flattened batch."""

    def __init__(self, rng, rate, n, row_size):
        self.row_size = row_size
        self.threshold = keep_threshold(rate)
        self.kind = type(rng.bit_generator)
        self.state = rng.bit_generator.state
        self.drawn = None
        if self.kind not in _ADVANCING or sys.byteorder != "little":
            self.drawn = rng.random(n * row_size, dtype=np.float32) >= rate
        else:
            rng.bit_generator.state = state_after(self.kind, self.state, n * row_size)

    def reader(self, row):
        """A function filling the keep flags of the next rows, from ``row`` on."""
        if self.drawn is not None:
            at = [row * self.row_size]

            def from_drawn(keep):
                np.copyto(keep.reshape(-1), self.drawn[at[0]:at[0] + keep.size])
                at[0] += keep.size
            return from_drawn
        if self.threshold >= 2**24:
            return lambda keep: keep.fill(False)
        return _Draws(self.kind, self.state, row * self.row_size, self.threshold).fill


class _Rows:
    """A mask that broadcasts to (*batch, L, S), read by rows of the flattened batch: a view
    when the rows it covers are consecutive or all one, else a small gather. ``shared``: one
    full (L, S) mask for every row."""

    def __init__(self, a, batch, scores):
        a = a.reshape((1,) * (len(batch) + 2 - a.ndim) + a.shape)
        own = a.shape[:-2]
        self.flat = a.reshape(-1, *a.shape[-2:])
        self.index = None
        if math.prod(own) > 1:
            labels = np.arange(math.prod(own)).reshape(own)
            self.index = np.broadcast_to(labels, batch).reshape(-1)
        self.shared = self.index is None and self.flat.shape[1:] == tuple(scores)

    def rows(self, lo, hi):
        if self.index is None:
            return self.flat
        idx = self.index[lo:hi]
        first, n = int(idx[0]), hi - lo
        if int(idx[-1]) - first == n - 1 and (n < 3 or (np.diff(idx) == 1).all()):
            return self.flat[first:first + n]
        if (idx == first).all():
            return self.flat[first:first + 1]
        return self.flat[idx]


def _flat(a, batch, n):
    """``a`` broadcast to (*batch, rows, columns) as (n, rows, columns); a view when it can."""
    return np.broadcast_to(a, (*batch, *a.shape[-2:])).reshape(n, *a.shape[-2:])


def _safe_softmax(s):
    """The readable op's softmax along the last axis of ``s``, in place: shifted by the row
    maximum, rows of -inf only giving 0."""
    top = s.max(axis=-1, keepdims=True)
    top[np.isneginf(top)] = 0
    np.exp(np.subtract(s, top, out=s), out=s)
    total = s.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    s /= total


def _cut(block, a, b, k0, k1):
    """Rows a..b - 1 and columns k0..k1 - 1 of a mask block (axes of size 1 broadcast)."""
    rows = slice(None) if block.shape[-2] == 1 else slice(a, b)
    cols = slice(None) if block.shape[-1] == 1 else slice(k0, k1)
    return block[..., rows, cols]


def _tiles(masks, L, S):
    """Tiles (a, b, k0, k1) of the (L, S) scores, query rows a..b - 1 and the keys k0..k1 - 1
    they may attend to given the masks shared by all rows, with the sum of those masks on
    each tile as a contiguous array (or None): its add then runs as one loop over the tile, not
    one per row. One tile unless cutting saves a fifth of the work (a causal mask in 4 tiles:
    5/8 of it)."""
    shared = [m.flat[0] for m in masks if m.shared]
    if not shared:
        return [(0, L, 0, S)], [None]
    live = np.logical_and.reduce([~np.isneginf(m) for m in shared])
    tiles = [(0, L, 0, S)]
    if L >= 32:
        parts = TILE_PARTS if L >= 128 else 2
        cuts = [L * i // parts for i in range(parts + 1)]
        cut = []
        for a, b in zip(cuts, cuts[1:]):
            keys = live[a:b].any(axis=0)
            k0, k1 = int(keys.argmax()), int(S - keys[::-1].argmax())
            cut.append((a, b, k0, k1) if keys.any() else (a, b, 0, 1))  # E = 0: redone
        if sum((b - a) * (k1 - k0) for a, b, k0, k1 in cut) <= 0.8 * L * S:
            tiles = cut
    total = shared[0] if len(shared) == 1 else sum(shared[1:], shared[0])
    return tiles, [np.ascontiguousarray(total[a:b, k0:k1]) for a, b, k0, k1 in tiles]


class ScaledDotProductAttention(attention.ScaledDotProductAttention):
    """The readable op computed block by block over the flattened batch, split over the
    threads (see the module docstring); same constructor, same results."""

    def __call__(self, *inputs):
        self.recording = is_grad_enabled() and any(t.requires_grad for t in inputs)
        return super().__call__(*inputs)

    def forward(self, q, k, v, mask=None):
        dtype = q.dtype
        addends = [a for a in (mask, self.additive) if a is not None]
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2],
                                    *(a.shape[:-2] for a in addends))
        (L, E), S, Ev = q.shape[-2:], k.shape[-2], v.shape[-1]
        self.readable = (0 in (L, S, math.prod(batch), E)
                         or any(a.dtype != dtype for a in addends))
        if self.readable:  # empty, or a mask of another dtype: the readable op's casts
            return super().forward(q, k, v, mask)
        n = self.n = math.prod(batch)
        self.batch = batch
        self.shapes = (q.shape, k.shape, v.shape, None if mask is None else mask.shape)
        qf, self.kf, self.vf = (_flat(a, batch, n) for a in (q, k, v))
        self.masks = [_Rows(a, batch, (L, S)) for a in addends]
        self.tiles, self.tile_masks = _tiles(self.masks, L, S)
        rec = getattr(self, "recording", is_grad_enabled())
        self.qs, self.kt = np.empty((n, L, E), dtype), np.empty((n, E, S), dtype)
        self.t = t = np.empty((n, L), dtype)
        self.exact = np.zeros((n, L), bool)  # rows redone with their maximum
        self.kept, rate = None, self.rate
        self.kept_scale = dtype.type(1.0 if rate == 0 else 1.0 / (1.0 - rate) if rate < 1 else 0.0)
        if rate > 0:
            dropout = _Dropout(self.rng, rate, n, L * S)
            self.kept = np.empty((n, L, S), bool) if rec else None
        out = np.empty((n, L, Ev), dtype)
        (step, area), scale = self._step(), dtype.type(self.scale)

        @_quiet_overflow
        def part(lo, hi):
            np.multiply(qf[lo:hi], scale, out=self.qs[lo:hi])
            np.copyto(self.kt[lo:hi], self.kf[lo:hi].transpose(0, 2, 1))
            size = min(step, hi - lo)
            own = np.empty(size * area, dtype)
            if rate > 0:
                draw = dropout.reader(lo)
                weights = np.empty(size * area, dtype)
                own_keep = None if rec else np.empty((size, L, S), bool)
            for b0 in range(lo, hi, step):
                b1 = min(b0 + step, hi)
                if rate > 0:
                    keep = self.kept[b0:b1] if rec else own_keep[:b1 - b0]
                    draw(keep)
                for j, (a, b, k0, k1) in enumerate(self.tiles):
                    e = own[:(b1 - b0) * (b - a) * (k1 - k0)].reshape(b1 - b0, b - a, k1 - k0)
                    self._weights(b0, b1, j, e, redo=False)
                    tb = np.einsum("...ij->...i", e, out=t[b0:b1, a:b])
                    if not (tb.min() >= TINY and tb.max() <= HUGE):  # NaN too
                        bad = ~((tb >= TINY) & (tb <= HUGE))
                        self._exact(e, bad, b0, b1, j)
                        self.exact[b0:b1, a:b] = bad
                        tb[bad] = 1
                    d = e
                    if rate > 0:
                        d = weights[:e.size].reshape(e.shape)
                        np.copyto(d, keep[:, a:b, k0:k1])
                        np.multiply(e, d, out=d)
                    np.matmul(d, self.vf[b0:b1, k0:k1], out=out[b0:b1, a:b])
            out[lo:hi] *= (self.kept_scale / t[lo:hi])[..., None]

        threads.over_batch(part, n, n * L * S)
        self.out = out  # (not changed by the caller, as every op's output)
        return out.reshape(*batch, L, Ev)

    def _step(self):
        """Rows of the flattened batch per block (a block's largest tile in BLOCK_BYTES), and
        the size of that tile."""
        area = max((b - a) * (k1 - k0) for a, b, k0, k1 in self.tiles)
        return max(1, BLOCK_BYTES // (area * self.t.dtype.itemsize)), area

    def _weights(self, b0, b1, j, e, redo):
        """E = exp(scores) of rows b0..b1 - 1 on tile ``j``, into ``e``; with ``redo`` the
        rows redone exactly in forward are redone again (backward then sees forward's E)."""
        a, b, k0, k1 = self.tiles[j]
        np.matmul(self.qs[b0:b1, a:b], self.kt[b0:b1, :, k0:k1], out=e)
        if self.tile_masks[j] is not None:
            np.add(e, self.tile_masks[j], out=e)
        for m in self.masks:
            if not m.shared:
                np.add(e, _cut(m.rows(b0, b1), a, b, k0, k1), out=e)
        np.exp(e, out=e)
        if redo and self.exact[b0:b1, a:b].any():
            self._exact(e, self.exact[b0:b1, a:b], b0, b1, j)

    def _exact(self, e, bad, b0, b1, j):
        """The rows ``bad`` ((b1 - b0, tile rows) flags) of the block ``e`` of tile ``j``
        replaced by their P as the readable op computes it (scores less their maximum); their
        t is then 1."""
        a, b, k0, k1 = self.tiles[j]
        s = np.matmul(self.qs[b0:b1, a:b], self.kt[b0:b1])
        for m in self.masks:
            s += _cut(m.rows(b0, b1), a, b, 0, s.shape[-1])
        _safe_softmax(s)
        e[bad] = s[..., k0:k1][bad]

    def backward(self, go):
        if self.readable:
            return super().backward(go)
        need = self.needs_input_grad
        need_s = any(need[:2]) or (len(need) > 3 and need[3])  # dS is needed
        n, L, dtype = self.n, self.qs.shape[1], self.t.dtype
        S, Ev = self.kf.shape[1], go.shape[-1]
        rate, ks, scale = self.rate, self.kept_scale, dtype.type(self.scale)
        tiled, redo = len(self.tiles) > 1, bool(self.exact.any())
        gof = go.reshape(n, L, Ev)
        inv_t = 1 / self.t
        r = np.empty((n, L), dtype) if need_s else None
        va = np.empty((n, Ev + 1, S), dtype) if need_s else None
        ga = np.empty((n, L, Ev + 1 if rate == 0 else Ev), dtype) if need_s else None
        # Tiles add up their parts of dK and dV; one that sees every key (a causal mask's
        # last) goes first and writes them whole, else they start from zeros.
        order = sorted(range(len(self.tiles)), key=lambda j: self.tiles[j][2:] != (0, S))
        from_zero = self.tiles[order[0]][2:] != (0, S)
        grads = [np.empty(self.qs.shape, dtype) if need[0] else None]
        grads += [(np.zeros if from_zero else np.empty)(a.shape, dtype) if need[i] else None
                  for i, a in ((1, self.kf), (2, self.vf))]
        if len(need) > 3:
            grads.append((np.zeros if tiled else np.empty)((n, L, S), dtype) if need[3] else None)
        dq, dk, dv = grads[:3]
        dm = grads[3] if len(grads) > 3 else None
        qw = np.empty(self.qs.shape, dtype) if dk is not None else None     # s Q / t
        gw = np.empty(gof.shape, dtype) if dv is not None else None         # ks dO / t
        step, area = self._step()

        @_quiet_overflow
        def part(lo, hi):
            if need_s:  # [dO, -r] @ [V, 1]^T = dO V^T - r; with dropout keep comes between
                # r_i = sum_j dP_ij P_ij = sum_e dO_ie O_ie
                np.einsum("nle,nle->nl", gof[lo:hi], self.out[lo:hi], out=r[lo:hi])
                np.copyto(va[lo:hi, :-1], self.vf[lo:hi].transpose(0, 2, 1))
                va[lo:hi, -1] = 1
                np.multiply(gof[lo:hi], ks, out=ga[lo:hi, :, :Ev])
                if rate == 0:
                    ga[lo:hi, :, -1] = -r[lo:hi]
            if qw is not None:  # (einsum scales rows of 16 faster than a broadcast multiply)
                np.einsum("nle,nl->nle", self.qs[lo:hi], inv_t[lo:hi], out=qw[lo:hi])
            if gw is not None:
                np.einsum("nle,nl->nle", gof[lo:hi], ks * inv_t[lo:hi], out=gw[lo:hi])
            vb = None if va is None else va[:, :-1] if rate > 0 else va
            size = min(step, hi - lo)
            own_e, own_s, weights = np.empty((3, size * area), dtype)
            sums = np.empty(size * S * max(Ev, self.qs.shape[-1]), dtype)
            for b0 in range(lo, hi, step):
                b1 = min(b0 + step, hi)
                for j in order:
                    a, b, k0, k1 = self.tiles[j]
                    add = j != order[0] or from_zero
                    shape = (b1 - b0, b - a, k1 - k0)
                    e = own_e[:math.prod(shape)].reshape(shape)
                    self._weights(b0, b1, j, e, redo)
                    if rate > 0:
                        kept = weights[:e.size].reshape(shape)
                        np.copyto(kept, self.kept[b0:b1, a:b, k0:k1])
                    if need_s:  # ds = E * (dP - r) = t dS
                        ds = own_s[:e.size].reshape(shape)
                        np.matmul(ga[b0:b1, a:b], vb[b0:b1, :, k0:k1], out=ds)
                        if rate > 0:
                            ds *= kept
                            ds -= r[b0:b1, a:b, None]
                        ds *= e
                        if dm is not None:
                            np.multiply(ds, inv_t[b0:b1, a:b, None], out=dm[b0:b1, a:b, k0:k1])
                        if dq is not None:
                            np.matmul(ds, self.kf[b0:b1, k0:k1], out=dq[b0:b1, a:b])
                        if dk is not None:
                            _product_into(dk[b0:b1, k0:k1], ds.transpose(0, 2, 1),
                                          qw[b0:b1, a:b], add, sums)
                    if dv is not None:  # D^T dO with D = E * keep * ks / t
                        d = e if rate == 0 else np.multiply(e, kept, out=kept)
                        _product_into(dv[b0:b1, k0:k1], d.transpose(0, 2, 1),
                                      gw[b0:b1, a:b], add, sums)
            if dq is not None:  # dQ = s dS K = (s / t) ds K
                dq[lo:hi] *= (scale * inv_t[lo:hi])[..., None]

        threads.over_batch(part, n, n * L * S)
        shapes = self.shapes
        return tuple(None if g is None else
                     unbroadcast(g.reshape(*self.batch, *g.shape[1:]), shapes[i])
                     for i, g in enumerate(grads))


def _quiet_overflow(fn):
    """``fn`` under np.errstate(over="ignore"), in whichever thread runs it (the setting is
    per thread): exp of scores over 88 (float32) overflows, and those rows are redone."""
    def quiet(*args):
        with np.errstate(over="ignore"):
            return fn(*args)
    return quiet


def _product_into(out, a, b, add, scratch):
    """out = a @ b, or out += a @ b (through ``scratch``) when ``add``."""
    if not add:
        np.matmul(a, b, out=out)
        return
    part = scratch[:out.size].reshape(out.shape)
    np.matmul(a, b, out=part)
    out += part
