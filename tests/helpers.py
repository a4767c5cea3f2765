"""Test helpers: one way to check an op, used by every op test.

``check_op`` runs the same expression in glassnet and in PyTorch on the same random inputs and
compares the forward value and every input's gradient (float32), then checks glassnet's
gradients against central finite differences in float64.
"""

from __future__ import annotations

import contextlib
import os
import sys

import numpy as np
import torch

import glassnet as gn
from glassnet import backend

torch.set_num_threads(1)

# Every check_op and check_layer can also run the op or layer on a GPU and compare with the
# CPU: GLASSNET_TEST_DEVICE=standin runs it on a strict NumPy stand-in for CuPy
# (tests/gpu/standin.py, any machine), =gpu on CuPy and a real GPU, =none not at all. Unset,
# check_layer runs on the stand-in and check_op does not: a set of ops (sorting, some
# linear algebra, CTC) still creates host arrays on the way (the GPU's open list, docs/gpu.md).
_ASKED = os.environ.get("GLASSNET_TEST_DEVICE")
TEST_DEVICE = _ASKED or "standin"
if TEST_DEVICE not in ("standin", "gpu", "none"):
    raise RuntimeError(f"GLASSNET_TEST_DEVICE must be 'standin', 'gpu' or 'none', not "
                       f"{TEST_DEVICE!r}")
if TEST_DEVICE == "none":
    TEST_DEVICE = ""
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "gpu"))
import standin  # noqa: E402


def device_block():
    """The block device checks run in: the stand-in installed, or the real GPU."""
    if TEST_DEVICE == "gpu":
        if not backend.gpu_available():
            raise RuntimeError("GLASSNET_TEST_DEVICE=gpu, but CuPy or a GPU is missing")
        return contextlib.nullcontext()
    return standin.installed()
# On a real GPU float32 sums run in another order (cuBLAS, parallel reductions).
DEVICE_RTOL, DEVICE_ATOL = (1e-4, 1e-5) if TEST_DEVICE == "gpu" else (1e-5, 1e-6)


def _device_tolerances(rtol, atol):
    """The caller's tolerances, never tighter than a GPU's summation order allows."""
    return (DEVICE_RTOL if rtol is None else max(rtol, DEVICE_RTOL),
            DEVICE_ATOL if atol is None else max(atol, DEVICE_ATOL))


def _host(a):
    return None if a is None else backend.to_host(a)


def check_on_device(fn, arrays, upstream, value, grads, rtol=None, atol=None):
    """Run ``fn`` on GPU tensors (float32) and compare its value and gradients with the CPU's
    ``value`` and ``grads``; every result must stay on the GPU. A no-op without a test device
    (and, for ops, unless GLASSNET_TEST_DEVICE asks for one).
    """
    if not TEST_DEVICE or _ASKED is None:
        return
    with device_block():
        _check_on_device(fn, arrays, upstream, value, grads, rtol, atol)


def _check_on_device(fn, arrays, upstream, value, grads, rtol, atol):
    rtol, atol = _device_tolerances(rtol, atol)
    with gn.device("gpu"):
        ts = [gn.tensor(a, dtype=np.float32, requires_grad=True) for a in arrays]
    out = fn(*ts)
    assert backend.on_device(out.data), f"the result left the GPU: {type(out.data)}"
    out.backward(backend.to_device(upstream.astype(np.float32), "gpu"))
    np.testing.assert_allclose(out.numpy(), value, rtol=rtol, atol=atol, err_msg="GPU forward")
    for i, (t, g) in enumerate(zip(ts, grads)):
        assert backend.on_device(t.grad), f"the gradient of input {i} left the GPU"
        np.testing.assert_allclose(_host(t.grad), _host(g), rtol=rtol, atol=atol,
                                   err_msg=f"GPU gradient of input {i}")


