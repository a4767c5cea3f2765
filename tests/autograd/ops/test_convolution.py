import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.convolution import same_padding


def nchw(t):
    return t.permute(0, 3, 1, 2)


def nhwc(t):
    return t.permute(0, 2, 3, 1)


def torch_kernel(w):
    return w.permute(3, 2, 0, 1)  # (KH, KW, Cg, F) -> (F, Cg, KH, KW)


def torch_pads(x_shape, w_shape, strides, padding, dilation):
    if padding == "valid":
        return (0, 0, 0, 0)
    (pt, pb), (pl, pr) = (same_padding(s, k, st, d) for s, k, st, d in zip(
        x_shape[1:3], w_shape[:2], strides, dilation))
    return (pl, pr, pt, pb)


CASES = [  # x shape, kernel shape, strides, padding, dilation, groups
    ((2, 5, 5, 3), (3, 3, 3, 4), (1, 1), "valid", (1, 1), 1),
    ((1, 7, 6, 2), (3, 3, 2, 3), (2, 2), "same", (1, 1), 1),     # batch 1, odd image
    ((2, 6, 6, 2), (2, 2, 2, 3), (1, 1), "same", (1, 1), 1),     # even kernel, "same"
    ((2, 6, 7, 2), (4, 4, 2, 2), (2, 2), "same", (1, 1), 1),     # even kernel, stride 2
    ((1, 9, 9, 2), (3, 3, 2, 2), (1, 1), "valid", (2, 2), 1),    # dilation 2
    ((2, 8, 7, 2), (3, 3, 2, 3), (2, 2), "same", (2, 2), 1),     # dilation and stride
    ((2, 5, 5, 4), (3, 3, 2, 6), (1, 1), "valid", (1, 1), 2),    # groups
    ((2, 5, 5, 4), (3, 3, 1, 4), (2, 2), "same", (1, 1), 4),     # depthwise
    ((2, 4, 4, 3), (1, 1, 3, 5), (1, 1), "valid", (1, 1), 1),    # 1x1
    ((1, 9, 9, 1), (5, 5, 1, 2), (1, 1), "same", (1, 1), 1),     # 5x5
    ((2, 6, 7, 2), (2, 3, 2, 2), (2, 1), "valid", (1, 1), 1),    # non-square
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1][:2]}-s{c[2]}-{c[3]}-d{c[4]}-g{c[5]}"
                                             for c in CASES])
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(case, bias):
    x_shape, w_shape, strides, padding, dilation, groups = case
    pads = torch_pads(x_shape, w_shape, strides, padding, dilation)
    shapes = [x_shape, w_shape] + ([(w_shape[3],)] if bias else [])

    def ours(x, w, b=None):
        return gn.conv2d(x, w, b, strides, padding, dilation, groups)

    def theirs(x, w, b=None):
        return nhwc(F.conv2d(F.pad(nchw(x), pads), torch_kernel(w), b, strides, 0, dilation,
                             groups))

    check_op(ours, theirs, shapes, rtol=1e-4, atol=1e-5, fd_rtol=1e-4)


@pytest.mark.parametrize("case", [((2, 4, 4, 3), (3, 3, 2, 3), (1, 1), "valid"),
                                  ((1, 3, 5, 2), (3, 3, 4, 2), (2, 2), "same"),
                                  ((2, 3, 3, 1), (2, 2, 3, 1), (2, 2), "valid")])
def test_conv2d_transpose_matches_torch(case):
    x_shape, w_shape, strides, padding = case

    def theirs(x, w):
        out_h = x_shape[1] * strides[0] if padding == "same" else \
            (x_shape[1] - 1) * strides[0] + w_shape[0]
        out_w = x_shape[2] * strides[1] if padding == "same" else \
            (x_shape[2] - 1) * strides[1] + w_shape[1]
        (pt, pb), (pl, pr) = ((0, 0), (0, 0)) if padding == "valid" else tuple(
            same_padding(s, k, st, 1) for s, k, st in zip((out_h, out_w), w_shape[:2], strides))
        # torch's (C, F, KH, KW) transposed kernel; crop what "same" padded.
        full = F.conv_transpose2d(nchw(x), w.permute(3, 2, 0, 1), stride=strides)
        return nhwc(full[:, :, pt:pt + out_h, pl:pl + out_w])

    check_op(lambda x, w: gn.conv2d_transpose(x, w, strides=strides, padding=padding),
             theirs, [x_shape, w_shape], rtol=1e-4, fd_rtol=1e-4)


def test_same_padding_follows_tensorflow():
    # TensorFlow: out = ceil(in / s); the odd pixel of padding goes after.
    assert same_padding(5, 3, 1, 1) == (1, 1)
    assert same_padding(6, 2, 1, 1) == (0, 1)
    assert same_padding(7, 3, 2, 1) == (1, 1)
    assert same_padding(6, 3, 2, 1) == (0, 1)
    assert same_padding(5, 3, 1, 2) == (2, 2)


