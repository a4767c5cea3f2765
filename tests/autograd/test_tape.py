import threading

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd.tape import GradientTape
from glassnet.autograd.variable import Variable
from glassnet.nn.layers import Dense
from glassnet.train import Sequential

RNG = np.random.default_rng(0)
X = RNG.normal(size=(8, 5)).astype(np.float32)
W1, B1 = RNG.normal(size=(5, 4)).astype(np.float32), RNG.normal(size=4).astype(np.float32)
W2 = RNG.normal(size=(4, 3)).astype(np.float32)
Y = RNG.integers(0, 3, size=8)


def _mlp_loss(lib, x, w1, b1, w2):
    h = lib.tanh(x @ w1 + b1)
    logits = h @ w2
    logp = logits - lib.logsumexp(logits, 1, True) if lib is gn else \
        logits - torch.logsumexp(logits, 1, keepdim=True)
    onehot = np.eye(3, dtype=np.float32)[Y]
    return -(logp * (gn.tensor(onehot) if lib is gn else torch.tensor(onehot))).sum() / 8


def _torch_grads(*arrays):
    ts = [torch.tensor(a, requires_grad=True) for a in arrays[1:]]
    loss = _mlp_loss(torch, torch.tensor(arrays[0]), *ts)
    return [g.numpy() for g in torch.autograd.grad(loss, ts)]


def test_mlp_gradients_equal_backward_and_torch_and_leave_grad_alone():
    params = [Variable(a) for a in (W1, B1, W2)]
    with GradientTape() as tape:
        loss = _mlp_loss(gn, gn.tensor(X), *params)
    grads = tape.gradient(loss, params)
    assert all(p.grad is None for p in params), "the tape wrote .grad"
    loss.backward()  # the graph is still there
    for g, p, t in zip(grads, params, _torch_grads(X, W1, B1, W2)):
        assert type(g) is gn.Tensor and not g.requires_grad and g.dtype == np.float32
        np.testing.assert_allclose(g.numpy(), p.grad, rtol=1e-6)
        np.testing.assert_allclose(g.numpy(), t, rtol=1e-5, atol=1e-6)


def test_broadcasting_and_a_source_used_twice():
    b = Variable(np.array([0.5, -1.0, 2.0], np.float32))
    x = gn.tensor(RNG.normal(size=(4, 3)).astype(np.float32))
    with GradientTape() as tape:
        y = (gn.exp(x * b) * b).sum()
    tb = torch.tensor(b.numpy(), requires_grad=True)
    (expected,) = torch.autograd.grad((torch.exp(torch.tensor(x.numpy()) * tb) * tb).sum(), tb)
    np.testing.assert_allclose(tape.gradient(y, b).numpy(), expected.numpy(), rtol=1e-5)


def test_watched_constant_and_intermediate_sources_match_torch():
    x = gn.tensor([0.5, -1.5, 2.0])
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        h = x * x
        z = (gn.sin(h) * h).sum()
    gh, gx = tape.gradient(z, [h, x])
    tx = torch.tensor(x.numpy(), requires_grad=True)
    th = tx * tx
    eh, ex = torch.autograd.grad((torch.sin(th) * th).sum(), [th, tx])
    np.testing.assert_allclose(gh.numpy(), eh.numpy(), rtol=1e-5)
    np.testing.assert_allclose(gx.numpy(), ex.numpy(), rtol=1e-5)
    np.testing.assert_allclose(tape.gradient(z, z).numpy(), 1.0)  # d(z)/d(z)


def test_non_persistent_tape_answers_once_persistent_many_times():
    w = Variable(2.0)
    with GradientTape() as tape:
        y = w * w
    assert float(tape.gradient(y, w)) == 4.0
    with pytest.raises(RuntimeError, match="A non-persistent GradientTape can only be used to "
                                           "compute one set of gradients"):
        tape.gradient(y, w)
    with GradientTape(persistent=True) as tape:
        y = w * w * w
    assert [float(tape.gradient(y, w)) for _ in range(3)] == [12.0, 12.0, 12.0]


def test_a_graph_freed_by_backward_is_reported():
    w = Variable([1.0, 2.0])
    with GradientTape() as tape:
        loss = (gn.exp(w) * w).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="freed by a backward"):
        tape.gradient(loss, w)


def test_two_tapes_share_one_forward_graph():
    g_w, d_w = Variable([[1.5]]), Variable([[-2.0]])
    noise = gn.tensor([[1.0], [2.0]])
    with GradientTape() as gen_tape, GradientTape() as disc_tape:
        fake = noise @ g_w
        score = (fake @ d_w).sum()
        gen_loss, disc_loss = -score, score * score
    g_grad = gen_tape.gradient(gen_loss, [g_w])[0]
    d_grad = disc_tape.gradient(disc_loss, [d_w])[0]
    # score = 3 * g * d = -9: d(-score)/dg = -3d = 6, d(score^2)/dd = 2 * score * 3g = -81
    np.testing.assert_allclose(g_grad.numpy(), [[6.0]])
    np.testing.assert_allclose(d_grad.numpy(), [[-81.0]])


