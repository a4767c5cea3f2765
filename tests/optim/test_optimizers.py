"""Every optimizer: 20 steps on the same parameters and gradients as torch.optim (with
epsilon made negligible where the two place it differently), and against Keras's update
formula written out in NumPy with Keras's default epsilon."""

import math
import warnings

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import optim
from glassnet.kernels import flat_params, threads

STEPS = 20
SHAPES = [(4, 3), (3,)]


def _gradients(seed=0):
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(STEPS)]


def _initial(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def run_ours(make, grads, style="keras"):
    params = [gn.nn.Parameter(w.copy(), name=f"w{i}") for i, w in enumerate(_initial())]
    if style == "torch":
        opt = make(params)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = g.copy()
            opt.step()
            opt.zero_grad()
            assert all(p.grad is None for p in params)
    else:
        opt = make()
        for step in grads:
            opt.apply_gradients(zip(step, params))
    return [p.numpy() for p in params], opt


def run_torch(make, grads):
    params = [torch.tensor(w.copy(), requires_grad=True) for w in _initial()]
    opt = make(params)
    for step in grads:
        for p, g in zip(params, step):
            p.grad = torch.tensor(g)
        opt.step()
    return [p.detach().numpy() for p in params]


TINY = 1e-12  # makes epsilon's placement irrelevant when comparing with torch

# name: (our class, learning rate, other arguments, torch's optimizer factory)
TORCH_CASES = {
    "sgd": (optim.SGD, 0.1, {}, lambda p: torch.optim.SGD(p, lr=0.1)),
    "sgd_momentum": (optim.SGD, 0.1, {"momentum": 0.9},
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    "sgd_nesterov": (optim.SGD, 0.1, {"momentum": 0.9, "nesterov": True},
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
    "adagrad": (optim.Adagrad, 0.1, {"epsilon": TINY},
                lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1,
                                              eps=TINY)),
    "rmsprop": (optim.RMSprop, 0.01, {"epsilon": TINY},
                lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=TINY)),
    "rmsprop_momentum_centered": (
        optim.RMSprop, 0.01, {"momentum": 0.5, "centered": True, "epsilon": TINY},
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                      eps=TINY)),
    "adam": (optim.Adam, 0.01, {"epsilon": TINY}, lambda p: torch.optim.Adam(p, lr=0.01,
                                                                              eps=TINY)),
    "amsgrad": (optim.Adam, 0.01, {"amsgrad": True, "epsilon": TINY},
                lambda p: torch.optim.Adam(p, lr=0.01, amsgrad=True, eps=TINY)),
    "adamw": (optim.AdamW, 0.01, {"weight_decay": 0.1, "epsilon": TINY},
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, eps=TINY)),
    "adadelta": (optim.Adadelta, 1.0, {"rho": 0.9, "epsilon": 1e-6},
                 lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    "adamax": (optim.Adamax, 0.01, {"epsilon": TINY},
               lambda p: torch.optim.Adamax(p, lr=0.01, eps=TINY)),
    # Keras's Nadam momentum schedule 0.96**t is torch's with momentum_decay=1.
    "nadam": (optim.Nadam, 0.01, {},
              lambda p: torch.optim.NAdam(p, lr=0.01, eps=1e-7, momentum_decay=1.0)),
}


@pytest.mark.parametrize("name", TORCH_CASES)
@pytest.mark.parametrize("style", ["keras", "torch"])
def test_twenty_steps_match_torch(name, style):
    cls, lr, kwargs, torch_make = TORCH_CASES[name]
    grads = _gradients()
    if style == "torch":
        ours, _ = run_ours(lambda params: cls(params, lr=lr, **kwargs), grads, style="torch")
    else:
        ours, _ = run_ours(lambda: cls(learning_rate=lr, **kwargs), grads)
    theirs = run_torch(torch_make, grads)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# Keras's update formulas with its default epsilon=1e-7 (which torch places elsewhere).
def keras_adagrad(w, gs, lr=0.001, init=0.1, eps=1e-7):
    acc = np.full_like(w, init, dtype=np.float64)
    for g in gs:
        acc += g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def keras_rmsprop(w, gs, lr=0.001, rho=0.9, eps=1e-7):
    v = np.zeros_like(w, dtype=np.float64)
    for g in gs:
        v = rho * v + (1 - rho) * g * g
        w = w - lr * g / np.sqrt(v + eps)
    return w


