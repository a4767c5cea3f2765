"""The fused recurrences (lstm, gru, simple_rnn): against torch.nn.LSTM / GRU / RNN, against the
same recurrence composed of engine ops step by step, against finite differences, and their
fast kernels against the readable ops."""

import contextlib

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import backend, kernels
from glassnet.autograd import ops
from glassnet.autograd.ops import recurrent
from glassnet.autograd.ops.recurrent import gru, lstm, simple_rnn
from glassnet.kernels import recurrent as fast
from glassnet.kernels import threads
from tests.helpers import check_op

B, T, F, U = 3, 7, 5, 4
GATES = {"lstm": 4, "gru": 3, "gru_before": 3, "rnn": 1, "rnn_relu": 1}


def _rng(seed=0):
    return np.random.default_rng(seed)


def make_case(kind, batch=B, time=T, features=F, units=U, seed=0):
    """Random inputs of one op: [x, h0, (c0,) kernel, recurrent_kernel, bias] (float64)."""
    rng = _rng(seed)
    g = GATES[kind]
    arrays = [rng.uniform(-1, 1, (batch, time, features)), rng.uniform(-1, 1, (batch, units))]
    if kind == "lstm":
        arrays.append(rng.uniform(-1, 1, (batch, units)))
    arrays += [rng.uniform(-0.7, 0.7, (features, g * units)),
               rng.uniform(-0.7, 0.7, (units, g * units))]
    bias_shape = (2, 3 * units) if kind == "gru" else (g * units,)
    arrays.append(rng.uniform(-0.5, 0.5, bias_shape))
    return arrays


def fused(kind, **options):
    """The op of ``kind`` as a function of its tensors, returning its results."""
    if kind == "lstm":
        return lambda *t: lstm(*t, **options)
    if kind in ("gru", "gru_before"):
        return lambda *t: gru(*t, reset_after=kind == "gru", **options)
    return lambda *t: simple_rnn(*t, activation="relu" if kind == "rnn_relu" else "tanh",
                                 **options)


def sigmoid(z):
    return ops.sigmoid(z)


def composed(kind, mask=None, reverse=False, input_dropout_mask=None,
             recurrent_dropout_mask=None):
    """The same recurrence as a loop of engine ops (matmul, sigmoid, tanh, where), Keras's
    cell formulas and masking written out step by step."""

    def run(x, h, *rest):
        c = rest[0] if kind == "lstm" else None
        masks = [None if m is None else gn.tensor(m, dtype=x.dtype)
                 for m in (input_dropout_mask, recurrent_dropout_mask)]
        kernel, rk, bias = rest[-3:]
        u = h.shape[1]
        if masks[0] is not None:
            x = x * masks[0][:, None, :]
        out, outs = h * 0, []
        steps = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
        for t in steps:
            xt = x[:, t]
            hd = h if masks[1] is None else h * masks[1]
            if kind == "lstm":
                z = xt @ kernel + hd @ rk + bias
                i, f = sigmoid(z[:, :u]), sigmoid(z[:, u:2 * u])
                g, o = ops.tanh(z[:, 2 * u:3 * u]), sigmoid(z[:, 3 * u:])
                c_new = f * c + i * g
                h_new = o * ops.tanh(c_new)
            elif kind == "gru":
                xz = xt @ kernel + bias[0]
                q = hd @ rk + bias[1]
                z = sigmoid(xz[:, :u] + q[:, :u])
                r = sigmoid(xz[:, u:2 * u] + q[:, u:2 * u])
                n = ops.tanh(xz[:, 2 * u:] + r * q[:, 2 * u:])
                h_new = z * h + (1 - z) * n
            elif kind == "gru_before":
                xz = xt @ kernel + bias
                q = hd @ rk[:, :2 * u]
                z, r = sigmoid(xz[:, :u] + q[:, :u]), sigmoid(xz[:, u:2 * u] + q[:, u:])
                n = ops.tanh(xz[:, 2 * u:] + (r * hd) @ rk[:, 2 * u:])
                h_new = z * h + (1 - z) * n
            else:
                z = xt @ kernel + hd @ rk + bias
                h_new = ops.relu(z) if kind == "rnn_relu" else ops.tanh(z)
            if mask is None:
                out = h_new
            else:
                keep = mask[:, t, None]
                h_new = ops.where(keep, h_new, h)
                out = ops.where(keep, h_new, out)
                if c is not None:
                    c_new = ops.where(keep, c_new, c)
            h = h_new
            if c is not None:
                c = c_new
            outs.append(out)
        seq = ops.stack(outs, axis=1)
        return (seq, h, c) if kind == "lstm" else (seq, h)

    return run