def random_inputs(shapes, low=-2.0, high=2.0, kinks=(), seed=0):
    """float64 arrays drawn uniformly from [low, high], nudged at least 0.01 away from each
    point in ``kinks`` (where the op has no derivative and finite differences would lie)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for shape in shapes:
        x = rng.uniform(low, high, size=shape)
        for k in kinks:
            near = np.abs(x - k) < 0.01
            x[near] = k + np.where(x[near] >= k, 0.01, -0.01)
        arrays.append(x)
    return arrays


def _run_glassnet(fn, arrays, dtype, upstream):
    ts = [gn.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = fn(*ts)
    assert out.dtype == dtype, f"forward gave {out.dtype} for {dtype} inputs"
    out.backward(upstream.astype(dtype))
    for t in ts:
        assert t.grad is not None, "an input got no gradient"
        assert t.grad.dtype == dtype, f"gradient dtype {t.grad.dtype} for {dtype} input"
        assert t.grad.shape == t.shape
    return out.numpy(), [t.grad for t in ts]


def _run_torch(torch_fn, arrays, upstream):
    ts = [torch.tensor(a, dtype=torch.float32, requires_grad=True) for a in arrays]
    out = torch_fn(*ts)
    out.backward(torch.tensor(upstream, dtype=torch.float32))
    return out.detach().numpy(), [
        t.grad.numpy() if t.grad is not None else np.zeros(t.shape, np.float32) for t in ts
    ]


def central_differences(f, arrays, eps=1e-6):
    """d f / d a for each array ``a`` (perturbed in place), by central differences."""
    grads = []
    for a in arrays:
        g = np.zeros(a.shape)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + eps
            plus = f()
            flat[i] = orig - eps
            minus = f()
            flat[i] = orig
            gflat[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def numerical_grads(fn, arrays, upstream, eps=1e-6):
    """Central differences of sum(fn(*arrays) * upstream) with respect to every input."""
    arrays = [a.astype(np.float64).copy() for a in arrays]

    def f():
        with gn.no_grad():
            out = fn(*[gn.tensor(a, dtype=np.float64) for a in arrays])
        return float((out.numpy() * upstream).sum())

    return central_differences(f, arrays, eps)


def check_broadcast_gradients(op, a_shape=(3, 1), b_shape=(4,), seed=3):
    """A binary op on broadcasting inputs (signed values of magnitude 0.5-2, away from zero):
    each gradient has its input's shape and equals float64 central differences."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.5, 2.0, a_shape) * rng.choice([-1, 1], a_shape)
    b = rng.uniform(0.5, 2.0, b_shape) * rng.choice([-1, 1], b_shape)
    ta = gn.tensor(a, dtype=np.float64, requires_grad=True)
    tb = gn.tensor(b, dtype=np.float64, requires_grad=True)
    out = op(ta, tb)
    assert out.shape == np.broadcast_shapes(a_shape, b_shape)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    na, nb = numerical_grads(op, [a, b], upstream)
    assert ta.grad.shape == a_shape and tb.grad.shape == b_shape
    np.testing.assert_allclose(ta.grad, na, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(tb.grad, nb, rtol=1e-6, atol=1e-8)


def check_op(fn, torch_fn, shapes, *, low=-2.0, high=2.0, kinks=(), seed=0,
             rtol=1e-5, atol=1e-5, fd_rtol=1e-5, fd_atol=1e-6, arrays=None, fd=True,
             device=True):
    """Compare ``fn`` (glassnet) with ``torch_fn`` (PyTorch) on random inputs of ``shapes``.

    Checks, in float32, the forward value and the gradient of every input under a random
    upstream gradient; then, in float64, glassnet's gradients against finite differences.
    ``torch_fn=None`` skips the PyTorch comparison (for ops PyTorch lacks: pass a reference
    written with torch primitives instead where possible); ``fd=False`` skips finite
    differences (only for inputs placed on purpose where the op has no derivative, e.g. ties).
    """
    if arrays is None:
        arrays = random_inputs(shapes, low, high, kinks, seed)
    rng = np.random.default_rng(seed + 1)
    with gn.no_grad():
        out_shape = fn(*[gn.tensor(a) for a in arrays]).shape
    upstream = rng.standard_normal(out_shape)

    value, grads = _run_glassnet(fn, arrays, np.float32, upstream)
    if device:  # False for ops that draw random numbers (a GPU generator draws others)
        check_on_device(fn, arrays, upstream, value, grads, rtol, atol)
    if torch_fn is not None:
        ref_value, ref_grads = _run_torch(torch_fn, arrays, upstream)
        assert value.shape == ref_value.shape, f"shape {value.shape} vs torch {ref_value.shape}"
        np.testing.assert_allclose(value, ref_value, rtol=rtol, atol=atol, err_msg="forward")
        for i, (g, ref) in enumerate(zip(grads, ref_grads)):
            np.testing.assert_allclose(g, ref, rtol=rtol, atol=atol, err_msg=f"grad of input {i}")

    if not fd:
        return
    _, analytic = _run_glassnet(fn, arrays, np.float64, upstream)
    numeric = numerical_grads(fn, arrays, upstream)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        np.testing.assert_allclose(a, n, rtol=fd_rtol, atol=fd_atol,
                                   err_msg=f"finite differences, input {i}")


def check_layer_on_device(layer, x32, multi, upstream, training, rtol=None, atol=None):
    """A copy of ``layer`` built on the GPU with the same weights gives the same output and
    gradients (inputs and trainable weights) as ``layer`` on the CPU, all kept on the GPU. A
    no-op without a test device. Layers that draw random numbers while training are compared
    in inference mode (a GPU generator draws other numbers than the host's)."""
    if not TEST_DEVICE:
        return
    with device_block():
        _check_layer_on_device(layer, x32, multi, upstream, training, rtol, atol)


def _check_layer_on_device(layer, x32, multi, upstream, training, rtol, atol):
    rtol, atol = _device_tolerances(rtol, atol)
    config = layer.get_config()
    x_in = x32 if multi else x32[0]
    if training:  # a layer that draws while training draws other numbers on a GPU
        with gn.no_grad():
            first, again = (layer(x_in, training=True).numpy() for _ in range(2))
        training = bool(np.array_equal(first, again, equal_nan=True))
    with gn.device("gpu"):
        twin = type(layer).from_config(config)
        twin(x_in, training=False)
    twin.set_weights(layer.get_weights())
    for w in twin.weights:
        assert backend.on_device(w.data), f"weight {w.name} of the GPU copy is on the host"
    with gn.device("gpu"):
        ts = [gn.tensor(a, dtype=np.float32, requires_grad=True) for a in x32]
        g_up = gn.tensor(upstream.astype(np.float32))
    for p in twin.trainable_weights:
        p.grad = None
    out = twin(ts if multi else ts[0], training=training)
    assert backend.on_device(out.data), f"{layer.name}: the output left the GPU"
    if not out.requires_grad:  # not differentiable (a preprocessing layer): the values only
        with gn.no_grad():
            ref = layer(x_in, training=training)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"{layer.name}: GPU forward")
        return
    ref_out, ref_grads = _layer_analytic_grads(layer, x32, multi, upstream, training,
                                               np.float32)
    out.backward(g_up)
    np.testing.assert_allclose(out.numpy(), ref_out.numpy(), rtol=rtol, atol=atol,
                               err_msg=f"{layer.name}: GPU forward")
    grads = [t.grad for t in ts] + [p.grad for p in twin.trainable_weights]
    for i, (g, ref) in enumerate(zip(grads, ref_grads)):
        if ref is None:
            continue
        assert g is not None and backend.on_device(g), f"{layer.name}: gradient {i} left the GPU"
        np.testing.assert_allclose(_host(g), _host(ref), rtol=rtol, atol=atol,
                                   err_msg=f"{layer.name}: GPU gradient {i}")


