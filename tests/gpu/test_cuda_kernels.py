"""The CUDA kernels (glassnet.kernels.cuda) against the readable ops they replace. They need
CuPy on a real GPU; without one these tests skip with the reason."""

import numpy as np
import pytest

import glassnet
from glassnet import backend
from glassnet.autograd.ops import convolution
from glassnet.kernels import cuda
from glassnet.kernels.cuda import conv as cuda_conv
from glassnet.optim import SGD, Adam


def _conv_case(x_shape, w_shape, strides, padding, dilation, relu, bias, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32) * 0.3
    b = rng.standard_normal(w_shape[-1]).astype(np.float32) if bias else None
    return x, w, b


def _run_conv(x, w, b, on_gpu, **kw):
    place = (lambda a: backend.to_device(a, "gpu")) if on_gpu else (lambda a: a)
    tx = glassnet.tensor(place(x), requires_grad=True)
    tw = glassnet.tensor(place(w), requires_grad=True)
    tb = None if b is None else glassnet.tensor(place(b), requires_grad=True)
    y = convolution.conv2d(tx, tw, tb, **kw)
    up = np.random.default_rng(9).standard_normal(y.shape).astype(np.float32)
    y.backward(place(up))
    grads = [t.grad for t in (tx, tw, tb) if t is not None]
    return y, [backend.to_host(g) for g in grads]


CASES = [
    ((2, 9, 9, 3), (3, 3, 3, 4), 1, "valid", 1, False, True),
    ((2, 9, 9, 3), (3, 3, 3, 4), 1, "same", 1, True, True),
    ((2, 10, 7, 2), (3, 2, 2, 5), 2, "same", 1, False, False),
    ((1, 11, 11, 4), (3, 3, 4, 2), 1, "valid", 2, True, True),
    ((3, 8, 8, 1), (5, 5, 1, 3), (2, 1), "same", 1, False, True),
    ((2, 28, 28, 1), (3, 3, 1, 32), 1, "valid", 1, True, True),
]


@pytest.mark.parametrize("case", CASES)
def test_cuda_conv_matches_the_readable_op(real_gpu, case):
    x_shape, w_shape, strides, padding, dilation, relu, bias = case
    x, w, b = _conv_case(x_shape, w_shape, strides, padding, dilation, relu, bias)
    kw = dict(strides=strides, padding=padding, dilation=dilation, relu=relu)
    ref_y, ref_grads = _run_conv(x, w, b, on_gpu=False, **kw)
    with backend.using_kernels(cuda.kernel_table()):
        y, grads = _run_conv(x, w, b, on_gpu=True, **kw)
    assert isinstance(y.grad_fn, cuda_conv.Conv2D)
    np.testing.assert_allclose(y.numpy(), ref_y.numpy(), rtol=1e-4, atol=1e-4)
    for g, ref in zip(grads, ref_grads):
        np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("make", [lambda: Adam(learning_rate=0.01),
                                  lambda: Adam(learning_rate=0.01, weight_decay=0.1),
                                  lambda: SGD(learning_rate=0.1, momentum=0.9),
                                  lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True)])
def test_fused_updates_match_the_readable_update(real_gpu, make):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal(5000).astype(np.float32)
    grads = [rng.standard_normal(5000).astype(np.float32) for _ in range(5)]
    ref, fused = make(), make()
    assert cuda.fused_update(fused) is not None
    w_ref = backend.to_device(w0, "gpu")
    w_fused = w_ref.copy()
    slots_ref = {n: real_gpu.zeros_like(w_ref) for n in ref.slot_names}
    slots_ref.update({f"_scratch{i}": real_gpu.empty_like(w_ref)
                      for i in range(ref.scratch_buffers)})
    slots_fused = {n: real_gpu.zeros_like(w_ref) for n in fused.slot_names}
    update = cuda.fused_update(fused)
    for t, g in enumerate(grads, start=1):
        g = backend.to_device(g, "gpu")
        ref.before_update(t)
        ref.update_variable(g, w_ref, slots_ref, 0.01, t)
        update(g, w_fused, slots_fused, 0.01, t)
    np.testing.assert_allclose(backend.to_host(w_fused), backend.to_host(w_ref), rtol=1e-5,
                               atol=1e-6)


def test_training_on_the_gpu_reports_its_peak_memory(real_gpu):
    from glassnet import keras

    backend.reset_peak_memory()
    x = np.random.default_rng(0).random((512, 28, 28, 1), dtype=np.float32)
    y = np.random.default_rng(1).integers(0, 10, 512)
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3),
                              keras.layers.Flatten(), keras.layers.Dense(10)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.to("gpu").fit(x, y, epochs=1, batch_size=128, verbose=0)
    info = glassnet.memory_info()
    assert info["peak_bytes"] > 512 * 26 * 26 * 9 * 4 / 4  # at least one batch's columns
    assert info["total_bytes"] >= info["used_bytes"]