def run_with_grads(fn, arrays, upstreams, dtype=np.float64):
    tensors = [gn.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    results = fn(*tensors)
    maker = results[0].grad_fn.inputs[0].grad_fn  # the op whose packed result they share
    loss = sum((r * gn.tensor(g, dtype=dtype)).sum() for r, g in zip(results, upstreams))
    loss.backward()
    return [r.numpy() for r in results], [t.grad for t in tensors], type(maker)


def upstreams_for(kind, arrays, seed=1):
    rng = _rng(seed)
    batch, time, _ = arrays[0].shape
    units = arrays[1].shape[1]
    shapes = [(batch, time, units), (batch, units)] + ([(batch, units)] if kind == "lstm" else [])
    return [rng.standard_normal(s) for s in shapes]


def assert_same(got, want, rtol, atol, what):
    (gv, gg), (wv, wg) = got, want
    for i, (a, b) in enumerate(zip(gv, wv)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what}: result {i}")
    for i, (a, b) in enumerate(zip(gg, wg)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"{what}: gradient {i}")


def options_for(case, batch=B, time=T, features=F, units=U, seed=2):
    """Masks for one named case: a mask with leading, inner and trailing gaps (one sample
    fully masked), reversed order, dropout masks (scaled as Keras: kept / (1 - rate))."""
    rng = _rng(seed)
    options = {}
    if "mask" in case:
        mask = rng.random((batch, time)) > 0.35
        mask[0, :2] = False          # leading masked steps: outputs 0, states carried
        mask[-1, :] = False          # nothing taken: the states stay h0, c0
        mask[1, -2:] = False         # trailing padding
        options["mask"] = mask
    if "reverse" in case:
        options["reverse"] = True
    if "dropout" in case:
        options["input_dropout_mask"] = (rng.random((batch, features)) > 0.3) / 0.7
        options["recurrent_dropout_mask"] = (rng.random((batch, units)) > 0.3) / 0.7
    return options


CASES = ["plain", "mask", "reverse", "dropout", "mask+reverse+dropout"]
KINDS = list(GATES)


# ------------------------------------------------------------- against composed engine ops


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
def test_matches_the_composed_recurrence(kind, case):
    arrays = make_case(kind)
    options = options_for(case)
    ups = upstreams_for(kind, arrays)
    want = run_with_grads(composed(kind, **options), arrays, ups)[:2]
    got = run_with_grads(fused(kind, **options), arrays, ups)[:2]
    assert_same(got, want, 1e-10, 1e-12, f"{kind} {case}")


# ------------------------------------------------------------------- against torch.nn


def _torch_gates(kind, a):
    """Keras gate blocks (last axis) in torch's order: GRU z, r, h -> r, z, n."""
    if kind != "gru":
        return a
    z, r, h = np.split(a, 3, axis=-1)
    return np.concatenate([r, z, h], axis=-1)


def _torch_module(kind, arrays):
    kernel, rk, bias = arrays[-3:]
    features, units = kernel.shape[0], rk.shape[0]
    if kind == "lstm":
        module = torch.nn.LSTM(features, units, batch_first=True)
    elif kind == "gru":
        module = torch.nn.GRU(features, units, batch_first=True)
    else:
        module = torch.nn.RNN(features, units, batch_first=True,
                              nonlinearity="relu" if kind == "rnn_relu" else "tanh")
    b_ih, b_hh = (bias[0], bias[1]) if kind == "gru" else (bias, np.zeros_like(bias))
    with torch.no_grad():
        for name, value in (("weight_ih_l0", _torch_gates(kind, kernel).T),
                            ("weight_hh_l0", _torch_gates(kind, rk).T),
                            ("bias_ih_l0", _torch_gates(kind, b_ih)),
                            ("bias_hh_l0", _torch_gates(kind, b_hh))):
            getattr(module, name).copy_(torch.tensor(value))
    return module


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn", "rnn_relu"])
@pytest.mark.parametrize("reverse", [False, True])
def test_matches_torch(kind, reverse):
    """Forward and every gradient against torch.nn (float32). reverse=True is torch run on
    the time-reversed input: Keras's go_backwards output order."""
    arrays = make_case(kind, batch=4, time=9, features=6, units=5)
    ups = upstreams_for(kind, arrays)
    values, grads, _ = run_with_grads(fused(kind, reverse=reverse), arrays, ups, np.float32)

    module = _torch_module(kind, arrays)
    x = torch.tensor(arrays[0], dtype=torch.float32, requires_grad=True)
    states = [torch.tensor(a[None], dtype=torch.float32, requires_grad=True)
              for a in arrays[1:3 if kind == "lstm" else 2]]
    seq, final = module(x.flip(1) if reverse else x,
                        tuple(states) if kind == "lstm" else states[0])
    finals = list(final) if kind == "lstm" else [final]
    loss = (seq * torch.tensor(ups[0])).sum() + sum(
        (f[0] * torch.tensor(g)).sum() for f, g in zip(finals, ups[1:]))
    loss.backward()

    tol = dict(rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(values[0], seq.detach().numpy(), **tol)
    for ours, theirs in zip(values[1:], finals):
        np.testing.assert_allclose(ours, theirs[0].detach().numpy(), **tol)
    np.testing.assert_allclose(grads[0], x.grad.numpy(), **tol)
    for ours, theirs in zip(grads[1:], states):
        np.testing.assert_allclose(ours, theirs.grad[0].numpy(), **tol)
    n = len(states) + 1
    dk, drk, db = grads[n:]
    np.testing.assert_allclose(dk, _torch_gates(kind, module.weight_ih_l0.grad.numpy().T), **tol)
    np.testing.assert_allclose(drk, _torch_gates(kind, module.weight_hh_l0.grad.numpy().T),
                               **tol)
    b_ih = _torch_gates(kind, module.bias_ih_l0.grad.numpy())
    b_hh = _torch_gates(kind, module.bias_hh_l0.grad.numpy())
    np.testing.assert_allclose(db, np.stack([b_ih, b_hh]) if kind == "gru" else b_ih, **tol)


def test_trailing_padding_matches_torch_packed_sequences():
    """A mask that pads the end: the final states are those of torch's packed sequences
    (the last real step of each sample), and the kept outputs match."""
    arrays = make_case("lstm", batch=3, time=6)
    lengths = [6, 4, 2]
    mask = np.arange(6)[None, :] < np.array(lengths)[:, None]
    seq, h, c = lstm(*[gn.tensor(a) for a in arrays], mask=mask)
    module = _torch_module("lstm", arrays)
    x = torch.tensor(arrays[0], dtype=torch.float32)
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True)
    states = tuple(torch.tensor(a[None], dtype=torch.float32) for a in arrays[1:3])
    out, (th, tc) = module(packed, states)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True)
    np.testing.assert_allclose(h.numpy(), th[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c.numpy(), tc[0].detach().numpy(), rtol=1e-5, atol=1e-6)
    kept = mask[:, :, None]
    np.testing.assert_allclose(seq.numpy() * kept, out.detach().numpy() * kept, atol=1e-6)
    # Keras: a padded step repeats the last output
    np.testing.assert_array_equal(seq.numpy()[1, 4:], np.repeat(seq.numpy()[1, 3:4], 2, 0))


# ------------------------------------------------------------------ finite differences


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", ["plain", "mask+reverse+dropout"])
def test_finite_differences(kind, case):
    arrays = make_case(kind, batch=2, time=3, features=3, units=2)
    options = options_for(case, batch=2, time=3, features=3, units=2)
    op = fused(kind, **options)

    def flat(*tensors):
        results = op(*tensors)
        return ops.concatenate([r.reshape(r.shape[0], -1) for r in results], axis=1)

    check_op(flat, None, None, arrays=arrays)


# ------------------------------------------------------------------------ Keras semantics


def test_leading_masked_steps_give_zero_outputs_and_keep_the_states():
    """As Keras (zero_output_for_mask=False): before the first kept step the output is 0,
    the states stay the initial ones; a sample with no kept step ends with h0, c0."""
    x, h0, c0, *weights = make_case("lstm")
    mask = np.ones((B, T), bool)
    mask[0, :3] = False
    mask[2, :] = False
    seq, h, c = lstm(x, h0, c0, *weights, mask=mask)
    np.testing.assert_array_equal(seq.numpy()[0, :3], 0)
    assert np.all(seq.numpy()[0, 3] != 0)
    np.testing.assert_array_equal(seq.numpy()[2], 0)
    np.testing.assert_allclose(h.numpy()[2], h0[2].astype(np.float32))
    np.testing.assert_allclose(c.numpy()[2], c0[2].astype(np.float32))


def test_masked_steps_get_no_input_gradient():
    arrays = make_case("gru")
    mask = np.ones((B, T), bool)
    mask[:, 2] = False
    mask[1, 5:] = False
    x = gn.tensor(arrays[0], requires_grad=True)
    seq, h = gru(x, *arrays[1:], mask=mask)
    (seq.sum() + h.sum()).backward()
    np.testing.assert_array_equal(x.grad[~mask], 0)
    assert np.all(np.abs(x.grad[mask]).sum(axis=-1) > 0)


def test_reverse_reads_the_last_step_first():
    """reverse=True equals running forward on the time-reversed input, mask included."""
    x, h0, *weights = make_case("rnn")
    mask = options_for("mask")["mask"]
    seq, h = simple_rnn(x, h0, *weights, mask=mask, reverse=True)
    seq2, h2 = simple_rnn(x[:, ::-1], h0, *weights, mask=mask[:, ::-1])
    np.testing.assert_array_equal(seq.numpy(), seq2.numpy())
    np.testing.assert_array_equal(h.numpy(), h2.numpy())


def test_one_result_alone_carries_gradient():
    """Only h used (return_sequences=False): the gradients are those of h alone."""
    arrays = make_case("lstm")
    ts = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    _, h, _ = lstm(*ts)
    h.sum().backward()
    ref = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    composed("lstm")(*ref)[1].sum().backward()
    for a, b in zip(ts, ref):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-10, atol=1e-12)


