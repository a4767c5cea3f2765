"""Image operations against scipy.ndimage (the library they are built on) and exact cases."""

import numpy as np
import pytest
from scipy import ndimage

from glassnet.data import image

RNG = np.random.default_rng(0)
IMG = RNG.random((9, 11, 3))
IMG8 = (IMG * 255).astype(np.uint8)


def test_rotate_shift_zoom_shear_match_scipy_about_the_centre():
    for fn, kwargs, theirs in [
        (image.rotate, {"angle": 30},
         lambda x: ndimage.rotate(x, 30, axes=(1, 0), reshape=False, order=1, mode="nearest")),
        (image.shift, {"rows": 2, "cols": -3},
         lambda x: ndimage.shift(x, (2, -3, 0), order=1, mode="nearest")),
    ]:
        np.testing.assert_allclose(fn(IMG, **kwargs), theirs(IMG), atol=1e-9)
    square = IMG[:, :9]
    np.testing.assert_allclose(image.rotate(square, 90, order=0), np.rot90(square))
    zoomed = image.zoom(IMG, 2.0)  # enlarge 2x about the centre: the centre pixel stays put
    np.testing.assert_allclose(zoomed[4, 5], IMG[4, 5], atol=1e-9)
    # shear and zoom: scipy's affine_transform with the matrix conjugated about the centre
    for fn, arg, matrix in [(image.shear, 20, image.affine_matrix(shear=20)),
                            (image.zoom, (2.0, 0.5), image.affine_matrix(zx=0.5, zy=2.0))]:
        centre = np.array([4.0, 5.0])
        full = np.eye(3)
        full[:2, :2] = matrix[:2, :2]
        offset = np.array([*(centre - matrix[:2, :2] @ centre), 0.0])
        np.testing.assert_allclose(fn(IMG, arg), ndimage.affine_transform(
            IMG, full, offset, order=1, mode="nearest"), atol=1e-9)


def test_exact_transforms():
    np.testing.assert_array_equal(image.rot90(IMG8), np.rot90(IMG8))
    np.testing.assert_array_equal(image.rotate(IMG8, 0), IMG8)
    np.testing.assert_array_equal(image.flip_horizontal(IMG8), IMG8[:, ::-1])
    np.testing.assert_array_equal(image.flip_vertical(IMG8), IMG8[::-1])
    np.testing.assert_array_equal(image.shift(IMG8, 1, 2, order=0)[1:, 2:], IMG8[:-1, :-2])
    assert image.crop(IMG8, 1, 2, 3, 4).shape == (3, 4, 3)
    np.testing.assert_array_equal(image.center_crop(IMG8, 5, 5), IMG8[2:7, 3:8])
    crop = image.random_crop(IMG8, 4, 4, rng=np.random.default_rng(1))
    assert crop.shape == (4, 4, 3) and any(
        np.array_equal(crop, IMG8[i:i + 4, j:j + 4]) for i in range(6) for j in range(8))


def test_resize_uses_pixel_centres():
    x = np.arange(4.0).reshape(1, 4, 1)
    np.testing.assert_allclose(image.resize(x, (1, 2))[0, :, 0], [0.5, 2.5])  # 2x2 averages
    up = image.resize(np.array([[[0.0], [1.0]]]), (1, 4))[0, :, 0]
    np.testing.assert_allclose(up, [0.0, 0.25, 0.75, 1.0])
    np.testing.assert_array_equal(image.resize(IMG8, (18, 22), "nearest")[::2, ::2], IMG8)
    np.testing.assert_allclose(image.resize(IMG, (5, 7)), ndimage.zoom(
        IMG, (5 / 9, 7 / 11, 1), order=1, mode="nearest", grid_mode=True))


def test_uint8_in_uint8_out_and_batches_like_single_images():
    out = image.rotate(IMG8, 15)
    assert out.dtype == np.uint8
    np.testing.assert_allclose(out, np.clip(np.rint(image.rotate(IMG8.astype(float), 15)),
                                            0, 255))
    batch = np.stack([IMG, IMG * 0.5])
    np.testing.assert_allclose(image.rotate(batch, 15)[1], image.rotate(IMG * 0.5, 15))
    assert image.adjust_brightness(IMG8, 2.0).max() == 255
    contrasted = image.adjust_contrast(IMG, 0.0)
    np.testing.assert_allclose(contrasted, np.broadcast_to(IMG.mean((0, 1)), IMG.shape))


def test_batch_affine_gives_each_image_its_own_transform_in_one_call():
    batch = RNG.random((3, 8, 10, 2))
    thetas, shifts = [0.0, 25.0, -40.0], [(0, 0), (1.5, -2), (0, 3)]
    matrices = [image.affine_matrix(theta=t, tx=sx, ty=sy) for t, (sx, sy) in
                zip(thetas, shifts)]
    together = image.batch_affine_transform(batch, matrices)
    for i, (t, (sx, sy)) in enumerate(zip(thetas, shifts)):
        np.testing.assert_allclose(together[i], image.apply_affine_transform(
            batch[i], theta=t, tx=sx, ty=sy), atol=1e-9)


def test_brightness_matches_pillows_enhancer():
    from PIL import Image, ImageEnhance

    for factor in (0.5, 1.3):
        theirs = np.asarray(ImageEnhance.Brightness(Image.fromarray(IMG8)).enhance(factor))
        np.testing.assert_allclose(image.adjust_brightness(IMG8, factor), theirs, atol=1)


def test_bad_input():
    with pytest.raises(ValueError, match=r"expected an image \(height, width, channels\) or a "
                                         r"batch .*received shape \(5, 5\)"):
        image.rotate(np.zeros((5, 5)), 10)
    with pytest.raises(ValueError, match="fill_mode must be one of"):
        image.rotate(IMG, 10, fill_mode="mirror")
    with pytest.raises(ValueError, match=r"the window \(5, 0, 6, 4\) does not fit an image "
                                         r"of 9x11"):
        image.crop(IMG, 5, 0, 6, 4)
    with pytest.raises(ValueError, match="interpolation must be 'nearest' or 'bilinear'"):
        image.resize(IMG, (4, 4), "bicubic")


@pytest.mark.parametrize("fill_mode", ["nearest", "reflect", "constant", "wrap"])
def test_batch_affine_matches_per_image_scipy_for_every_fill_mode(fill_mode):
    batch = RNG.random((4, 7, 9, 2))
    params = [(0.0, 0, 0, 1.0), (35.0, 3.5, -4, 1.0), (-60.0, 0, 6, 0.7), (10.0, -9, 2, 1.4)]
    matrices = [image.affine_matrix(theta=t, tx=a, ty=b, zx=z, zy=z) for t, a, b, z in params]
    together = image.batch_affine_transform(batch, matrices, fill_mode=fill_mode, cval=0.25)
    for i, (t, a, b, z) in enumerate(params):
        np.testing.assert_allclose(together[i], image.apply_affine_transform(
            batch[i], theta=t, tx=a, ty=b, zx=z, zy=z, fill_mode=fill_mode, cval=0.25),
            atol=1e-9, err_msg=f"image {i}")