def _layer_inputs(shapes, low, high, kinks, seed):
    multi = isinstance(shapes, list)
    arrays = random_inputs(shapes if multi else [shapes], low, high, kinks, seed)
    return arrays, multi


def _with_none_batch(shapes, multi):
    if multi:
        return [(None, *s[1:]) for s in shapes]
    return (None, *shapes[1:])


def _layer_fd_grads(layer, arrays, multi, upstream, training, eps=1e-6):
    """Central differences of sum(layer(x) * upstream) w.r.t. inputs and trainable weights."""

    def f():
        with gn.no_grad():
            out = layer(arrays if multi else arrays[0], training=training)
        return float((out.numpy() * upstream).sum())

    return central_differences(f, [*arrays, *(p.data for p in layer.trainable_weights)], eps)


def _layer_analytic_grads(layer, arrays, multi, upstream, training, dtype):
    ts = [gn.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    for p in layer.trainable_weights:
        p.grad = None
    out = layer(ts if multi else ts[0], training=training)
    out.backward(upstream.astype(dtype))
    return out, [t.grad for t in ts] + [p.grad for p in layer.trainable_weights]


def check_layer(make, input_shape, *, expected_output_shape=None, expected_params=None,
                training=False, torch_module=None, torch_weights=None, to_torch_input=None,
                from_torch_output=None, gradcheck=True, low=-2.0, high=2.0, kinks=(), seed=0,
                rtol=1e-5, atol=1e-5, fd_rtol=1e-4, fd_atol=1e-6):
    """One conformance check for a layer, the way every layer is tested.

    - builds on first call; output shape equals ``compute_output_shape`` (concrete and with
      an unknown batch size) and ``expected_output_shape``;
    - ``count_params`` equals the weights' sizes and ``expected_params``;
    - ``get_config`` -> ``from_config`` gives the same config, and with the same weights the
      same output;
    - float64 gradients w.r.t. the inputs and every trainable weight match finite
      differences (``gradcheck``);
    - with ``torch_module``: ``torch_weights(layer, module)`` copies our weights into it and
      returns [(our parameter, torch parameter, torch-grad -> our layout)]; the forward
      value and the gradients of inputs and those weights must match PyTorch's.
    Returns the layer.
    """
    arrays, multi = _layer_inputs(input_shape, low, high, kinks, seed)
    layer = make()
    x32 = [a.astype(np.float32) for a in arrays]
    y = layer(x32 if multi else x32[0], training=training)
    assert layer.built, "layer not built by its first call"
    assert y.dtype == np.float32
    assert tuple(y.shape) == tuple(layer.compute_output_shape(input_shape))
    none_shape = layer.compute_output_shape(_with_none_batch(input_shape, multi))
    assert tuple(none_shape) == (None, *y.shape[1:]), f"{none_shape} vs {y.shape}"
    if expected_output_shape is not None:
        assert tuple(y.shape) == tuple(expected_output_shape)
    n_params = layer.count_params()
    assert n_params == sum(w.size for w in layer.weights)
    if expected_params is not None:
        assert n_params == expected_params, f"{n_params} parameters, expected {expected_params}"

    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x_in = x32 if multi else x32[0]
    clone(x_in, training=False)  # inference: random layers draw nothing
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x_in, training=False).numpy(),
                               layer(x_in, training=False).numpy(), rtol=1e-6, atol=1e-7)

    rng = np.random.default_rng(seed + 1)
    upstream = rng.standard_normal(y.shape)
    if gradcheck:
        layer64 = type(layer).from_config({**config, "dtype": "float64"})
        layer64(arrays if multi else arrays[0], training=training)
        layer64.set_weights([w.astype(np.float64) for w in layer.get_weights()])
        _, analytic = _layer_analytic_grads(layer64, arrays, multi, upstream, training,
                                            np.float64)
        numeric = _layer_fd_grads(layer64, [a.copy() for a in arrays], multi, upstream, training)
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            assert a is not None, f"gradient {i} missing"
            np.testing.assert_allclose(a, n, rtol=fd_rtol, atol=fd_atol,
                                       err_msg=f"finite differences, gradient {i}")

    check_layer_on_device(layer, x32, multi, upstream, training, rtol, atol)

    if torch_module is not None:
        pairs = torch_weights(layer, torch_module) if torch_weights else []
        out, grads = _layer_analytic_grads(layer, x32, multi, upstream, training, np.float32)
        tx = [torch.tensor(a if to_torch_input is None else to_torch_input(a),
                           dtype=torch.float32, requires_grad=True) for a in x32]
        tout = torch_module(*tx) if multi else torch_module(tx[0])
        tout = tout if from_torch_output is None else from_torch_output(tout)
        tout.backward(torch.tensor(upstream, dtype=torch.float32))
        np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg="forward vs torch")
        for i, t in enumerate(tx):
            g = t.grad.numpy()
            g = g if to_torch_input is None else to_torch_input(g, inverse=True)
            np.testing.assert_allclose(grads[i], g, rtol=rtol, atol=atol,
                                       err_msg=f"input {i} gradient vs torch")
        for ours, theirs, convert in pairs:
            np.testing.assert_allclose(ours.grad, convert(theirs.grad), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of {ours.name} vs torch")
    return layer