def test_works_under_a_gradient_tape():
    arrays = make_case("gru")
    w = gn.Variable(arrays[2].astype(np.float32))
    with gn.GradientTape() as tape:
        seq, h = gru(arrays[0], arrays[1], w, *arrays[3:])
        loss = (seq * seq).sum() + h.sum()
    dw = tape.gradient(loss, w)
    ts = [gn.tensor(a, requires_grad=True) for a in arrays]
    seq, h = gru(*ts)
    ((seq * seq).sum() + h.sum()).backward()
    np.testing.assert_allclose(np.asarray(dw), ts[2].grad, rtol=1e-6, atol=1e-7)


def test_defaults_without_initial_states_or_bias():
    x, _, _, kernel, rk, _ = make_case("lstm")
    seq, h, c = lstm(x, None, None, kernel, rk)
    zeros = np.zeros((B, U))
    seq2, h2, c2 = lstm(x, zeros, zeros, kernel, rk, np.zeros(4 * U))
    np.testing.assert_allclose(seq.numpy(), seq2.numpy())
    assert seq.dtype == np.float32 and h.shape == (B, U)


def test_float64_stays_float64():
    arrays = make_case("gru")
    seq, h = gru(*[gn.tensor(a, dtype=np.float64) for a in arrays])
    assert seq.dtype == np.float64 and h.dtype == np.float64