def keras_adam(w, gs, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m = v = np.zeros_like(w, dtype=np.float64)
    for t, g in enumerate(gs, 1):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    return w


def keras_adamax(w, gs, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m = u = np.zeros_like(w, dtype=np.float64)
    for t, g in enumerate(gs, 1):
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr / (1 - b1 ** t) * m / (u + eps)
    return w


@pytest.mark.parametrize("make,formula", [(optim.Adagrad, keras_adagrad),
                                          (optim.RMSprop, keras_rmsprop),
                                          (optim.Adam, keras_adam),
                                          (optim.Adamax, keras_adamax)])
def test_keras_default_epsilon_formulas(make, formula):
    # Small gradients so that epsilon matters.
    grads = [[g * 1e-4 for g in step] for step in _gradients()]
    ours, _ = run_ours(make, grads)
    for i, w in enumerate(_initial()):
        expected = formula(w.astype(np.float64), [step[i] for step in grads])
        np.testing.assert_allclose(ours[i], expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", TORCH_CASES)
def test_small_parameters_grouped_update_exactly_as_one_by_one(name, monkeypatch):
    cls, lr, kwargs, _ = TORCH_CASES[name]
    grads = _gradients()
    grouped, opt = run_ours(lambda: cls(learning_rate=lr, **kwargs), grads)
    assert opt._updates.group is not None
    monkeypatch.setattr(flat_params, "SMALL_PARAMETER", 0)
    separate, opt = run_ours(lambda: cls(learning_rate=lr, **kwargs), grads)
    assert opt._updates.group is None
    for a, b in zip(grouped, separate):
        np.testing.assert_array_equal(a, b)


def test_keras_defaults():
    assert optim.SGD().learning_rate == 0.01 and optim.SGD().momentum == 0.0
    adam = optim.Adam()
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999,
                                                                            1e-7)
    assert optim.RMSprop().rho == 0.9 and optim.Adadelta().rho == 0.95
    assert optim.Adagrad().initial_accumulator_value == 0.1
    assert optim.AdamW().weight_decay == 0.004


def test_weight_decay_is_decoupled():
    w0 = np.array([1.0, -2.0], np.float32)
    w = gn.nn.Parameter(w0.copy())
    optim.SGD(learning_rate=0.1, weight_decay=0.5).apply_gradients([(np.zeros(2), w)])
    np.testing.assert_allclose(w.numpy(), w0 * (1 - 0.1 * 0.5))


def test_gradient_clipping():
    g = np.array([3.0, 4.0], np.float32)  # norm 5
    cases = [({"clipnorm": 1.0}, g / 5), ({"clipvalue": 3.5}, np.array([3.0, 3.5])),
             ({"clipnorm": 10.0}, g)]
    for kwargs, expected_step in cases:
        w = gn.nn.Parameter(np.zeros(2))
        optim.SGD(learning_rate=1.0, **kwargs).apply_gradients([(g, w)])
        np.testing.assert_allclose(w.numpy(), -expected_step, rtol=1e-6)
    a, b = gn.nn.Parameter(np.zeros(2)), gn.nn.Parameter(np.zeros(1))
    optim.SGD(learning_rate=1.0, global_clipnorm=1.0).apply_gradients(
        [(g, a), (np.array([0.0], np.float32), b)])
    np.testing.assert_allclose(a.numpy(), -g / 5, rtol=1e-6)
    # torch's clip_grad_norm_ agrees on the global norm
    t = torch.tensor(g.copy(), requires_grad=True)
    t.grad = torch.tensor(g.copy())
    torch.nn.utils.clip_grad_norm_([t], 1.0)
    np.testing.assert_allclose(-a.numpy(), t.grad.numpy(), rtol=1e-5)


def _lr_after(opt, steps):
    w = gn.nn.Parameter(np.zeros(1))
    for _ in range(steps):
        opt.apply_gradients([(np.zeros(1, np.float32), w)])
    return opt.learning_rate


def test_schedules_follow_their_formulas():
    s = optim.schedules
    exp = s.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert exp(5) == pytest.approx(0.1 * 0.5 ** 0.5)
    assert s.ExponentialDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.05)
    inv = s.InverseTimeDecay(0.1, decay_steps=2, decay_rate=0.5)
    assert inv(4) == pytest.approx(0.1 / (1 + 0.5 * 2))
    pw = s.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [pw(0), pw(10), pw(11), pw(20), pw(21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    cos = s.CosineDecay(0.1, decay_steps=100, alpha=0.1)
    assert cos(50) == pytest.approx(0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi / 2)) + 0.1))
    assert cos(1000) == pytest.approx(0.01)
    warm = s.CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert warm(2) == pytest.approx(0.5) and warm(4) == pytest.approx(1.0)
    assert _lr_after(optim.SGD(learning_rate=exp), 5) == pytest.approx(exp(5))
    assert _lr_after(optim.Adam(learning_rate=lambda step: 0.1 / (step + 1)), 3) == \
        pytest.approx(0.025)
    restored = optim.get(optim.serialize(optim.Adam(learning_rate=exp)))
    assert restored.learning_rate == pytest.approx(0.1)