def test_nested_structures_come_back_in_shape():
    a, b, c = Variable(1.0), Variable([1.0, 2.0]), Variable(3.0)
    with GradientTape() as tape:
        y = a * 2 + b.sum() * c
    out = tape.gradient(y, {"a": a, "rest": (b, [c])})
    assert set(out) == {"a", "rest"} and isinstance(out["rest"], tuple)
    assert isinstance(out["rest"][1], list)
    assert float(out["a"]) == 2.0 and out["rest"][0].tolist() == [3.0, 3.0]
    assert float(out["rest"][1][0]) == 3.0


def test_target_list_is_summed_and_output_gradients_weight_it():
    w = Variable([1.0, 2.0])
    with GradientTape(persistent=True) as tape:
        y1, y2 = w * 3, (w * w).sum()
    assert tape.gradient([y1, y2], w).tolist() == [3 + 2, 3 + 4]
    got = tape.gradient([y1, y2], w, output_gradients=[np.array([1.0, 0.0]), 2.0])
    assert got.tolist() == [3 + 4, 8]
    with pytest.raises(ValueError, match=r"output_gradients\[0\] must have the shape of target "
                                         r"0, \(2,\). Received: shape \(3,\)"):
        tape.gradient(y1, w, output_gradients=np.ones(3))


def test_unconnected_sources_get_none_or_zeros():
    w, u = Variable([1.0, 2.0]), Variable(np.ones((2, 2)))
    const = gn.tensor([5.0])
    with GradientTape(persistent=True) as tape:
        y = (w * 2).sum()
    assert tape.gradient(y, [w, u, const])[1:] == [None, None]
    zeros = tape.gradient(y, [u, const], unconnected_gradients="zero")
    assert zeros[0].shape == (2, 2) and zeros[0].numpy().sum() == 0 and zeros[1].shape == (1,)
    with pytest.raises(ValueError, match="'none' or 'zero'. Received: 'zeros'"):
        tape.gradient(y, w, unconnected_gradients="zeros")


def test_stop_recording():
    w = Variable(3.0)
    with GradientTape() as tape:
        y = w * 2
        with tape.stop_recording():
            z = w * 5
        total = y + z
    assert float(tape.gradient(total, w)) == 2.0
    with pytest.raises(RuntimeError, match="not recording"):
        with tape.stop_recording():
            pass


def test_watch_accessed_variables_false_and_watched_variables():
    w, v = Variable(2.0), Variable(3.0)
    with GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        tape.watch(v)
        y = w * v
    assert tape.gradient(y, w) is None and float(tape.gradient(y, v)) == 2.0
    with GradientTape() as tape2:
        y = w * 4
    tape2.gradient(y, w)
    assert tape2.watched_variables() == (w,)
    assert tape.watched_variables()[0] is v


def test_bad_arguments_are_named():
    with GradientTape() as tape:
        with pytest.warns(UserWarning, match="dtype int64; only floating-point tensors"):
            count = gn.tensor([1, 2])
            tape.watch(count)  # as TensorFlow: a warning, then a None gradient
        doubled = count * 2
        assert tape.gradient(doubled, count) is None
        with pytest.raises(TypeError, match=r"`tensor\[1\]\[0\]` must be a Tensor.*"
                                            r"Received: float"):
            tape.watch([gn.tensor(1.0), [1.0]])
        y = gn.tensor(1.0) * 2
    with pytest.raises(TypeError, match=r"`sources\['w'\]` must be a Tensor"):
        tape.gradient(y, {"w": np.ones(2)})


def test_unconnected_gradients_enum_and_integer_sources():
    from glassnet.autograd.tape import UnconnectedGradients

    x, unused = gn.tensor(3.0, requires_grad=True), gn.tensor([1.0, 2.0], requires_grad=True)
    with GradientTape(persistent=True) as tape:
        y = x * x
    assert tape.gradient(y, unused) is None
    zero = tape.gradient(y, unused, unconnected_gradients=UnconnectedGradients.ZERO)
    np.testing.assert_array_equal(zero.numpy(), [0.0, 0.0])


def test_nested_tapes_fail_loudly_for_second_derivatives():
    x = Variable(3.0)
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = x * x * x
        dy_dx = inner.gradient(y, x)  # first derivative: right, and usable as a value
        assert float(dy_dx) == 27.0
    with pytest.raises(RuntimeError, match="second derivatives are not supported"):
        outer.gradient(dy_dx, x)


