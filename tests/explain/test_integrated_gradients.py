import numpy as np
import pytest

from glassnet.explain import IntegratedGradients
from glassnet.explain.integrated_gradients import METHODS, quadrature


@pytest.mark.parametrize("method", METHODS)
def test_linear_model_with_zero_baseline_gives_x_times_w(linear, method):
    model, w, _, x = linear
    attr, delta = IntegratedGradients(model).attribute(
        x, target=1, n_steps=7, method=method, return_convergence_delta=True)
    assert attr.shape == x.shape and delta.shape == (5,)
    np.testing.assert_allclose(attr, x * w[:, 1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(delta, 0.0, atol=1e-5)


def test_baselines_subtract(linear):
    model, w, _, x = linear
    base = np.full(4, 0.5, "float32")
    attr = IntegratedGradients(model).attribute(x, baselines=base, target=0)
    np.testing.assert_allclose(attr, (x - base) * w[:, 0], rtol=1e-5, atol=1e-6)
    scalar = IntegratedGradients(model).attribute(x, baselines=0.5, target=0)
    np.testing.assert_allclose(scalar, attr, rtol=1e-6)


@pytest.mark.parametrize("method,tol", [("gausslegendre", 1e-3), ("riemann_trapezoid", 2e-2)])
def test_completeness_on_a_trained_mlp(mlp, method, tol):
    model, x = mlp
    base = np.zeros_like(x)
    target = np.array([0, 1, 2, 2, 1, 0])
    attr, delta = IntegratedGradients(model).attribute(
        x, base, target=target, n_steps=50, method=method, return_convergence_delta=True)
    logits = model.predict(np.concatenate([x, base]), verbose=0)
    gap = logits[np.arange(6), target] - logits[np.arange(6, 12), target]
    np.testing.assert_allclose(attr.sum(axis=1) - gap, delta, atol=1e-5)
    assert np.all(np.abs(delta) <= tol * np.maximum(np.abs(gap), 1e-2))


def test_matches_integrated_gradients_built_on_torch_autograd(mlp, torch_reference):
    model, x = mlp
    torch_mlp, torch_grad = torch_reference
    net = torch_mlp(model)
    alphas, weights = quadrature("gausslegendre", 16)
    path_grads = [torch_grad(net, (a * x).astype("float32"), 2) for a in alphas]
    expected = x * np.tensordot(weights, np.stack(path_grads), axes=1)
    ours = IntegratedGradients(model).attribute(x, target=2, n_steps=16)
    np.testing.assert_allclose(ours, expected, atol=1e-6)


def test_internal_batching_gives_identical_results(mlp):
    model, x = mlp
    ig = IntegratedGradients(model)
    full = ig.attribute(x, target=1, n_steps=20, return_convergence_delta=True)
    calls = []
    counting = IntegratedGradients(lambda t, training=False: calls.append(len(t)) or model(t))
    chunked = counting.attribute(x, target=1, n_steps=20, internal_batch_size=13,
                                 return_convergence_delta=True)
    np.testing.assert_array_equal(full[0], chunked[0])
    np.testing.assert_allclose(full[1], chunked[1], atol=1e-6)
    assert max(calls) <= 13 and sum(calls[:-1]) == 20 * 6   # the last call is f(x), f(b)


def test_quadrature_weights_integrate_polynomials():
    for method in METHODS:
        alphas, weights = quadrature(method, 40)
        assert np.isclose(weights.sum(), 1.0) and alphas.min() >= 0 and alphas.max() <= 1
    alphas, weights = quadrature("gausslegendre", 3)
    assert np.isclose(weights @ alphas**5, 1 / 6)   # exact up to degree 2 * 3 - 1


def test_bad_arguments_are_named(linear):
    model, _, _, x = linear
    ig = IntegratedGradients(model)
    with pytest.raises(ValueError, match="`method` must be one of.*received method='simpson'"):
        ig.attribute(x, target=0, method="simpson")
    with pytest.raises(ValueError, match="`n_steps` must be a positive integer.*n_steps=0"):
        ig.attribute(x, target=0, n_steps=0)
    with pytest.raises(ValueError, match="internal_batch_size=-1"):
        ig.attribute(x, target=0, internal_batch_size=-1)
    with pytest.raises(ValueError, match="`baselines` must be.*\\(5, 4\\).*shape \\(3,\\)"):
        ig.attribute(x, baselines=np.zeros(3), target=0)
    with pytest.raises(ValueError, match="riemann_trapezoid' needs n_steps >= 2"):
        ig.attribute(x, target=0, n_steps=1, method="riemann_trapezoid")
