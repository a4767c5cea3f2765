"""tf.random, tf.image and the dtype objects."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 - PyTorch's spelling
from helpers import check_op

import glassnet as tf

IMG = np.arange(2 * 5 * 6 * 3, dtype=np.float32).reshape(2, 5, 6, 3) / 50


def test_random_draws_with_tf_arguments():
    tf.random.set_seed(1)
    a = tf.random.normal([2, 3], mean=1.0, stddev=0.5)
    tf.random.set_seed(1)
    assert np.array_equal(a.numpy(), tf.random.normal([2, 3], mean=1.0, stddev=0.5).numpy())
    assert a.dtype == tf.float32 and a.shape == (2, 3)
    big = tf.random.normal([20000], 2.0, 3.0, seed=0).numpy()
    assert abs(big.mean() - 2.0) < 0.1 and abs(big.std() - 3.0) < 0.1
    t = tf.random.truncated_normal([20000], stddev=2.0, seed=0).numpy()
    assert np.abs(t).max() <= 4.0 and 1.5 < t.std() < 1.9
    u = tf.random.uniform([1000], minval=-1, maxval=3, seed=2).numpy()
    assert u.min() >= -1 and u.max() < 3 and u.dtype == np.float32
    i = tf.random.uniform([1000], 0, 5, dtype=tf.int32, seed=2).numpy()
    assert i.dtype == np.int32 and set(i.tolist()) == {0, 1, 2, 3, 4}
    with pytest.raises(ValueError, match="needs maxval"):
        tf.random.uniform([2], dtype=tf.int32)
    assert np.array_equal(tf.random.uniform([3], seed=5).numpy(),
                          tf.random.uniform([3], seed=5).numpy())
    assert tf.random.normal([2], dtype=tf.float64).dtype == np.float64
    with pytest.raises(ValueError, match="dtype must be floating"):
        tf.random.normal([2], dtype=tf.int32)


def test_shuffle_and_categorical():
    x = np.arange(10)
    s = tf.random.shuffle(x, seed=0).numpy()
    assert sorted(s.tolist()) == x.tolist() and s.tolist() != x.tolist()
    draws = tf.random.categorical(np.log([[0.1, 0.9], [1.0, 1e-9]]), 2000, seed=0).numpy()
    assert draws.shape == (2, 2000) and draws.dtype == np.int64
    assert 0.85 < draws[0].mean() < 0.95 and draws[1].sum() == 0


def test_resize_as_tf():
    assert tf.image.resize(IMG, [3, 4]).shape == (2, 3, 4, 3)
    # bilinear with half-pixel centres (tf 2, = torch align_corners=False, no antialias)
    ref = F.interpolate(torch.tensor(IMG).permute(0, 3, 1, 2), size=(7, 9), mode="bilinear",
                        align_corners=False).permute(0, 2, 3, 1)
    np.testing.assert_allclose(tf.image.resize(IMG, [7, 9]).numpy(), ref.numpy(), rtol=1e-5,
                               atol=1e-5)
    pixels = np.arange(16, dtype=np.uint8).reshape(4, 4, 1)
    assert tf.image.resize(pixels, [2, 2]).dtype == tf.float32
    assert tf.image.resize(pixels, [2, 2], method="nearest").dtype == tf.uint8
    assert tf.image.resize(IMG, [10, 10], preserve_aspect_ratio=True).shape == (2, 8, 10, 3)
    assert tf.image.ResizeMethod.BILINEAR == "bilinear"
    with pytest.raises(ValueError, match="method must be one of"):
        tf.image.resize(IMG, [2, 2], method="spline")
    check_op(lambda t: tf.image.resize(t, [3, 4]), lambda t: F.interpolate(
        t.permute(0, 3, 1, 2), size=(3, 4), mode="bilinear", align_corners=False).permute(
        0, 2, 3, 1), [(1, 5, 6, 2)])


def test_flips_rotations_crops():
    np.testing.assert_array_equal(tf.image.flip_left_right(IMG).numpy(), IMG[:, :, ::-1])
    np.testing.assert_array_equal(tf.image.flip_up_down(IMG[0]).numpy(), IMG[0, ::-1])
    for k in range(4):
        np.testing.assert_array_equal(tf.image.rot90(IMG[0], k).numpy(),
                                      np.rot90(IMG[0], k, axes=(0, 1)))
        np.testing.assert_array_equal(tf.image.rot90(IMG, k).numpy(),
                                      np.rot90(IMG, k, axes=(1, 2)))
    np.testing.assert_array_equal(tf.image.crop_to_bounding_box(IMG, 1, 2, 3, 3).numpy(),
                                  IMG[:, 1:4, 2:5])
    assert tf.image.central_crop(IMG, 0.5).shape == (2, 3, 4, 3)  # as tf for 5x6
    with pytest.raises(ValueError, match="does not fit a 5x6 image"):
        tf.image.crop_to_bounding_box(IMG, 3, 0, 3, 3)
    flipped = tf.image.random_flip_left_right(IMG, seed=0).numpy()
    for img, out in zip(IMG, flipped):
        assert np.array_equal(out, img) or np.array_equal(out, img[:, ::-1])
    with pytest.raises(ValueError, match="height, width, channels"):
        tf.image.flip_left_right(np.zeros((4, 4)))


def test_standardization_dtype_conversion_grayscale():
    out = tf.image.per_image_standardization(IMG).numpy()
    np.testing.assert_allclose(out.mean(axis=(1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(1, 2, 3)), 1, rtol=1e-4)
    assert tf.image.per_image_standardization(np.ones((2, 2, 1))).numpy().tolist() == \
        [[[0.0], [0.0]], [[0.0], [0.0]]]
    conv = tf.image.convert_image_dtype(np.array([0, 255], np.uint8), tf.float32)
    assert conv.tolist() == [0.0, 1.0]
    back = tf.image.convert_image_dtype(np.array([0.0, 0.5, 1.0], np.float32), tf.uint8)
    assert back.dtype == tf.uint8 and back.tolist() == [0, 127, 255]
    gray = tf.image.rgb_to_grayscale(IMG)
    np.testing.assert_allclose(gray.numpy()[..., 0], IMG @ np.array([0.2989, 0.587, 0.114]),
                               rtol=1e-5)
    assert tf.image.grayscale_to_rgb(gray).shape == IMG.shape
    assert tf.image.adjust_brightness(IMG, 0.5).numpy()[0, 0, 0, 0] == 0.5


def test_dtypes_compare_with_numpy_and_tensors():
    assert tf.constant([1.0]).dtype == tf.float32 and tf.float32 == np.float32
    assert tf.float32 == "float32" and tf.float32 != tf.float64
    assert tf.as_dtype("int64") is tf.int64 and tf.as_dtype(np.uint8) is tf.uint8
    assert tf.dtypes.float32 is tf.float32 and tf.dtypes.as_dtype(tf.bool) is tf.bool
    assert tf.int8.max == 127 and tf.uint8.min == 0 and tf.float16.is_floating
    assert tf.int32.is_integer and tf.bool.is_bool and tf.float32.size == 4
    assert tf.float64.as_numpy_dtype is np.float64 and repr(tf.float32) == "tf.float32"
    assert tf.zeros([2], tf.float64).dtype == np.float64
    assert np.zeros(2, tf.int16).dtype == np.int16 and hash(tf.float32) == hash(np.dtype("f4"))
    assert tf.half is tf.float16 and tf.double is tf.float64
    with pytest.raises(TypeError, match="cannot convert"):
        tf.as_dtype("complex64")
    with pytest.raises(TypeError, match="received None"):
        tf.as_dtype(None)


def test_contrast_brightness_crops_pads_and_patches_as_tensorflow():
    import glassnet as tf

    rng = np.random.default_rng(0)
    x = rng.random((2, 5, 6, 3)).astype("float32")
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(tf.image.adjust_contrast(x, 1.7).numpy(),
                               (x - mean) * 1.7 + mean, rtol=1e-5)
    padded = tf.image.pad_to_bounding_box(x, 1, 2, 8, 9).numpy()
    assert padded.shape == (2, 8, 9, 3)
    np.testing.assert_array_equal(padded[:, 1:6, 2:8], x)
    assert padded.sum() == pytest.approx(x.sum(), rel=1e-6)
    # patch (1, 1) of image 1, SAME padding (the extra row and column after): rows 2-3,
    # columns 2-4, as TF 2.21 gave
    patches = tf.image.extract_patches(x, [1, 2, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "SAME")
    assert patches.shape == (2, 3, 3, 18)
    np.testing.assert_allclose(patches.numpy()[1, 1, 1], x[1, 2:4, 2:5].reshape(-1),
                               rtol=1e-6)
    crop = tf.image.random_crop(x, [2, 3, 3, 3], seed=1).numpy()
    assert crop.shape == (2, 3, 3, 3) and np.isin(crop, x).all()
    bright = tf.image.random_brightness(x, 0.2, seed=3).numpy() - x
    assert np.allclose(bright, bright[:, :1, :1, :1], atol=1e-6)  # one delta per image
    assert (np.abs(bright) <= 0.2).all()
    with pytest.raises(ValueError, match="does not fit a 8x9 box"):
        tf.image.pad_to_bounding_box(x, 4, 2, 8, 9)
    with pytest.raises(ValueError, match=r"sizes must be \[1, rows, cols, 1\]"):
        tf.image.extract_patches(x, [2, 2], [1, 1, 1, 1], [1, 1, 1, 1], "VALID")


def test_stateless_functions_and_generators_are_reproducible_streams():
    import glassnet as tf

    a = tf.random.stateless_normal([3], seed=[1, 2]).numpy()
    np.testing.assert_array_equal(a, tf.random.stateless_normal([3], seed=[1, 2]).numpy())
    assert not np.array_equal(a, tf.random.stateless_normal([3], seed=[1, 3]).numpy())
    u = tf.random.stateless_uniform([100], seed=[4, 5], minval=2.0, maxval=3.0).numpy()
    assert u.dtype == np.float32 and (u >= 2).all() and (u < 3).all()
    g = tf.random.Generator.from_seed(7)
    first, second = g.normal([4]).numpy(), g.normal([4]).numpy()
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(tf.random.Generator.from_seed(7).normal([4]).numpy(), first)
    assert g.make_seeds(3).shape == (2, 3)
    with pytest.raises(ValueError, match="seed must be a pair of integers"):
        tf.random.stateless_normal([3], seed=[1])


def test_crop_or_pad_stateless_image_ops_poisson_and_gamma():
    import glassnet as tf

    image = np.arange(5 * 8 * 1, dtype="float32").reshape(5, 8, 1)
    cropped = tf.image.resize_with_crop_or_pad(image, 3, 4).numpy()
    np.testing.assert_array_equal(cropped, image[1:4, 2:6])
    padded = tf.image.resize_with_crop_or_pad(image, 7, 10).numpy()
    np.testing.assert_array_equal(padded[1:6, 1:9], image)
    assert padded.sum() == image.sum()
    a = tf.image.stateless_random_flip_left_right(image, seed=[1, 2]).numpy()
    np.testing.assert_array_equal(a, tf.image.stateless_random_flip_left_right(
        image, seed=[1, 2]).numpy())
    assert np.array_equal(a, image) or np.array_equal(a, image[:, ::-1])
    counts = tf.random.poisson([2000], [1.0, 5.0], seed=0).numpy()
    assert counts.shape == (2000, 2) and abs(counts[:, 1].mean() - 5.0) < 0.3
    draws = tf.random.gamma([4000], [2.0], [4.0], seed=0).numpy()  # mean alpha / beta
    assert draws.shape == (4000, 1) and abs(draws.mean() - 0.5) < 0.05
    with pytest.raises(ValueError, match="must be non-negative"):
        tf.random.poisson([2], [-1.0])
