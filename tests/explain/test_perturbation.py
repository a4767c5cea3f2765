import numpy as np
import pytest

from glassnet.explain import FeatureAblation, Occlusion


def image_model(weights):
    """A linear score over images (n, h, w): sum of x * weights, as plain NumPy."""
    return lambda x: (np.asarray(x) * weights).sum(axis=(1, 2))


def expected_occlusion(x, weights, window, stride, base):
    """Mean over covering windows of each window's score drop, by explicit loops."""
    total, count = np.zeros_like(x), np.zeros_like(x)
    h, w = x.shape[1:]
    for i in range(0, h - window[0] + 1, stride[0]):
        for j in range(0, w - window[1] + 1, stride[1]):
            cell = (slice(None), slice(i, i + window[0]), slice(j, j + window[1]))
            drop = ((x[cell] - base) * weights[cell[1:]]).sum(axis=(1, 2))
            total[cell] += drop[:, None, None]
            count[cell] += 1
    return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def test_occlusion_window_of_one_is_x_times_w(linear):
    model, w, _, x = linear
    out = Occlusion(model).attribute(x, sliding_window_shapes=(1,), target=1)
    assert out.shape == x.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, x * w[:, 1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("window,stride", [((2, 2), (2, 2)), ((2, 3), (1, 1)),
                                           ((3, 2), (2, 3))])
def test_occlusion_of_a_linear_image_model(window, stride):
    rng = np.random.default_rng(0)
    x, weights = rng.normal(size=(3, 5, 6)), rng.normal(size=(5, 6))
    out = Occlusion(image_model(weights)).attribute(x, window, strides=stride, baselines=0.25)
    np.testing.assert_allclose(out, expected_occlusion(x, weights, window, stride, 0.25),
                               rtol=1e-6, atol=1e-9)


def test_occlusion_batches_perturbations_identically():
    rng = np.random.default_rng(1)
    x, weights = rng.normal(size=(2, 4, 4)).astype("float32"), rng.normal(size=(4, 4))
    calls = []

    def model(batch):
        calls.append(len(batch))
        return image_model(weights)(batch)

    one = Occlusion(model).attribute(x, (2, 2))
    many = Occlusion(model).attribute(x, (2, 2), perturbations_per_eval=4)
    np.testing.assert_allclose(one, many, rtol=1e-6)
    # f(x), then 9 windows one by one; f(x), then windows 4 + 4 + 1
    assert calls == [2] * 10 + [2, 8, 8, 2]


def test_feature_ablation_per_column_is_x_minus_baseline_times_w(linear):
    model, w, _, x = linear
    base = np.array([0.1, 0.2, 0.3, 0.4], "float32")
    out = FeatureAblation(model).attribute(x, baselines=base, target=0)
    np.testing.assert_allclose(out, (x - base) * w[:, 0], rtol=1e-5, atol=1e-6)
    batched = FeatureAblation(model).attribute(x, baselines=base, target=0,
                                               perturbations_per_eval=3)
    np.testing.assert_allclose(batched, out, rtol=1e-6)


def test_feature_mask_groups_ablate_together(linear):
    model, w, _, x = linear
    mask = np.array([0, 0, 1, 1])
    out = FeatureAblation(model).attribute(x, target=1, feature_mask=mask)
    contrib = x * w[:, 1]
    group = np.stack([contrib[:, :2].sum(1)] * 2 + [contrib[:, 2:].sum(1)] * 2, axis=1)
    np.testing.assert_allclose(out, group, rtol=1e-5, atol=1e-6)
    per_sample = np.tile(np.array([[0, 1, 2, 3]]), (5, 1))
    per_sample[0] = [5, 5, 5, 5]
    out = FeatureAblation(model).attribute(x, target=1, feature_mask=per_sample)
    np.testing.assert_allclose(out[1:], contrib[1:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0], [contrib[0].sum()] * 4, rtol=1e-5)


def test_bad_arguments_are_named(linear):
    model, _, _, x = linear
    with pytest.raises(ValueError, match="`sliding_window_shapes` must be 1 positive integers"):
        Occlusion(model).attribute(x, (2, 2), target=0)
    with pytest.raises(ValueError, match="larger than the sample shape \\(4,\\)"):
        Occlusion(model).attribute(x, (5,), target=0)
    with pytest.raises(ValueError, match="`strides` must be 1 positive integers"):
        Occlusion(model).attribute(x, (2,), strides=0, target=0)
    with pytest.raises(ValueError, match="`perturbations_per_eval` must be a positive integer"):
        FeatureAblation(model).attribute(x, target=0, perturbations_per_eval=0)
    with pytest.raises(ValueError, match="`feature_mask` must have the shape of one sample"):
        FeatureAblation(model).attribute(x, target=0, feature_mask=np.zeros(3, int))
    with pytest.raises(TypeError, match="`feature_mask` must hold integer feature ids"):
        FeatureAblation(model).attribute(x, target=0, feature_mask=np.zeros(4))
    with pytest.raises(ValueError, match="one row per sample"):
        FeatureAblation(lambda b: np.zeros(3)).attribute(x)


def test_methods_on_a_keras_cnn_keep_the_image_shape():
    from glassnet import keras
    from glassnet.explain import IntegratedGradients, Saliency

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(4)])
    x = np.random.default_rng(0).normal(size=(2, 6, 6, 2)).astype("float32")
    occ = Occlusion(model).attribute(x, (2, 2, 2), strides=(2, 2, 2), target=3,
                                     perturbations_per_eval=9)
    # non-overlapping windows: every element of a window shares its score drop
    assert occ.shape == x.shape and np.all(occ[:, :2, :2, :] == occ[:, :1, :1, :1])
    cols = FeatureAblation(model).attribute(x, target=3, feature_mask=np.arange(72).reshape(
        6, 6, 2) // 2 % 2, perturbations_per_eval=2)
    whole = model.predict(x, verbose=0)[:, 3] - model.predict(x * 0, verbose=0)[:, 3]
    assert cols.shape == x.shape
    assert not np.allclose(cols, 0)
    sal = Saliency(model).attribute(x, target=[0, 3])
    assert sal.shape == x.shape and np.all(sal >= 0)
    ig, delta = IntegratedGradients(model).attribute(x, target=3, internal_batch_size=16,
                                                     return_convergence_delta=True)
    np.testing.assert_allclose(ig.reshape(2, -1).sum(1), whole, atol=2e-3)


def test_feature_permutation_scores_the_shuffled_columns(linear):
    from glassnet.explain import FeaturePermutation

    model, w, _, x = linear
    out = FeaturePermutation(model).attribute(x, target=0, seed=5)
    perms = np.random.default_rng(5).permuted(np.tile(np.arange(5), (4, 1)), axis=1)
    expected = np.stack([(x[:, i] - x[perms[i], i]) * w[i, 0] for i in range(4)], axis=1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    batched = FeaturePermutation(model).attribute(x, target=0, seed=5, perturbations_per_eval=3)
    np.testing.assert_allclose(batched, out, rtol=1e-6)
    grouped = FeaturePermutation(model).attribute(x, target=0, feature_mask=np.array([0, 0, 0, 0]),
                                                  seed=1)
    assert np.all(grouped == grouped[:, :1])
    with pytest.raises(ValueError, match="at least 2 samples"):
        FeaturePermutation(model).attribute(x[:1], target=0)
