"""The trick: the dense layer's products split over the threads, its weight gradient written
into a reused buffer.

Replaces ``glassnet.autograd.ops.arithmetic.Linear`` (y = x @ w + b) inside a
``training()`` / ``inference()`` block; the same formulas, with ``gemm.matmul`` and
``gemm.matmul_tn`` for the three products and ``grad_buffers.out_for`` for dw.
"""

from __future__ import annotations

from glassnet.autograd.ops import arithmetic
from glassnet.kernels import gemm, grad_buffers


class Linear(arithmetic.Linear):
    """y = x @ w + b;  dx = gy @ w.T,  dw = x.T @ gy,  db = sum of gy (see the readable op)."""

    def forward(self, x, w, b):
        if x.ndim == 0 or w.ndim != 2 or x.shape[-1] != w.shape[0]:
            raise ValueError("shape mismatch")
        self.x, self.w = x, w
        y = gemm.matmul(x, w)
        y += b
        return y

    def backward(self, gy):
        need_x, need_w, need_b = self.needs_input_grad
        x, w = self.x, self.w
        gy2 = gy.reshape(-1, gy.shape[-1])
        gw = gx = None
        if need_w:
            gw = gemm.matmul_tn(x.reshape(-1, x.shape[-1]), gy2,
                                out=grad_buffers.out_for(self.inputs[1]))
        if need_x:
            gx = gemm.matmul(gy, w.T)
        return gx, gw, gy2.sum(axis=0) if need_b else None
