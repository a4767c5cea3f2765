"""conv3d and conv3d_transpose against torch.nn.functional, forward and gradients."""

import numpy as np
import pytest
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.convolution import same_padding
from glassnet.autograd.ops.convolution3d import conv3d, conv3d_transpose


def ncdhw(t):
    return t.permute(0, 4, 1, 2, 3)


def ndhwc(t):
    return t.permute(0, 2, 3, 4, 1)


def torch_kernel(w):
    return w.permute(4, 3, 0, 1, 2)  # (KD, KH, KW, Cg, F) -> (F, Cg, KD, KH, KW)


def torch_pads(x_shape, w_shape, strides, padding, dilation):
    if padding == "valid":
        return (0,) * 6
    pads = [same_padding(s, k, st, d) for s, k, st, d in zip(x_shape[1:4], w_shape[:3],
                                                              strides, dilation)]
    return tuple(v for pair in reversed(pads) for v in pair)  # F.pad: last axis first


CASES = [  # x shape, kernel shape, strides, padding, dilation, groups
    ((2, 4, 4, 4, 2), (3, 3, 3, 2, 3), (1, 1, 1), "valid", (1, 1, 1), 1),
    ((1, 5, 4, 3, 2), (3, 2, 2, 2, 2), (2, 2, 1), "same", (1, 1, 1), 1),   # odd, even kernel
    ((1, 5, 5, 4, 1), (2, 2, 2, 1, 2), (1, 1, 1), "same", (2, 1, 2), 1),   # dilation, same
    ((2, 4, 3, 4, 4), (2, 2, 2, 2, 4), (1, 1, 2), "valid", (1, 1, 1), 2),  # groups
    ((1, 3, 4, 3, 3), (1, 1, 1, 3, 2), (1, 1, 1), "valid", (1, 1, 1), 1),  # 1x1x1
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[1][:3]}-s{c[2]}-{c[3]}-d{c[4]}-g{c[5]}"
                                             for c in CASES])
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d_matches_torch(case, bias):
    x_shape, w_shape, strides, padding, dilation, groups = case
    pads = torch_pads(x_shape, w_shape, strides, padding, dilation)
    shapes = [x_shape, w_shape] + ([(w_shape[4],)] if bias else [])

    def ours(x, w, b=None):
        return conv3d(x, w, b, strides, padding, dilation, groups)

    def theirs(x, w, b=None):
        return ndhwc(F.conv3d(F.pad(ncdhw(x), pads), torch_kernel(w), b, strides, 0,
                              dilation, groups))

    check_op(ours, theirs, shapes, rtol=1e-4, atol=1e-5, fd_rtol=1e-4)


@pytest.mark.parametrize("case", [
    ((1, 2, 3, 2, 2), (3, 3, 3, 2, 2), (1, 1, 1), "valid", (1, 1, 1)),
    ((1, 2, 2, 3, 2), (3, 2, 3, 3, 2), (2, 2, 2), "same", (1, 1, 1)),
    ((2, 2, 2, 2, 1), (2, 2, 2, 2, 1), (3, 2, 2), "valid", (1, 1, 1)),  # stride > kernel
    ((1, 3, 2, 2, 2), (2, 2, 2, 1, 2), (1, 1, 1), "valid", (2, 1, 1)),  # dilation
])
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d_transpose_matches_torch(case, bias):
    x_shape, w_shape, strides, padding, dilation = case
    k = [(kk - 1) * d + 1 for kk, d in zip(w_shape[:3], dilation)]
    if padding == "same":
        out = [n * s for n, s in zip(x_shape[1:4], strides)]
    else:
        out = [(n - 1) * s + max(kk, s) for n, kk, s in zip(x_shape[1:4], k, strides)]
    starts = [same_padding(o, kk, s, d)[0] if padding == "same" else 0
              for o, kk, s, d in zip(out, w_shape[:3], strides, dilation)]

    def theirs(x, w, b=None):
        full = F.conv_transpose3d(ncdhw(x), w.permute(4, 3, 0, 1, 2), stride=strides,
                                  dilation=dilation)
        # torch gives the full (N-1)*s + k; pad the gap past it, crop what "same" padded.
        full = F.pad(full, tuple(v for o, st, n in zip(reversed(out), reversed(starts),
                                                        reversed(full.shape[2:]))
                                 for v in (0, max(st + o - n, 0))))
        y = ndhwc(full[:, :, starts[0]:starts[0] + out[0], starts[1]:starts[1] + out[1],
                       starts[2]:starts[2] + out[2]])
        return y if b is None else y + b

    shapes = [x_shape, w_shape] + ([(w_shape[3],)] if bias else [])
    check_op(lambda x, w, b=None: conv3d_transpose(x, w, b, strides, padding, dilation),
             theirs, shapes, rtol=1e-4, atol=1e-5, fd_rtol=1e-4)


def test_conv3d_transpose_output_shape_and_doc_example():
    y = conv3d_transpose(gn.ones(1, 2, 2, 2, 1), gn.ones(2, 2, 2, 3, 1), strides=2,
                         output_shape=(5, 4, 5))
    assert y.shape == (1, 5, 4, 5, 3)
    np.testing.assert_allclose(y.numpy()[0, 4, :, 4], 0.0)  # the extra plane is untouched
    assert conv3d(np.ones((1, 4, 4, 4, 1), np.float32),
                  np.ones((3, 3, 3, 1, 2), np.float32)).numpy()[0, 0, 0, 0].tolist() == [27, 27]


def test_conv3d_errors_name_the_op_and_shapes():
    x, w = np.zeros((1, 4, 4, 4, 2), np.float32), np.zeros((3, 3, 3, 2, 3), np.float32)
    with pytest.raises(ValueError, match=r"conv3d: expected 5-D input .* shape \(4, 4, 4, 2\)"):
        conv3d(x[0], w)
    with pytest.raises(ValueError, match=r"conv3d: expected a 5-D kernel"):
        conv3d(x, w[0])
    with pytest.raises(ValueError, match=r"do not fit groups=2"):
        conv3d(x, w, groups=2)
    with pytest.raises(ValueError, match=r"strides must be a positive integer .* "
                                         r"Received: strides=\(1, 0, 1\)"):
        conv3d(x, w, strides=(1, 0, 1))
    with pytest.raises(ValueError, match=r"a kernel of 3x3x3 .* does not fit an input of 2x4x4"):
        conv3d(np.zeros((1, 2, 4, 4, 2)), w)
    with pytest.raises(ValueError, match=r"padding must be 'valid', 'same' or 3 pairs"):
        conv3d(x, w, padding="full")
    with pytest.raises(ValueError, match=r"expected a bias of shape \(3,\)"):
        conv3d(x, w, np.zeros(2))
    with pytest.raises(ValueError, match=r"not reachable"):
        conv3d_transpose(np.zeros((1, 2, 2, 2, 3)), w, output_shape=(9, 4, 4))
