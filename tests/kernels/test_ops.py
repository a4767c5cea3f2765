"""Each fast op kernel against the readable op it replaces: values and gradients, with the
work split over two threads (the readable ops are checked against PyTorch in
tests/autograd/ops)."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels
from glassnet.autograd import ops
from glassnet.kernels import conv, linear, pool


def run(fn, arrays, upstream):
    tensors = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    y = fn(*tensors)
    y.backward(upstream)
    return y, [y.numpy(), *(t.grad for t in tensors)]


def against_readable(fn, shapes, fast_class=None, seed=0, arrays=None):
    """Run ``fn`` outside any block (the readable ops) and inside ``kernels.training``;
    assert equal values and gradients (float64), and that the fast kernel ran."""
    rng = np.random.default_rng(seed)
    if arrays is None:
        arrays = [rng.uniform(-2, 2, s) for s in shapes]
    with gn.no_grad():
        upstream = rng.standard_normal(fn(*[gn.tensor(a) for a in arrays]).shape)
    y, want = run(fn, arrays, upstream)
    with kernels.training():
        fast_y, got = run(fn, arrays, upstream)
    if fast_class is not None:
        assert type(fast_y.grad_fn) is fast_class
        assert type(y.grad_fn) is fast_class.__mro__[1]  # the readable op it subclasses
    for i, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12, err_msg=f"output {i}")


@pytest.mark.parametrize("shapes", [[(32, 20), (20, 30), (30,)], [(4, 6, 20), (20, 5), (5,)],
                                    [(3, 2000), (2000, 64), (64,)]])
def test_linear(split_everything, shapes):
    against_readable(ops.linear, shapes, linear.Linear)


CONV_CASES = [  # x shape, kernel shape, strides, padding, dilation, groups
    ((4, 9, 9, 2), (3, 3, 2, 4), 1, "valid", 1, 1),
    ((3, 7, 6, 2), (3, 3, 2, 3), 2, "same", 1, 1),
    ((2, 9, 9, 2), (3, 3, 2, 2), 1, "valid", 2, 1),
    ((2, 6, 7, 2), (4, 4, 2, 2), 2, "same", 1, 1),
    ((2, 5, 5, 4), (3, 3, 2, 6), 1, "valid", 1, 2),  # groups: the readable op runs
]


@pytest.mark.parametrize("case", CONV_CASES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("relu", [True, False])
def test_conv2d(split_everything, case, bias, relu):
    x_shape, w_shape, strides, padding, dilation, groups = case
    shapes = [x_shape, w_shape] + ([(w_shape[3],)] if bias else [])

    def fn(x, w, b=None):
        return ops.conv2d(x, w, b, strides, padding, dilation, groups, relu=relu)

    against_readable(fn, shapes, conv.Conv2D)


POOLS = [  # x shape, pool, strides, padding
    ((4, 8, 8, 3), (2, 2), None, "valid"),
    ((3, 9, 7, 2), (2, 2), None, "valid"),      # rows and columns left over
    ((2, 7, 8, 2), (3, 2), None, "valid"),
    ((2, 7, 7, 2), (3, 3), (2, 2), "same"),     # overlapping: the readable op runs
]


@pytest.mark.parametrize("case", POOLS)
def test_max_pool2d(split_everything, case):
    x_shape, size, strides, padding = case
    against_readable(lambda x: ops.max_pool2d(x, size, strides, padding), [x_shape],
                     pool.MaxPool2D)


def test_max_pool2d_ties_route_to_the_first_maximum(split_everything):
    ties = np.random.default_rng(0).integers(0, 3, (4, 8, 8, 3)).astype(np.float64)
    against_readable(ops.max_pool2d, None, pool.MaxPool2D, arrays=[ties])


GRAPHS = {  # the pool masks the relu's gradient in the conv's place (premasked)
    "pool only": lambda y: ops.max_pool2d(y),
    "overlapping pool": lambda y: ops.max_pool2d(y, 3, 1),
    # a second consumer: the conv gets a summed gradient and must mask it itself
    "pool and a second consumer": lambda y: ops.max_pool2d(y).sum(axis=(1, 2)) +
    y.sum(axis=(1, 2)),
}


@pytest.mark.parametrize("graph", GRAPHS)
def test_conv_relu_then_max_pool(split_everything, graph):
    def fn(x, w, b):
        return GRAPHS[graph](ops.conv2d(x, w, b, relu=True))

    against_readable(fn, [(4, 9, 9, 2), (3, 3, 2, 4), (4,)])


def test_outside_the_blocks_and_in_other_threads_the_readable_ops_run():
    import threading

    x, w = gn.ones(1, 4, 4, 1), gn.ones(3, 3, 1, 2, requires_grad=True)
    assert type(ops.conv2d(x, w).grad_fn) is ops.convolution.Conv2D
    seen = {}
    inside, done = threading.Event(), threading.Event()

    def fit_like():
        with kernels.training():
            seen["fit"] = type(ops.conv2d(x, w).grad_fn)
            inside.set()
            done.wait(10)

    thread = threading.Thread(target=fit_like)
    thread.start()
    inside.wait(10)
    seen["other"] = type(ops.conv2d(x, w).grad_fn)
    assert not kernels.enabled()
    with kernels.inference():
        assert kernels.enabled()
        seen["predict"] = type(ops.conv2d(x, w).grad_fn)
    done.set()
    thread.join()
    assert seen == {"fit": conv.Conv2D, "other": ops.convolution.Conv2D,
                    "predict": conv.Conv2D}
