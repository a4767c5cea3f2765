"""Conv2D on a GPU: im2col and col2im as single CUDA kernels around cuBLAS GEMMs.

The readable op pads the input, takes a strided view of every window and copies it into the
column matrix, and its input gradient loops over the kernel offsets (one GEMM and one strided
add each). Here one kernel writes the columns straight from the unpadded input (zeros where a
window leaves it), and one kernel sums each input element's gradient from the columns that
read it (a gather, so no atomics): with cuBLAS for the three GEMMs that is five launches for a
whole convolution step.

    y   = cols @ w.reshape(KH*KW*C, F)          cols: (N*OH*OW, KH*KW*C), rows (kh, kw, c)
    dw  = cols.T @ dy
    dx  = col2im(dy @ w.T)
"""

from __future__ import annotations

import functools

from glassnet.autograd.ops import convolution

_GEOMETRY = ("int32 H, int32 W, int32 C, int32 OH, int32 OW, int32 KH, int32 KW, "
             "int32 SH, int32 SW, int32 DH, int32 DW, int32 PT, int32 PL")


@functools.cache
def _kernels():
    import cupy

    im2col = cupy.ElementwiseKernel(
        "raw T x, " + _GEOMETRY, "T col",
        """
        const long long K = (long long)KH * KW * C;
        const long long row = i / K, k = i % K;
        const int n = row / ((long long)OH * OW);
        const int r = row % ((long long)OH * OW);
        const int oh = r / OW, ow = r % OW;
        const int kh = k / ((long long)KW * C);
        const int rest = k % ((long long)KW * C);
        const int kw = rest / C, c = rest % C;
        const int ih = oh * SH - PT + kh * DH;
        const int iw = ow * SW - PL + kw * DW;
        col = (ih >= 0 && ih < H && iw >= 0 && iw < W)
            ? x[(((long long)n * H + ih) * W + iw) * C + c] : (T)0;
        """, "glassnet_im2col_nhwc")
    col2im = cupy.ElementwiseKernel(
        "raw T dcol, " + _GEOMETRY, "T dx",
        """
        const int c = i % C;
        const long long pixel = i / C;
        const int iw = pixel % W;
        const int ih = (pixel / W) % H;
        const int n = pixel / ((long long)W * H);
        const long long K = (long long)KH * KW * C;
        T sum = 0;
        for (int kh = 0; kh < KH; ++kh) {
            const int hs = ih + PT - kh * DH;
            if (hs < 0 || hs % SH) continue;
            const int oh = hs / SH;
            if (oh >= OH) continue;
            for (int kw = 0; kw < KW; ++kw) {
                const int ws = iw + PL - kw * DW;
                if (ws < 0 || ws % SW) continue;
                const int ow = ws / SW;
                if (ow >= OW) continue;
                const long long row = ((long long)n * OH + oh) * OW + ow;
                sum += dcol[row * K + ((long long)kh * KW + kw) * C + c];
            }
        }
        dx = sum;
        """, "glassnet_col2im_nhwc")
    return im2col, col2im


def _geometry_args(x_shape, w_shape, geom, oh, ow):
    _, h, wd, c = x_shape
    kh, kw = w_shape[0], w_shape[1]
    (sh, sw), (dh, dw) = geom.strides, geom.dilation
    (pt, _), (pl, _) = geom.pads
    return (h, wd, c, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl)


class Conv2D(convolution.Conv2D):
    """The readable ``Conv2D`` (same constructor, same results) with the GPU im2col/col2im;
    grouped convolutions keep the readable path."""

    def forward(self, x, w, b=None):
        if self.geom.groups != 1:
            return super().forward(x, w, b)
        import cupy

        im2col, _ = _kernels()
        x = cupy.ascontiguousarray(x)
        n = x.shape[0]
        kh, kw, c, f = w.shape
        oh, ow = self.geom.out_hw(x.shape[1], x.shape[2], kh, kw)
        self.x_shape, self.w, self.out_hw = x.shape, w, (oh, ow)
        cols = cupy.empty((n * oh * ow, kh * kw * c), dtype=x.dtype)
        im2col(x, *_geometry_args(x.shape, w.shape, self.geom, oh, ow), cols)
        y = cols @ w.reshape(kh * kw * c, f)
        if b is not None:
            y += b
        if self.relu:
            cupy.maximum(y, 0, out=y)
            self.y = y
        self.cols = cols
        return y.reshape(n, oh, ow, f)

    def backward(self, gy):
        if self.geom.groups != 1:
            return super().backward(gy)
        import cupy

        _, col2im = _kernels()
        need = self.needs_input_grad
        kh, kw, c, f = self.w.shape
        gy = gy.reshape(-1, f)
        if self.relu:
            gy = gy * (self.y > 0)
        gx = gw = None
        if need[0]:
            dcols = gy @ self.w.reshape(kh * kw * c, f).T
            gx = cupy.empty(self.x_shape, dtype=gy.dtype)
            col2im(dcols, *_geometry_args(self.x_shape, self.w.shape, self.geom,
                                          *self.out_hw), gx)
        if need[1]:
            gw = (self.cols.T @ gy).reshape(self.w.shape)
        if len(need) == 3:
            return gx, gw, gy.sum(axis=0) if need[2] else None
        return gx, gw
