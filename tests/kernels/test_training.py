"""``kernels.training`` and ``kernels.inference``: what they switch on, and that they put
everything back."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels
from glassnet.autograd import ops
from glassnet.kernels import grad_buffers, linear, memory, threads


def dense_step(x, w, b):
    w.grad = b.grad = None
    ops.linear(x, w, b).sum().backward()
    return w.grad


def test_training_reuses_the_gradient_buffers_of_its_params_only():
    x = gn.tensor(np.ones((3, 5)))
    w, b = gn.nn.Parameter(np.ones((5, 4))), gn.nn.Parameter(np.zeros(4))
    with kernels.training([w]):
        first = dense_step(x, w, b)
        second = dense_step(x, w, b)
        assert first is second  # the same buffer, step after step
        np.testing.assert_array_equal(second, np.full((5, 4), 3.0))
        assert b.grad is not grad_buffers.out_for(b)
    outside = dense_step(x, w, b)
    assert outside is not second
    np.testing.assert_array_equal(outside, second)


def test_a_parameter_used_twice_gets_the_sum_of_its_gradients():
    x = gn.tensor(np.ones((3, 5)))
    w, b = gn.nn.Parameter(np.ones((5, 5))), gn.nn.Parameter(np.zeros(5))
    grads = []
    for block in (kernels.inference, lambda: kernels.training([w])):
        w.grad = None
        with block():
            ops.linear(ops.linear(x, w, b), w, b).sum().backward()
        grads.append(w.grad.copy())
    w.grad = None
    ops.linear(ops.linear(x, w, b), w, b).sum().backward()
    for got in grads:
        np.testing.assert_array_equal(got, w.grad)


def test_everything_is_restored_after_an_exception():
    w = gn.nn.Parameter(np.ones((2, 2)))
    with pytest.raises(RuntimeError), kernels.training([w]):
        assert kernels.enabled() and threads.in_block() is (threads.get_num_threads() > 1)
        assert memory.is_kept() or not memory._glibc()
        assert grad_buffers.out_for(w) is not None
        raise RuntimeError
    assert not kernels.enabled() and not threads.in_block() and not memory.is_kept()
    assert grad_buffers.out_for(w) is None


def test_inference_runs_the_fast_kernels_without_buffers_or_allocator_tuning():
    w = gn.nn.Parameter(np.ones((2, 2)))
    with kernels.inference():
        assert type(ops.linear(gn.ones(1, 2), w, np.zeros(2)).grad_fn) is linear.Linear
        assert not memory.is_kept() and grad_buffers.out_for(w) is None
    assert not kernels.enabled()
