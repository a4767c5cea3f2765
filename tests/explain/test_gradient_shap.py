import numpy as np
import pytest

from glassnet.explain import GradientShap


def test_linear_model_gives_mean_of_x_minus_baseline_times_w(linear):
    model, w, _, x = linear
    base = np.full((1, 4), 0.5, "float32")
    out = GradientShap(model).attribute(x, base, n_samples=4, target=1, seed=0)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, (x - 0.5) * w[:, 1], rtol=1e-5, atol=1e-6)
    dist = np.random.default_rng(2).normal(size=(50, 4)).astype("float32")
    out = GradientShap(model).attribute(x, dist, n_samples=4000, target=1, seed=0)
    # the expectation over baselines: (x - E[b]) * w
    np.testing.assert_allclose(out, (x - dist.mean(0)) * w[:, 1], atol=0.1)


def test_deltas_small_for_linear_models_and_batching_identical(linear):
    model, _, _, x = linear
    dist = np.random.default_rng(2).normal(size=(10, 4)).astype("float32")
    kwargs = dict(n_samples=5, stdevs=0.1, target=np.array([0, 1, 0, 1, 0]))
    attr, delta = GradientShap(model).attribute(x, dist, seed=3, return_convergence_delta=True,
                                                **kwargs)
    assert delta.shape == (25,) and np.abs(delta).max() < 1e-4
    chunked = GradientShap(model).attribute(x, dist, seed=3, internal_batch_size=7, **kwargs)
    np.testing.assert_allclose(attr, chunked, rtol=1e-6)
    assert not np.allclose(attr, GradientShap(model).attribute(x, dist, seed=4, **kwargs))


def test_bad_arguments_are_named(linear):
    model, _, _, x = linear
    with pytest.raises(TypeError, match="`baselines` must be an array of reference samples"):
        GradientShap(model).attribute(x, 0.0, target=0)
    with pytest.raises(ValueError, match="`baselines` must have shape \\(m, \\*\\(4,\\)\\)"):
        GradientShap(model).attribute(x, np.zeros((3, 5)), target=0)
    with pytest.raises(ValueError, match="`n_samples` must be a positive integer"):
        GradientShap(model).attribute(x, np.zeros((3, 4)), n_samples=0, target=0)