POOLS = [  # x shape, pool, strides, padding
    ((2, 4, 4, 3), (2, 2), None, "valid"),
    ((1, 7, 7, 2), (2, 2), None, "valid"),      # odd: the last row and column are dropped
    ((2, 7, 6, 2), (3, 3), (2, 2), "valid"),    # overlapping
    ((2, 5, 5, 1), (3, 3), (1, 1), "valid"),
    ((2, 5, 6, 2), (2, 2), None, "same"),
    ((1, 7, 7, 2), (3, 3), (2, 2), "same"),
    ((2, 6, 5, 2), (2, 3), (1, 2), "valid"),
    ((2, 7, 8, 2), (3, 2), None, "valid"),      # non-square blocks, a row left over
]


def _torch_pool(kind, x, pool, strides, padding):
    strides = strides or pool
    if padding == "same":
        (pt, pb), (pl, pr) = (same_padding(s, k, st, 1) for s, k, st in zip(
            x.shape[1:3], pool, strides))
    else:
        pt = pb = pl = pr = 0
    xc = nchw(x)
    if kind == "max":
        return nhwc(F.max_pool2d(F.pad(xc, (pl, pr, pt, pb), value=-float("inf")), pool,
                                 strides))
    total = F.avg_pool2d(F.pad(xc, (pl, pr, pt, pb)), pool, strides) * (pool[0] * pool[1])
    ones = F.pad(torch.ones_like(xc[:1, :1]), (pl, pr, pt, pb))
    counts = F.avg_pool2d(ones, pool, strides) * (pool[0] * pool[1])
    return nhwc(total / counts)


@pytest.mark.parametrize("case", POOLS, ids=[f"{c[1]}-s{c[2]}-{c[3]}" for c in POOLS])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_torch(case, kind):
    x_shape, pool, strides, padding = case
    op = gn.max_pool2d if kind == "max" else gn.avg_pool2d
    check_op(lambda x: op(x, pool, strides, padding),
             lambda x: _torch_pool(kind, x, pool, strides, padding), [x_shape])


TIE_POOLS = [*POOLS[:4], POOLS[-1]]


@pytest.mark.parametrize("case", TIE_POOLS, ids=[f"{c[1]}-s{c[2]}" for c in TIE_POOLS])
def test_max_pool_ties_route_to_the_first_maximum_like_torch(case):
    x_shape, pool, strides, padding = case
    ties = np.random.default_rng(0).integers(0, 3, x_shape).astype(np.float64)
    check_op(lambda x: gn.max_pool2d(x, pool, strides, padding),
             lambda x: _torch_pool("max", x, pool, strides, padding), [x_shape],
             arrays=[ties], fd=False)


FUSED_RELU_POOLS = {  # the max pool masks the relu's gradient in the conv's place
    "pool only": (lambda y, pool: pool(y)),
    "pool of a stride-1 3x3 window": (lambda y, pool: pool(y, 3, 1)),
    # a second consumer: the conv gets a summed gradient and must mask it itself
    "pool and a second consumer": (lambda y, pool: pool(y).sum(axis=(1, 2)) + y.sum(axis=(1, 2))),
}


@pytest.mark.parametrize("graph", FUSED_RELU_POOLS, ids=list(FUSED_RELU_POOLS))
def test_conv_relu_then_max_pool_matches_torch(graph):
    build = FUSED_RELU_POOLS[graph]

    def ours(x, w, b):
        return build(gn.conv2d(x, w, b, relu=True), gn.max_pool2d)

    def theirs(x, w, b):
        y = nhwc(torch.relu(F.conv2d(nchw(x), torch_kernel(w), b)))
        return build(y, lambda t, k=2, s=None: _torch_pool("max", t, (k, k), (s or k,) * 2,
                                                           "valid"))

    # kinks at 0 keep the inputs away from where relu has no derivative
    check_op(ours, theirs, [(2, 9, 9, 2), (3, 3, 2, 4), (4,)], kinks=(0.0,))


def test_conv_and_pool_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"conv2d: expected 4-D input \(batch, height, width, "
                                         r"channels\); received input of shape \(5, 5, 3\)"):
        gn.conv2d(gn.ones(5, 5, 3), gn.ones(3, 3, 3, 2))
    with pytest.raises(ValueError, match=r"input with 4 channels and a kernel of shape "
                                         r"\(3, 3, 3, 2\) do not fit groups=1"):
        gn.conv2d(gn.ones(1, 5, 5, 4), gn.ones(3, 3, 3, 2))
    with pytest.raises(ValueError, match=r"a kernel of 5x5 \(dilation \(1, 1\)\) does not fit "
                                         r"an input of 3x3"):
        gn.conv2d(gn.ones(1, 3, 3, 1), gn.ones(5, 5, 1, 1))
    with pytest.raises(ValueError, match=r"strides must be a positive integer or a pair"):
        gn.conv2d(gn.ones(1, 5, 5, 1), gn.ones(3, 3, 1, 1), strides=0)
    with pytest.raises(ValueError, match=r"max_pool2d: a pool of 3x3 does not fit an input "
                                         r"of 2x2"):
        gn.max_pool2d(gn.ones(1, 2, 2, 1), 3)