def test_jacobian_and_batch_jacobian_match_torch():
    x = gn.tensor(RNG.normal(size=(3, 2)).astype(np.float32))
    w = Variable(RNG.normal(size=(2, 4)).astype(np.float32))
    with GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = gn.tanh(x @ w)
    jw = tape.jacobian(y, w)
    tx, tw = torch.tensor(x.numpy()), torch.tensor(w.numpy())
    expected = torch.autograd.functional.jacobian(lambda a: torch.tanh(tx @ a), tw)
    assert jw.shape == (3, 4, 2, 4)
    np.testing.assert_allclose(jw.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
    bj = tape.batch_jacobian(y, x)
    full = torch.autograd.functional.jacobian(lambda a: torch.tanh(a @ tw), tx)
    assert bj.shape == (3, 4, 2)
    np.testing.assert_allclose(bj.numpy(), np.einsum("bibj->bij", full.numpy()), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ValueError, match="first .batch. dimension"):
        tape.batch_jacobian(y, w)


def test_tapes_in_threads_are_independent():
    results = {}

    def work(k):
        v = Variable(float(k))
        for _ in range(20):
            with GradientTape() as tape:
                y = v * v * k
            results[k] = float(tape.gradient(y, v))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(1, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {k: 2.0 * k * k for k in range(1, 5)}


def test_gradients_under_the_fast_kernels_with_a_shared_layer():
    # fit's kernels reuse gradient buffers for weights whose .grad is None; the tape leaves
    # .grad alone, so a layer used twice must still get the sum of both uses.
    gn.seed(0)
    layer = Dense(4)
    layer.build((None, 4))
    x = gn.tensor(RNG.normal(size=(6, 4)).astype(np.float32))

    def grads():
        with GradientTape() as tape:
            loss = (layer(layer(x)) ** 2).mean()
        return [g.numpy() for g in tape.gradient(loss, layer.trainable_weights)]

    plain = grads()
    with gn.kernels.training(layer.trainable_weights):
        fast, again = grads(), grads()
    for p, f, a in zip(plain, fast, again):
        np.testing.assert_allclose(f, p, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(a, p, rtol=1e-5, atol=1e-6)


def _model():
    gn.seed(3)
    model = Sequential([Dense(6, activation="relu"), Dense(3)])
    model.build((None, 5))
    return model


def test_tape_and_apply_gradients_train_like_train_on_batch():
    batches = [(RNG.normal(size=(8, 5)).astype(np.float32), RNG.integers(0, 3, 8))
               for _ in range(4)]
    loss_fn = gn.losses.SparseCategoricalCrossentropy(from_logits=True)
    ours = _model()
    opt = gn.optim.Adam(learning_rate=0.01)
    for xb, yb in batches:
        with GradientTape() as tape:
            loss = loss_fn(yb, ours(xb, training=True))
        grads = tape.gradient(loss, ours.trainable_weights)
        opt.apply_gradients(zip(grads, ours.trainable_weights))
    reference = _model()
    reference.compile(optimizer=gn.optim.Adam(learning_rate=0.01), loss=loss_fn)
    for xb, yb in batches:
        reference.train_on_batch(xb, yb)
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_apply_gradients_takes_user_variables_and_skips_none():
    w, unused = Variable([1.0, 2.0]), Variable(5.0)
    with GradientTape() as tape:
        loss = (w * w).sum()
    grads = tape.gradient(loss, [w, unused])
    opt = gn.optim.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        opt.apply_gradients(zip(grads, [w, unused]))
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6])
    assert float(unused.numpy()) == 5.0
    with pytest.raises(TypeError, match="apply_gradients: each variable must be a Variable"):
        opt.apply_gradients([(np.ones(2), np.ones(2))])


def test_only_ops_between_target_and_sources_run_their_backward():
    calls = []

    class Traced(gn.Function):
        def forward(self, x):
            return x * 2

        def backward(self, gy):
            calls.append(1)
            return gy * 2

    g_w, d_w = Variable([1.0, 2.0]), Variable([3.0, 4.0])
    with GradientTape(persistent=True) as tape:
        fake = Traced()(g_w)  # the "generator", below the discriminator
        score = (fake * d_w).sum()
    assert tape.gradient(score, d_w).tolist() == [2.0, 4.0]
    assert calls == [], "the generator's backward ran for a discriminator gradient"
    assert tape.gradient(score, g_w).tolist() == [6.0, 8.0]
    assert calls == [1]


def test_a_tape_differentiates_only_through_the_ops_it_recorded_as_tensorflow():
    import glassnet as tf

    v = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = v * v
    z = y * 2.0  # after the tape closed: a constant for it
    assert tape.gradient(z, v) is None
    assert float(tape.gradient(y, v)) == 6.0
    made_before = tf.Variable(2.0) + 1.0  # a plain tensor made outside, never watched
    with tf.GradientTape() as tape:
        w = made_before * made_before
    assert tape.gradient(w, made_before) is None and tape.watched_variables() == ()


def test_watched_variables_are_those_read_inside_the_tape():
    import glassnet as tf

    a, b = tf.Variable(1.0, name="a"), tf.Variable(2.0, name="b")
    with tf.GradientTape() as tape:
        _ = a * 2
    assert [v.name for v in tape.watched_variables()] == ["a"]  # before any gradient()
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        c = a * b
    ga, gb = tape.gradient(c, [a, b])
    assert float(ga) == 2.0 and gb is None
    assert [v.name for v in tape.watched_variables()] == ["a"]
