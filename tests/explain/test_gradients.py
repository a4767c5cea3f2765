import numpy as np
import pytest

import glassnet as gn
from glassnet.explain import InputXGradient, Saliency


def test_saliency_of_a_linear_model_is_abs_weight(linear):
    model, w, _, x = linear
    out = Saliency(model).attribute(x, target=1)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, np.broadcast_to(np.abs(w[:, 1]), x.shape), rtol=1e-6)
    signed = Saliency(model).attribute(x, target=0, abs=False)
    np.testing.assert_allclose(signed, np.broadcast_to(w[:, 0], x.shape), rtol=1e-6)


def test_input_x_gradient_of_a_linear_model_is_x_times_w(linear):
    model, w, _, x = linear
    targets = np.array([0, 1, 1, 0, 1])
    out = InputXGradient(model).attribute(x, target=targets)
    np.testing.assert_allclose(out, x * w[:, targets].T, rtol=1e-6)


def test_gradients_match_torch_autograd_on_the_same_weights(mlp, torch_reference):
    model, x = mlp
    torch_mlp, torch_grad = torch_reference
    target = np.array([0, 1, 2, 0, 1, 2])
    ours = Saliency(model).attribute(x, target=target, abs=False)
    np.testing.assert_allclose(ours, torch_grad(torch_mlp(model), x, target), atol=1e-6)


def test_target_forms_and_single_output_models():
    f = lambda t: (t * gn.tensor([[1.0, 2.0]])).sum(axis=1, keepdims=True)  # noqa: E731
    x = np.ones((3, 2), "float32")
    np.testing.assert_allclose(Saliency(f).attribute(x), [[1.0, 2.0]] * 3)
    np.testing.assert_allclose(Saliency(f).attribute(x, target=0), [[1.0, 2.0]] * 3)
    g = lambda t: t.reshape((3, 1, 2)) * 3.0  # noqa: E731 - an output with two axes
    np.testing.assert_allclose(Saliency(g).attribute(x, target=(0, 1)), [[0.0, 3.0]] * 3)


def test_model_runs_in_inference_mode_and_gets_additional_args():
    seen = {}

    def f(t, scale, training=None):
        seen["training"] = training
        return t.sum(axis=1) * scale

    out = InputXGradient(f).attribute(np.ones((2, 2)), additional_forward_args=(4.0,))
    assert seen["training"] is False
    np.testing.assert_allclose(out, 4.0)


def test_bad_targets_and_models_are_named(linear):
    model, _, _, x = linear
    with pytest.raises(ValueError, match="`target` is required.*shape \\(5, 2\\)"):
        Saliency(model).attribute(x)
    with pytest.raises(ValueError, match="`target` 2 is out of range"):
        Saliency(model).attribute(x, target=2)
    with pytest.raises(ValueError, match="per-sample `target`"):
        Saliency(model).attribute(x, target=[0, 1, 2, 0, 1])
    with pytest.raises(ValueError, match="one int per sample \\(5\\)"):
        Saliency(model).attribute(x, target=[0, 1])
    with pytest.raises(TypeError, match="Saliency needs gradients.*ndarray"):
        Saliency(lambda t: np.zeros(len(t))).attribute(x)
    with pytest.raises(TypeError, match="`model` must be a model or a callable"):
        Saliency(3)
    with pytest.raises(TypeError, match="`inputs` must be numeric"):
        Saliency(model).attribute(np.array([["a"]]), target=0)


def test_dropout_is_off_and_multiple_outputs_are_refused():
    from glassnet import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
                              keras.layers.Dropout(0.5), keras.layers.Dense(2)])
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(Saliency(model).attribute(x, target=0),
                                  Saliency(model).attribute(x, target=0))
    with pytest.raises(TypeError, match="must return one array or tensor.*list"):
        Saliency(lambda t: [t.sum(axis=1), t.sum(axis=1)]).attribute(x)