def test_legacy_lr_and_decay_spellings():
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated"):
        opt = optim.Adam(lr=0.01)
    assert opt.learning_rate == 0.01
    with pytest.warns(DeprecationWarning, match="`decay` is deprecated"):
        opt = optim.SGD(learning_rate=0.1, decay=0.5)
    # Keras 2: lr / (1 + decay * iterations)
    assert _lr_after(opt, 4) == pytest.approx(0.1 / (1 + 0.5 * 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch style: lr= is the native spelling
        optim.Adam([gn.nn.Parameter(np.zeros(1))], lr=0.01)


def test_state_dict_resumes_exactly():
    grads = _gradients()
    full, _ = run_ours(lambda: optim.Nadam(learning_rate=0.01), grads)
    params = [gn.nn.Parameter(w.copy()) for w in _initial()]
    first = optim.Nadam(learning_rate=0.01)
    for step in grads[:10]:
        first.apply_gradients(zip(step, params))
    state = {k: v.copy() for k, v in first.state_dict().items()}
    second = optim.Nadam.from_config(first.get_config())
    second.load_state_dict(state)
    for step in grads[10:]:
        second.apply_gradients(zip(step, params))
    for a, b in zip(full, params):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-6)
    assert second.iterations == 20 and len(second.variables) == 1 + 2 * 2


def test_updates_are_in_place_without_new_state():
    w = gn.nn.Parameter(np.ones((3, 2)))
    opt = optim.Adam()
    data = w.data
    opt.apply_gradients([(np.ones((3, 2), np.float32), w)])
    slots = {k: id(v) for k, v in opt._slots[id(w)].items()}
    opt.apply_gradients([(np.ones((3, 2), np.float32), w)])
    assert w.data is data and {k: id(v) for k, v in opt._slots[id(w)].items()} == slots


def test_optimizer_errors():
    for bad in (-1, -0.1):
        with pytest.raises(ValueError, match=r"Adam: `learning_rate` must be a number in "
                                             r"\[0, inf\). Received: learning_rate="):
            optim.Adam(learning_rate=bad)
    with pytest.raises(TypeError, match=r"Adam: the first argument is `learning_rate` .* "
                                        r"Received: an iterable holding float"):
        optim.Adam([0.1])
    for bad in ("fast", object()):
        with pytest.raises(TypeError, match=r"Adam: `learning_rate` must be a non-negative number, "
                                            r"a LearningRateSchedule or a callable of the step "
                                            r"count. Received: learning_rate="):
            optim.Adam(learning_rate=bad)
    with pytest.raises(TypeError, match=r"SGD: `learning_rate` .* Received: "
                                        r"learning_rate='fast' of type str"):
        optim.SGD("fast")
    with pytest.raises(TypeError, match=r"RMSprop: `learning_rate`"):
        optim.RMSprop(lr="fast")
    with pytest.raises(ValueError, match=r"Adagrad: `learning_rate` must be a number in "
                                         r"\[0, inf\). Received: learning_rate=-1"):
        optim.Adagrad(-1)
    adam = optim.Adam()
    with pytest.raises(TypeError, match=r"Adam: `learning_rate`.*Received: learning_rate=None"):
        adam.learning_rate = None
    with pytest.raises(ValueError, match=r"SGD: `momentum` must be a number in \[0, 1\]"):
        optim.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="at most one of `clipnorm` and `global_clipnorm`"):
        optim.SGD(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamm'. Did you mean 'adam'"):
        optim.get("adamm")
    with pytest.raises(ValueError, match="created without parameters"):
        optim.Adam().step()
    with pytest.raises(ValueError, match=r"gradient of shape \(2,\) for variable 'w' of shape "
                                         r"\(3,\)"):
        optim.SGD().apply_gradients([(np.zeros(2), gn.nn.Parameter(np.zeros(3), name="w"))])
    with pytest.raises(TypeError, match="unexpected keyword"):
        optim.Adam(betas=(0.9, 0.99))


@pytest.mark.parametrize("name", TORCH_CASES)
def test_large_parameters_split_over_threads_update_exactly_as_one_pass(name, monkeypatch):
    cls, lr, kwargs, _ = TORCH_CASES[name]
    grads = _gradients()
    monkeypatch.setattr(flat_params, "SMALL_PARAMETER", 0)
    serial, _ = run_ours(lambda: cls(learning_rate=lr, **kwargs), grads)
    monkeypatch.setattr(threads, "MIN_ELEMENTS", 2)  # these tiny parameters count as large
    before = threads.get_num_threads()
    threads.set_num_threads(2)
    slices = []
    step = cls.update_step
    monkeypatch.setattr(cls, "update_step", lambda self, g, *a: slices.append(g.size) or
                        step(self, g, *a))
    try:
        with threads.thread_pool():
            split, _ = run_ours(lambda: cls(learning_rate=lr, **kwargs), grads)
    finally:
        threads.set_num_threads(before)
    assert sorted(set(slices)) == [1, 2, 6]  # (4, 3) in halves, (3,) as 1 + 2
    for a, b in zip(split, serial):
        np.testing.assert_array_equal(a, b)