def test_one_timestep_and_no_timesteps():
    arrays = make_case("lstm", time=1)
    seq, h, c = lstm(*arrays)
    np.testing.assert_allclose(seq.numpy()[:, 0], h.numpy())
    arrays = make_case("lstm", time=0)
    ts = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    seq, h, c = lstm(*ts)
    assert seq.shape == (B, 0, U)
    np.testing.assert_array_equal(h.numpy(), arrays[1])
    (h.sum() + c.sum()).backward()
    np.testing.assert_array_equal(ts[1].grad, 1)
    np.testing.assert_array_equal(ts[3].grad, 0)


def test_listed_among_the_ops():
    assert (ops.lstm, ops.gru, ops.simple_rnn) == (lstm, gru, simple_rnn)


# ------------------------------------------------------------------------ bad arguments


BAD = [
    (lambda a: lstm(a[0][0], *a[1:]), ValueError, "expected x of shape (batch, time, features)"),
    (lambda a: lstm(a[0], a[1], a[2], a[3][:-1], *a[4:]), ValueError, "expected kernel of shape"),
    (lambda a: lstm(*a[:4], a[4][:, :-1], a[5]), ValueError,
     "expected recurrent_kernel of shape (units, 4 * units)"),
    (lambda a: lstm(*a[:5], a[5][:-1]), ValueError, "expected bias of shape (16,)"),
    (lambda a: lstm(a[0], a[1][:-1], *a[2:]), ValueError, "expected h0 of shape (3, 4)"),
    (lambda a: lstm(*a, mask=np.ones((B, T + 1), bool)), ValueError,
     "expected mask of shape (3, 7)"),
    (lambda a: lstm(*a, mask=np.array([["a"] * T] * B)), TypeError, "mask must be a bool"),
    (lambda a: lstm(*a, input_dropout_mask=np.ones((B, U))), ValueError,
     "expected input_dropout_mask of shape (3, 5)"),
    (lambda a: lstm(*a, recurrent_dropout_mask=np.ones((B, F))), ValueError,
     "expected recurrent_dropout_mask of shape (3, 4)"),
    (lambda a: lstm(*a, reverse="yes"), TypeError, "reverse must be True or False"),
    (lambda a: lstm(gn.tensor(a[0], dtype=np.float64, requires_grad=True),
                    *[gn.tensor(v, requires_grad=True) for v in a[1:]]), TypeError,
     "one floating dtype"),
]


