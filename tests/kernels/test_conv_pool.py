import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet import kernels
from glassnet.autograd import ops
from glassnet.autograd.ops.convolution import same_padding

CASES = [  # x shape, kernel shape, strides, padding, dilation
    ((2, 9, 9, 2), (3, 3, 2, 4), 1, "valid", 1),      # odd conv output: a row left over
    ((2, 8, 7, 3), (3, 3, 3, 2), 1, "same", 1),
    ((1, 11, 10, 2), (3, 2, 2, 3), 2, "valid", 1),    # stride 2, non-square kernel, batch 1
    ((2, 10, 10, 1), (3, 3, 1, 2), 1, "valid", 2),    # dilation
]


def _torch(x, w, b, strides, padding, dilation):
    xc = x.permute(0, 3, 1, 2)
    if padding == "same":
        (pt, pb), (pl, pr) = (same_padding(s, k, strides, dilation)
                              for s, k in zip(x.shape[1:3], w.shape[:2]))
        xc = F.pad(xc, (pl, pr, pt, pb))
    y = F.conv2d(xc, w.permute(3, 2, 0, 1), b, stride=strides, dilation=dilation)
    return F.max_pool2d(torch.relu(y), 2).permute(0, 2, 3, 1)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1]}-s{c[2]}-{c[3]}-d{c[4]}" for c in CASES])
@pytest.mark.parametrize("bias", [True, False])
def test_conv_relu_max_pool_matches_torch(case, bias):
    x_shape, w_shape, strides, padding, dilation = case
    shapes = [x_shape, w_shape] + ([(w_shape[3],)] if bias else [])

    def ours(x, w, b=None):
        return kernels.conv2d_relu_max_pool(x, w, b, strides, padding, dilation)

    def theirs(x, w, b=None):
        return _torch(x, w, b, strides, padding, dilation)

    check_op(ours, theirs, shapes)


@pytest.mark.parametrize("threads", [1, 2])
def test_equals_the_fast_conv_and_pool_bit_for_bit(threads):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in
              [(4, 13, 13, 8), (3, 3, 8, 16), (16,)]]
    up = rng.standard_normal((4, 5, 5, 16)).astype(np.float32)
    before = kernels.get_num_threads()
    kernels.set_num_threads(threads)
    results = []
    try:
        for fused in (True, False):
            x, w, b = (gn.tensor(a, requires_grad=True) for a in arrays)
            with kernels.training():
                y = (kernels.conv2d_relu_max_pool(x, w, b) if fused
                     else ops.max_pool2d(ops.conv2d(x, w, b, relu=True)))
                y.backward(up)
            results.append([y.numpy(), x.grad, w.grad, b.grad])
    finally:
        kernels.set_num_threads(before)
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
    # and, to rounding, the readable ops (the bias is added apart from the product there)
    x, w, b = (gn.tensor(a.astype(np.float64), requires_grad=True) for a in arrays)
    y = ops.max_pool2d(ops.relu(ops.conv2d(x, w, b)))
    y.backward(up.astype(np.float64))
    for got, want in zip(results[0], [y.numpy(), x.grad, w.grad, b.grad]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_inference_keeps_nothing_for_backward():
    x, w = gn.ones(2, 6, 6, 1), gn.ones(3, 3, 1, 2)
    with gn.no_grad():
        y = kernels.conv2d_relu_max_pool(x, w)
    assert y.shape == (2, 2, 2, 2) and y.grad_fn is None


def test_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"expected x \(N, H, W, C\) and a kernel \(KH, KW, C, "
                                         r"F\); received shapes \(5, 5, 3\) and \(3, 3, 3, 2\)"):
        kernels.conv2d_relu_max_pool(gn.ones(5, 5, 3), gn.ones(3, 3, 3, 2))
    with pytest.raises(ValueError, match=r"the convolution's output 1x1 is smaller than the "
                                         r"2x2 pool \(input 3x3\)"):
        kernels.conv2d_relu_max_pool(gn.ones(1, 3, 3, 1), gn.ones(3, 3, 1, 1))
