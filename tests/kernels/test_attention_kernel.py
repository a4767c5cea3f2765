"""The fast attention kernel against the readable op it replaces (values, every gradient, the
dropout draws and the generator's state afterwards), with the work cut into many small blocks
over two threads; and against PyTorch (the readable op is checked against PyTorch in
tests/autograd/ops/test_attention.py)."""

import contextlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet import keras, kernels
from glassnet.autograd.ops import attention as readable
from glassnet.kernels import attention as fast

TOL = {np.float32: 1e-5, np.float64: 1e-10}


@pytest.fixture
def small_blocks(split_everything, monkeypatch):
    """Two threads, every array split, and blocks of one or two rows."""
    monkeypatch.setattr(fast, "BLOCK_BYTES", 2048)


def causal(length, source):
    return np.where(np.tril(np.ones((length, source), bool)), 0, -np.inf)


def run(op_class, arrays, dtype, additive, rate, rng, upstream, need):
    ts = [gn.tensor(a, dtype=dtype, requires_grad=r) for a, r in zip(arrays, need)]
    add = None if additive is None else additive.astype(dtype)
    y = op_class(0.4, add, rate, rng)(*ts)
    if any(need):
        y.backward(upstream.astype(dtype))
    return [y.numpy()] + [t.grad for t in ts if t.requires_grad]


def same(a, b):
    """Equal generator states (dicts that may hold arrays)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return np.array_equal(a, b)


def generator(odd=False, kind=np.random.PCG64):
    rng = np.random.Generator(kind(5))
    if odd:  # leaves half of a 64-bit draw buffered
        rng.random(1, dtype=np.float32)
    return rng


def against_readable(shapes, dtype=np.float64, additive=None, rate=0.0, odd=False,
                     kind=np.random.PCG64, scale=1.0, need=None, arrays=None):
    """The kernel and the readable op on the same inputs and generator state: the same output,
    gradients (to TOL, relative to each array's largest entry) and state afterwards."""
    data = np.random.default_rng(len(shapes))
    if arrays is None:
        arrays = [data.standard_normal(s) * (scale if i == 0 else 1)
                  for i, s in enumerate(shapes)]
    need = need or [True] * len(arrays)
    with gn.no_grad():
        out = readable.ScaledDotProductAttention(0.4, None, 0.0, None)(
            *[gn.tensor(a) for a in arrays])
    upstream = data.standard_normal(out.shape) if additive is None else data.standard_normal(
        np.broadcast_shapes(out.shape[:-2], additive.shape[:-2]) + out.shape[-2:])
    results, states = [], []
    for op_class in (readable.ScaledDotProductAttention, fast.ScaledDotProductAttention):
        rng = generator(odd, kind)
        results.append(run(op_class, arrays, dtype, additive, rate, rng, upstream, need))
        states.append(rng.bit_generator.state)
    want, got = results
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape and g.dtype == dtype, f"output {i}"
        tol = TOL[dtype]
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * np.abs(w).max(initial=0),
                                   err_msg=f"output {i} (0: forward, then each gradient)")
    assert same(*states), "the generator must end where the readable op leaves it"
    return got


