"""deletion_curve on models whose answer is known: a linear score loses exactly the removed
w * x, the random control is seeded, per-pixel maps remove whole pixels, bad shapes are
named."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.explain import InputXGradient, deletion_curve


def test_removing_the_top_contributions_of_a_linear_score_drops_it_by_their_sum(linear):
    model, w, bias, x = linear
    contributions = x * w[:, 1]                       # the exact attribution of class 1
    curve = deletion_curve(model, x, InputXGradient(model).attribute(x, target=1), target=1,
                           fractions=[0.0, 0.25, 0.5, 1.0])
    top = -np.sort(-contributions, axis=1)            # highest contribution first
    expected = (x @ w[:, 1] + bias[1])[None] - np.stack(
        [top[:, :k].sum(axis=1) for k in (0, 1, 2, 4)])
    np.testing.assert_allclose(curve, expected, rtol=1e-5, atol=1e-5)
    # ranked by |value| the largest magnitudes go first
    by_abs = deletion_curve(model, x, contributions, target=1, fractions=[0.25],
                            rank_by="abs")[0]
    biggest = np.take_along_axis(contributions, np.abs(contributions).argmax(1)[:, None], 1)
    np.testing.assert_allclose(by_abs, x @ w[:, 1] + bias[1] - biggest[:, 0], rtol=1e-5,
                               atol=1e-5)


def test_the_random_control_is_seeded_and_removes_the_same_count():
    f = lambda x: x.sum(axis=1)  # noqa: E731
    x = np.ones((3, 20), "float32")
    a = np.random.default_rng(0).random((3, 20))
    one = deletion_curve(f, x, a, order="random", seed=5, fractions=[0.1, 0.5])
    np.testing.assert_array_equal(one, deletion_curve(f, x, a, order="random", seed=5,
                                                      fractions=[0.1, 0.5]))
    np.testing.assert_array_equal(one, [[18.0] * 3, [10.0] * 3])   # 2 and 10 of 20 removed
    # which features go differs by seed
    g = lambda x: (x * np.arange(20)).sum(axis=1)  # noqa: E731
    assert not np.array_equal(deletion_curve(g, x, a, order="random", seed=5),
                              deletion_curve(g, x, a, order="random", seed=6))


def test_a_map_per_pixel_removes_every_channel_of_the_pixel():
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(1, kernel_initializer="ones")])
    x = np.ones((2, 4, 4, 3), "float32")
    cam = np.zeros((2, 4, 4))
    cam[:, 0, :2] = 1.0                                 # the two pixels to remove first
    curve = deletion_curve(model, x, cam, fractions=[0, 2 / 16], baseline=0.0)
    np.testing.assert_allclose(curve, [[48.0, 48.0], [42.0, 42.0]], rtol=1e-6)


def test_deletion_curve_names_what_is_wrong():
    f = lambda x: x.sum(axis=1)  # noqa: E731
    x = np.ones((2, 6), "float32")
    with pytest.raises(ValueError, match=r"`attributions` must have the shape of `inputs` "
                                         r"\(2, 6\).*received shape \(2, 5\)"):
        deletion_curve(f, x, np.ones((2, 5)))
    with pytest.raises(ValueError, match="`fractions` must be"):
        deletion_curve(f, x, x, fractions=[0.5, 1.5])
    with pytest.raises(ValueError, match="`order` must be"):
        deletion_curve(f, x, x, order="bottom")
    with pytest.raises(ValueError, match="`rank_by` must be"):
        deletion_curve(f, x, x, rank_by="sign")
