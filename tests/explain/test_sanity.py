"""The Adebayo et al. sanity checks: the rank correlation, and that a gradient method
changes with the weights while an explanation that ignores the model does not."""

import numpy as np
import pytest

from glassnet import keras
from glassnet.explain import Saliency, sanity_check, spearman


def test_spearman_is_the_rank_correlation_of_absolute_values():
    a = np.array([[1.0, -2.0, 3.0, 4.0]])
    assert spearman(a, a) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(1.0)  # |.|: signs do not count
    assert spearman(a, np.array([[4.0, 3.0, 2.0, 1.0]])) == pytest.approx(-1.0)
    assert spearman(a, np.ones((1, 4))) == 0.0  # a constant map has no ranks to share


class InputOnly:
    """An 'explanation' that is the input itself: it cannot notice the model (the failure
    the checks exist to catch, as edge detectors do in the paper)."""

    def __init__(self, model):
        self.model = model

    def attribute(self, x, target=None):
        return np.abs(x)


@pytest.fixture(scope="module")
def trained():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    model = keras.Sequential([keras.Input((8,)),
                              keras.layers.Dense(16, activation="tanh", name="hidden"),
                              keras.layers.Dense(2, name="scores")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=20, verbose=0)
    return model, x, y


def test_gradients_pass_and_an_input_only_map_fails(trained):
    model, x, y = trained
    before = model.get_weights()
    keras.utils.set_random_seed(1)
    gradients = sanity_check(Saliency, model, x, target=1, y=y, fit_kwargs={"epochs": 3})
    assert [name for name, _ in gradients.cascading] == ["scores", "hidden"]
    assert len(gradients.independent) == 2 and gradients.labels is not None
    assert gradients.passes, gradients
    copy = sanity_check(InputOnly, model, x, target=1, y=y, fit_kwargs={"epochs": 1})
    assert all(rho == pytest.approx(1.0) for _, rho in copy.cascading)
    assert not copy.passes and "fails" in repr(copy)
    for a, b in zip(model.get_weights(), before):  # the checks leave the model as it was
        np.testing.assert_array_equal(a, b)


def test_sanity_check_errors():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="no layers with weights"):
        sanity_check(Saliency, model, np.ones((2, 3), "float32"))
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compile it first"):
        sanity_check(Saliency, dense, np.ones((2, 3), "float32"), y=np.zeros(2))


def test_spearman_equals_scipy_with_ties():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 4, (6, 9)).astype(float), rng.normal(size=(6, 9))
    expected = np.mean([stats.spearmanr(np.abs(u), np.abs(v)).statistic for u, v in zip(a, b)])
    assert spearman(a, b) == pytest.approx(expected, abs=1e-12)


def test_spearman_by_signed_value_sees_a_flipped_sign():
    a = np.random.default_rng(0).normal(size=(3, 50))
    assert spearman(a, -a) == pytest.approx(1.0)
    assert spearman(a, -a, absolute=False) == pytest.approx(-1.0)