SHAPES = {
    "plain": [(2, 3, 7, 5), (2, 3, 9, 5), (2, 3, 9, 6)],
    "no batch axes": [(7, 5), (9, 5), (9, 3)],
    "broadcast batch": [(2, 1, 7, 5), (3, 9, 5), (1, 3, 9, 6)],
    "one row": [(1, 1, 4), (1, 6, 4), (1, 6, 2)],
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rate", [0.0, 0.3])
@pytest.mark.parametrize("case", list(SHAPES))
def test_matches_readable(small_blocks, case, rate, dtype):
    against_readable(SHAPES[case], dtype, rate=rate)


MASKS = {  # additive masks (0 / -inf from bool masks and is_causal) over (2, 3, L=40, S=40)
    "causal": lambda: causal(40, 40),                     # cut into 2 tiles of queries
    "causal L != S": lambda: causal(40, 48),
    "padding": lambda: np.where(np.arange(40) < np.array([[[[30]]], [[[12]]]]), 0, -np.inf),
    "padding and causal": lambda: np.where(np.arange(40) < np.array([[[[30]]], [[[12]]]]),
                                           causal(40, 40), -np.inf),
    "random per head": lambda: np.where(np.random.default_rng(1).random((3, 40, 40)) < 0.7,
                                        0, -np.inf),
    "rows fully masked": lambda: np.where(np.arange(40)[:, None] % 7 == 3, -np.inf,
                                          causal(40, 40)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rate", [0.0, 0.2])
@pytest.mark.parametrize("mask", list(MASKS))
def test_masks(small_blocks, mask, rate, dtype):
    additive = MASKS[mask]()
    source = additive.shape[-1]
    got = against_readable([(2, 3, 40, 4), (2, 3, source, 4), (2, 3, source, 3)], dtype,
                           additive, rate)
    if mask == "rows fully masked":
        assert not got[0][:, :, 3::7].any()  # zeros, as PyTorch, not NaN


def test_causal_long_sequence_in_four_tiles(small_blocks):
    additive = causal(130, 130)
    assert len(fast._tiles([fast._Rows(additive, (2, 1), (130, 130))], 130, 130)[0]) == 4
    against_readable([(2, 1, 130, 3), (2, 1, 130, 3), (2, 1, 130, 2)], np.float32, additive,
                     rate=0.1)


@pytest.mark.parametrize("mask_shape", [(2, 1, 7, 9), (7, 9), (3, 1, 9)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_mask_gets_its_gradient(small_blocks, mask_shape, dtype):
    against_readable([(2, 3, 7, 4), (2, 3, 9, 4), (2, 3, 9, 3), mask_shape], dtype, rate=0.2)


def test_shared_float_mask_with_gradient_in_tiles(small_blocks):
    data = np.random.default_rng(5)
    arrays = [data.standard_normal(s) for s in [(2, 3, 40, 4), (2, 3, 40, 4), (2, 3, 40, 3)]]
    mask = causal(40, 40) + data.standard_normal((40, 40))
    assert len(fast._tiles([fast._Rows(mask, (2, 3), (40, 40))], 40, 40)[0]) == 2
    against_readable([a.shape for a in arrays] + [mask.shape], np.float64, rate=0.2,
                     arrays=arrays + [mask])


@pytest.mark.parametrize("scale", [8.0, 20.0, 60.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_scores(small_blocks, scale, dtype):
    """Large scores (x8: no row redone) and scores past exp's range (x20: a quarter of the
    rows, x60: most) redone with their row maximum, as the readable op computes them."""
    against_readable([(2, 2, 9, 6), (2, 2, 11, 6), (2, 2, 11, 3)], dtype, scale=scale,
                     rate=0.2)


def test_large_float_mask_is_redone_exactly(small_blocks):
    data = np.random.default_rng(3)
    arrays = [data.standard_normal(s) for s in [(2, 9, 4), (2, 11, 4), (2, 11, 3)]]
    mask = np.where(data.random((9, 11)) < 0.2, 200.0, 0.0)
    against_readable([a.shape for a in arrays] + [mask.shape], np.float32,
                     arrays=arrays + [mask])


@pytest.mark.parametrize("need", [[False, False, True], [True, False, False],
                                  [False, True, False], [False, False, False, True]])
def test_some_inputs_need_no_gradient(small_blocks, need):
    shapes = [(2, 3, 7, 4), (2, 3, 9, 4), (2, 3, 9, 3)] + ([(7, 9)] if len(need) > 3 else [])
    against_readable(shapes, need=need, rate=0.2)


@pytest.mark.parametrize("odd", [False, True])
@pytest.mark.parametrize("kind", [np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937,
                                  np.random.Philox])
def test_dropout_draws_as_the_readable_op(small_blocks, kind, odd):
    against_readable([(3, 2, 7, 4), (3, 2, 5, 4), (3, 2, 5, 3)], np.float32, rate=0.5,
                     odd=odd, kind=kind)


@pytest.mark.parametrize("rate", [1e-7, 0.1, 0.5, 0.999, 1.0])
def test_dropout_rates(small_blocks, rate):
    against_readable([(2, 5, 4), (2, 6, 4), (2, 6, 3)], np.float32, rate=rate)


@pytest.mark.parametrize("rate", [1e-9, 0.1, 1 / 3, 0.5, 0.7, 1 - 1e-9, 1.0])
def test_keep_threshold_is_the_float32_comparison(rate):
    t = fast.keep_threshold(rate)
    x = np.arange(max(t - 300, 0), min(t + 300, 2**24), dtype=np.uint64) << 8
    u = (x >> 8).astype(np.float32) * np.float32(2.0**-24)
    np.testing.assert_array_equal((x >> 8) >= t, u >= rate)


@pytest.mark.parametrize("drawn", [0, 1, 2, 7, 8, 1001])
@pytest.mark.parametrize("odd", [False, True])
@pytest.mark.parametrize("kind", [np.random.PCG64, np.random.PCG64DXSM])
def test_state_after_is_numpys(kind, odd, drawn):
    rng = generator(odd, kind)
    state = rng.bit_generator.state
    rng.random(drawn, dtype=np.float32)
    assert same(fast.state_after(kind, state, drawn), rng.bit_generator.state)


def test_threads_do_not_change_the_result(split_everything, monkeypatch):
    monkeypatch.setattr(fast, "BLOCK_BYTES", 2048)
    arrays = [np.random.default_rng(0).standard_normal((4, 3, 9, 5)) for _ in range(3)]
    results = []
    for n in (1, 2):
        kernels.set_num_threads(n)
        with kernels.training():
            results.append(run(fast.ScaledDotProductAttention, arrays, np.float32,
                               causal(9, 9), 0.3, generator(), np.ones((4, 3, 9, 5)),
                               [True] * 3))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_no_grad_keeps_nothing_of_the_scores_size(small_blocks):
    arrays = [np.random.default_rng(0).standard_normal((2, 3, 9, 5)) for _ in range(3)]
    ts = [gn.tensor(a, requires_grad=True) for a in arrays]
    op = fast.ScaledDotProductAttention(0.4, causal(9, 9).astype(np.float32), 0.3, generator())
    with gn.no_grad():
        y = op(*ts)
    assert y.grad_fn is None and op.kept is None
    want = readable.ScaledDotProductAttention(0.4, causal(9, 9).astype(np.float32), 0.3,
                                              generator())(*ts)
    np.testing.assert_allclose(y.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_float64_mask_on_float32_inputs_as_the_readable_op():
    data = np.random.default_rng(0)
    q, k, v = (gn.tensor(data.standard_normal(s), dtype=np.float32, requires_grad=True)
               for s in [(2, 5, 4), (2, 6, 4), (2, 6, 3)])
    mask = gn.tensor(data.standard_normal((5, 6)), dtype=np.float64, requires_grad=True)
    results = []
    for op_class in (readable.ScaledDotProductAttention, fast.ScaledDotProductAttention):
        for t in (q, k, v, mask):
            t.grad = None
        y = op_class(0.4, None, 0.0, None)(q, k, v, mask)
        y.backward(np.ones(y.shape))
        results.append([y.numpy()] + [t.grad for t in (q, k, v, mask)])
    for a, b in zip(*results):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("shapes", [[(2, 0, 4), (2, 5, 4), (2, 5, 3)],
                                    [(0, 3, 4), (0, 5, 4), (0, 5, 3)]])
def test_empty_inputs_as_the_readable_op(shapes):
    got = against_readable(shapes)
    assert got[0].shape == (shapes[0][0], shapes[0][1], 3)


def test_matches_torch_through_the_public_op(split_everything):
    def ours(q, k, v):
        with kernels.training():
            return gn.scaled_dot_product_attention(q, k, v, is_causal=True)

    def theirs(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True)

    check_op(ours, theirs, [(2, 3, 6, 4), (2, 3, 6, 4), (2, 3, 6, 5)])
    mask = np.random.default_rng(7).random((2, 1, 6, 8)) > 0.4
    check_op(lambda q, k, v: _in_block(q, k, v, mask),
             lambda q, k, v: F.scaled_dot_product_attention(q, k, v,
                                                            attn_mask=torch.tensor(mask)),
             [(2, 3, 6, 4), (2, 3, 8, 4), (2, 3, 8, 5)])


def _in_block(q, k, v, mask):
    with kernels.training():
        return gn.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def test_public_op_runs_the_kernel_inside_the_blocks():
    q = gn.tensor(np.ones((1, 2, 3), np.float32), requires_grad=True)
    assert type(gn.scaled_dot_product_attention(q, q, q).grad_fn) is \
        readable.ScaledDotProductAttention
    for block in (kernels.training, kernels.inference):
        with block():
            y = gn.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
        assert type(y.grad_fn) is fast.ScaledDotProductAttention


@pytest.mark.parametrize("causal_mask", [False, True])
def test_multi_head_attention_runs_the_kernel(split_everything, monkeypatch, causal_mask):
    """MultiHeadAttention inside ``kernels.training`` (as in ``fit``) runs the kernel and
    gives what it gives outside, dropout draws included (the layer's seeded generator)."""
    calls = []
    forward = fast.ScaledDotProductAttention.forward
    monkeypatch.setattr(fast.ScaledDotProductAttention, "forward",
                        lambda self, *a: calls.append(1) or forward(self, *a))
    x = np.random.default_rng(0).standard_normal((3, 10, 8)).astype(np.float32)
    mask = np.random.default_rng(1).random((3, 10)) < 0.8
    upstream = np.random.default_rng(2).standard_normal((3, 10, 8)).astype(np.float32)
    results = []
    for fast_path in (False, True):
        layer = keras.layers.MultiHeadAttention(2, 4, dropout=0.25, seed=3)
        layer(x, x)
        keras.utils.set_random_seed(0)
        layer.set_weights([np.random.default_rng(i).standard_normal(w.shape) * 0.5
                           for i, w in enumerate(layer.get_weights())])
        xt = gn.tensor(x, requires_grad=True)
        with kernels.training() if fast_path else contextlib.nullcontext():
            y = layer(xt, xt, attention_mask=mask[:, None, :], use_causal_mask=causal_mask,
                      training=True)
            y.backward(upstream)
        results.append([y.numpy(), xt.grad] + [w.grad for w in layer.trainable_weights])
        assert len(calls) == fast_path
    for a, b in zip(*results):
        # (the key bias's gradient is 0 up to rounding: softmax ignores a shift of a row)
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5 * max(np.abs(a).max(), 1))
