import numpy as np
import pytest

from glassnet.explain import IntegratedGradients, NoiseTunnel, Saliency, SmoothGrad


def square(t):
    """f(x) = sum x^2, whose gradient 2x moves with the noise."""
    return (t * t).sum(axis=1)


def test_smoothgrad_averages_gradients_over_the_noise():
    x = np.array([[1.0, -2.0]], "float32")
    rng = np.random.default_rng(3)
    noise = rng.normal(0.0, 0.5, size=(4, 1, 2)).astype("float32")
    out = NoiseTunnel(Saliency(square)).attribute(x, nt_samples=4, stdevs=0.5, seed=3,
                                                  abs=False)
    np.testing.assert_allclose(out, (2 * (x + noise)).mean(axis=0), rtol=1e-5)
    sq = NoiseTunnel(Saliency(square)).attribute(x, "smoothgrad_sq", 4, stdevs=0.5, seed=3,
                                                 abs=False)
    np.testing.assert_allclose(sq, (4 * (x + noise) ** 2).mean(axis=0), rtol=1e-5)
    var = NoiseTunnel(Saliency(square)).attribute(x, "vargrad", 4, stdevs=0.5, seed=3,
                                                  abs=False)
    np.testing.assert_allclose(var, (2 * (x + noise)).var(axis=0), rtol=1e-4)


def test_zero_noise_reduces_to_the_method(linear):
    model, w, _, x = linear
    nt = NoiseTunnel(Saliency(model))
    np.testing.assert_allclose(nt.attribute(x, nt_samples=3, stdevs=0.0, target=1),
                               Saliency(model).attribute(x, target=1), rtol=1e-6)
    np.testing.assert_allclose(nt.attribute(x, "vargrad", 3, stdevs=0.0, target=1), 0.0)


def test_seed_reproducible_and_batching_identical(linear):
    model, _, _, x = linear
    targets = np.array([0, 1, 0, 1, 1])
    nt = NoiseTunnel(IntegratedGradients(model))
    kwargs = dict(nt_samples=6, stdevs=0.3, target=targets, n_steps=8, baselines=x * 0)
    a = nt.attribute(x, seed=7, **kwargs)
    b = nt.attribute(x, seed=np.random.default_rng(7), nt_samples_batch_size=4, **kwargs)
    np.testing.assert_allclose(a, b, rtol=1e-6)
    assert not np.allclose(a, nt.attribute(x, seed=8, **kwargs))


def test_convergence_delta_passes_through(mlp):
    model, x = mlp
    attr, delta = NoiseTunnel(IntegratedGradients(model)).attribute(
        x, nt_samples=3, stdevs=0.1, seed=0, target=2, return_convergence_delta=True)
    assert attr.shape == x.shape and delta.shape == (18,)
    assert np.abs(delta).max() < 1e-4


def test_smoothgrad_convenience_matches_noise_tunnel(linear):
    model, _, _, x = linear
    a = SmoothGrad(model).attribute(x, target=0, nt_samples=3, stdevs=0.2, seed=1)
    b = NoiseTunnel(Saliency(model)).attribute(x, nt_samples=3, stdevs=0.2, seed=1, target=0)
    np.testing.assert_array_equal(a, b)


def test_bad_arguments_are_named(linear):
    model, _, _, x = linear
    nt = NoiseTunnel(Saliency(model))
    with pytest.raises(ValueError, match="`nt_type` must be one of.*nt_type='smooth'"):
        nt.attribute(x, nt_type="smooth", target=0)
    with pytest.raises(ValueError, match="`nt_samples` must be a positive integer"):
        nt.attribute(x, nt_samples=0, target=0)
    with pytest.raises(ValueError, match="`stdevs` must be a non-negative number"):
        nt.attribute(x, stdevs=-1.0, target=0)
    with pytest.raises(TypeError, match="`seed` must be None, an int"):
        nt.attribute(x, seed="x", target=0)
    with pytest.raises(TypeError, match="must have an `attribute` method"):
        NoiseTunnel(model)
