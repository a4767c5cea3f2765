"""Tuples of inputs, as Captum takes a multi-input model's: attributions come back as tuples."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import keras
from glassnet.explain import (
    FeatureAblation,
    GradientShap,
    InputXGradient,
    IntegratedGradients,
    NoiseTunnel,
    Occlusion,
    Saliency,
)

rng = np.random.default_rng(0)
WA, WB = rng.normal(size=4).astype("float32"), rng.normal(size=(2, 3)).astype("float32")
A, B = rng.normal(size=(3, 4)).astype("float32"), rng.normal(size=(3, 2, 3)).astype("float32")


def two_input_score(a, b):
    """Captum's convention: forward(*inputs); a linear score with known contributions."""
    return (a * gn.tensor(WA)).sum(axis=1) + (b * gn.tensor(WB)).sum(axis=(1, 2))


def test_gradient_methods_return_one_attribution_per_input():
    sal = Saliency(two_input_score).attribute((A, B), abs=False)
    assert isinstance(sal, tuple) and sal[0].shape == A.shape and sal[1].shape == B.shape
    np.testing.assert_allclose(sal[1], np.broadcast_to(WB, B.shape), rtol=1e-6)
    ixg = InputXGradient(two_input_score).attribute((A, B))
    np.testing.assert_allclose(ixg[0], A * WA, rtol=1e-6)
    attr, delta = IntegratedGradients(two_input_score).attribute(
        (A, B), baselines=(0.0, np.ones((2, 3), "float32")), n_steps=5,
        return_convergence_delta=True)
    np.testing.assert_allclose(attr[0], A * WA, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(attr[1], (B - 1) * WB, rtol=1e-5, atol=1e-6)
    assert np.abs(delta).max() < 1e-5


def test_a_keras_multi_input_model_gets_a_list():
    a, b = keras.Input((4,)), keras.Input((2, 3))
    out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, keras.layers.Flatten()(b)]))
    model = keras.Model([a, b], out)
    w = model.layers[-1].get_weights()[0][:, 0]
    ig = IntegratedGradients(model).attribute((A, B), n_steps=4)
    np.testing.assert_allclose(ig[0], A * w[:4], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ig[1], B * w[4:].reshape(2, 3), rtol=1e-5, atol=1e-6)


def test_perturbation_and_sampling_methods_take_tuples():
    fa = FeatureAblation(two_input_score).attribute(
        (A, B), feature_mask=(np.array([0, 0, 1, 1]), np.full((2, 3), 2)))
    contrib = A * WA
    np.testing.assert_allclose(fa[0][:, 0], contrib[:, :2].sum(1), rtol=1e-5)
    np.testing.assert_allclose(fa[1][:, 0, 0], (B * WB).sum(axis=(1, 2)), rtol=1e-5)
    gs = GradientShap(two_input_score).attribute(
        (A, B), baselines=(np.zeros((4, 4)), np.zeros((4, 2, 3))), n_samples=3, seed=0)
    np.testing.assert_allclose(gs[0], A * WA, rtol=1e-5, atol=1e-6)
    nt = NoiseTunnel(IntegratedGradients(two_input_score)).attribute(
        (A, B), nt_samples=2, stdevs=0.0, n_steps=3, baselines=(A * 0, B * 0))
    np.testing.assert_allclose(nt[1], B * WB, rtol=1e-5, atol=1e-6)


def test_bad_tuples_are_named():
    with pytest.raises(ValueError, match="must share their batch size"):
        Saliency(two_input_score).attribute((A, B[:2]))
    with pytest.raises(ValueError, match="`baselines` must have one entry per input \\(2\\)"):
        IntegratedGradients(two_input_score).attribute((A, B), baselines=(0.0,))
    with pytest.raises(ValueError, match="each entry of `baselines`.*received shape \\(5,\\)"):
        IntegratedGradients(two_input_score).attribute((A, B), baselines=(np.zeros(5), 0.0))
    with pytest.raises(TypeError, match="Occlusion takes one input array"):
        Occlusion(two_input_score).attribute((A, B), (1,))
    with pytest.raises(ValueError, match="one \\(m, \\*input_shape\\) array per input"):
        GradientShap(two_input_score).attribute((A, B), baselines=(np.zeros((2, 4)),))