@pytest.mark.parametrize("call, error, message", BAD)
def test_bad_arguments(call, error, message):
    arrays = make_case("lstm")
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("*", r"\*")):
        call(arrays)


def test_bad_gru_and_rnn_arguments():
    arrays = make_case("gru")
    with pytest.raises(ValueError, match=r"expected bias of shape \(2, 12\)"):
        gru(*arrays[:4], arrays[4][0])
    with pytest.raises(TypeError, match="reset_after must be True or False"):
        gru(*arrays, reset_after=None)
    with pytest.raises(ValueError, match="activation must be 'tanh' or 'relu'"):
        simple_rnn(*make_case("rnn"), activation="sigmoid")


# ---------------------------------------------------------------- the fast kernels


FAST = {recurrent.LSTM: fast.LSTM, recurrent.GRU: fast.GRU,
        recurrent.SimpleRNN: fast.SimpleRNN}


@contextlib.contextmanager
def fast_kernels(n_threads=2):
    """The kernels as ``kernels.training()`` runs them: in the thread pool, BLAS held."""
    before = threads.get_num_threads()
    threads.set_num_threads(n_threads)
    try:
        with threads.thread_pool(), backend.using_kernels({**kernels.KERNELS, **FAST}):
            yield
    finally:
        threads.set_num_threads(before)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("n_threads", [1, 2])
def test_fast_kernel_matches_the_readable_op(kind, case, n_threads):
    # 40 steps: chunks of 4, 8, 16 and 12 steps, so the loop and the products overlap
    arrays = make_case(kind, time=40)
    options = options_for(case, time=40)
    ups = upstreams_for(kind, arrays)
    want = run_with_grads(fused(kind, **options), arrays, ups)
    with fast_kernels(n_threads):
        got = run_with_grads(fused(kind, **options), arrays, ups)
    assert got[2] is FAST[want[2]]
    assert_same(got[:2], want[:2], 1e-10, 1e-12, f"{kind} {case}")


@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_fast_kernel_in_float32_and_without_recording(kind):
    arrays = make_case(kind, time=12)
    options = options_for("mask+reverse+dropout", time=12)
    ups = upstreams_for(kind, arrays)
    want = run_with_grads(fused(kind, **options), arrays, ups, np.float32)
    with fast_kernels():
        got = run_with_grads(fused(kind, **options), arrays, ups, np.float32)
        with gn.no_grad():
            inference = fused(kind, **options)(*arrays)
    assert got[0][0].dtype == np.float32
    assert_same(got[:2], want[:2], 1e-5, 1e-6, kind)
    for a, b in zip(inference, want[0]):
        np.testing.assert_allclose(a.numpy(), b, rtol=1e-6, atol=1e-7)


def test_fast_kernel_gradient_of_one_initial_state_only():
    arrays = make_case("lstm", time=10)
    h0 = gn.tensor(arrays[1], dtype=np.float64, requires_grad=True)
    with fast_kernels():
        _, h, _ = lstm(arrays[0], h0, *arrays[2:])
        h.sum().backward()
    ref = gn.tensor(arrays[1], dtype=np.float64, requires_grad=True)
    _, h, _ = lstm(arrays[0], ref, *arrays[2:])
    h.sum().backward()
    np.testing.assert_allclose(h0.grad, ref.grad, rtol=1e-6)


def test_chunks_cover_the_steps():
    assert fast.chunk_bounds(0) == [0]
    assert fast.chunk_bounds(3) == [0, 3]
    assert fast.chunk_bounds(100) == [0, 4, 12, 28, 60, 92, 100]
