import math

import numpy as np
import pytest
import torch

from glassnet.nn import initializers

SHAPE = (400, 300)


@pytest.mark.parametrize("name,limit", [
    ("glorot_uniform", math.sqrt(6 / (400 + 300))),
    ("he_uniform", math.sqrt(6 / 400)),
    ("lecun_uniform", math.sqrt(3 / 400)),
])
def test_uniform_variance_scaling_limits_and_variance(name, limit):
    w = initializers.get(name)(SHAPE)
    assert w.dtype == np.float32 and w.shape == SHAPE
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    np.testing.assert_allclose(w.var(), limit ** 2 / 3, rtol=0.03)


@pytest.mark.parametrize("name,std", [
    ("glorot_normal", math.sqrt(2 / (400 + 300))),
    ("he_normal", math.sqrt(2 / 400)),
    ("lecun_normal", math.sqrt(1 / 400)),
])
def test_truncated_normal_variance_scaling_has_the_target_std(name, std):
    w = initializers.get(name)(SHAPE)
    np.testing.assert_allclose(w.std(), std, rtol=0.03)
    # truncated at 2 standard deviations of the underlying normal
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-6


def test_glorot_uniform_matches_torch_xavier_uniform_bounds():
    w = initializers.GlorotUniform(seed=0)((64, 32))
    t = torch.nn.init.xavier_uniform_(torch.empty(32, 64))
    limit = math.sqrt(6 / 96)
    assert np.abs(w).max() <= limit and float(t.abs().max()) <= limit


def test_conv_kernel_fans_include_the_receptive_field():
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((5,)) == (5, 5)


def test_constants_and_random_families():
    assert initializers.get("zeros")((2, 2)).sum() == 0
    assert initializers.get("ones")((2, 2)).sum() == 4
    assert (initializers.Constant(3.5)((3,)) == 3.5).all()
    n = initializers.RandomNormal(mean=1.0, stddev=0.5, seed=1)((100000,))
    np.testing.assert_allclose([n.mean(), n.std()], [1.0, 0.5], rtol=0.02)
    u = initializers.RandomUniform(-1, 3, seed=1)((100000,))
    assert u.min() >= -1 and u.max() < 3
    t = initializers.TruncatedNormal(stddev=2.0, seed=1)((100000,))
    assert np.abs(t).max() <= 4.0


def test_orthogonal():
    for shape in [(50, 50), (80, 30), (30, 80)]:
        w = initializers.Orthogonal(gain=2.0, seed=0)(shape).astype(np.float64)
        small = min(shape)
        gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-4)


def test_seeded_initializers_repeat_unseeded_follow_glassnet_seed():
    import glassnet

    init = initializers.HeNormal(seed=7)
    np.testing.assert_array_equal(init((5, 5)), init((5, 5)))
    glassnet.seed(3)
    a = initializers.get("glorot_uniform")((4, 4))
    glassnet.seed(3)
    np.testing.assert_array_equal(a, initializers.get("glorot_uniform")((4, 4)))


def test_get_by_name_class_config_and_errors():
    assert isinstance(initializers.get("GlorotUniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("he_normal"), initializers.HeNormal)
    cfg = initializers.serialize(initializers.RandomNormal(stddev=0.2))
    assert initializers.get(cfg).stddev == 0.2
    with pytest.raises(ValueError, match=r"Unknown initializer: 'xavier'. Known initializers: "):
        initializers.get("xavier")
    with pytest.raises(ValueError, match="mode must be one of"):
        initializers.VarianceScaling(mode="fan")
