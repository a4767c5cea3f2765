import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.image import resize_weights

# (in_h, in_w) -> (out_h, out_w): up, down (non-integer factors), mixed, integer factors
SIZES = [((5, 4), (3, 7)), ((9, 11), (4, 5)), ((4, 4), (8, 8)), ((7, 5), (16, 2)),
         ((12, 12), (4, 3))]


def _nchw(fn):
    """A torch function on NCHW images as one on NHWC images (our default layout)."""
    return lambda x: fn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


@pytest.mark.parametrize("interpolation,antialias,torch_mode", [
    ("bilinear", False, "bilinear"),
    ("bilinear", True, "bilinear"),
    # torch's antialiased bicubic uses a = -0.5 and renormalises the taps at the border, as
    # TF and JAX (with antialias=True it also covers upsampling, where the kernel is not
    # widened): the same as ours
    ("bicubic", True, "bicubic"),
    # torch's "nearest-exact" is floor((i + 0.5) * in / out), TF's half-pixel nearest and what
    # Keras 3 on the torch backend calls
    ("nearest", False, "nearest-exact"),
])
@pytest.mark.parametrize("sizes", SIZES)
def test_resize_matches_torch(interpolation, antialias, torch_mode, sizes):
    (h, w), size = sizes
    extra = {"align_corners": False} if torch_mode in ("bilinear", "bicubic") else {}
    if antialias:
        extra["antialias"] = True

    def ref(x):
        return F.interpolate(x, size, mode=torch_mode, **extra)

    check_op(lambda x: gn.resize(x, size, interpolation, antialias), _nchw(ref), [(1, h, w, 2)])


def test_resize_channels_first_and_unbatched():
    ref = lambda x: F.interpolate(x, (6, 3), mode="bilinear", align_corners=False)  # noqa: E731
    check_op(lambda x: gn.resize(x, (6, 3), data_format="channels_first"), ref, [(2, 3, 4, 5)])
    check_op(lambda x: gn.resize(x, (6, 3), data_format="channels_first"),
             lambda x: ref(x[None])[0], [(3, 4, 5)])
    check_op(lambda x: gn.resize(x, (6, 3)),
             lambda x: _nchw(ref)(x[None])[0], [(4, 5, 2)])


def test_resize_area_matches_torch_for_integer_factors():
    # torch's "area" is adaptive average pooling: the same as TF's area for integer factors
    check_op(lambda x: gn.resize(x, (4, 3), "area"),
             _nchw(lambda x: F.interpolate(x, (4, 3), mode="area")), [(1, 12, 12, 2)])


def test_bicubic_kernel_a_minus_075_matches_torch_inside_the_border():
    # torch's plain bicubic uses a = -0.75 and repeats the border pixel where we drop taps and
    # renormalise, so they agree where no tap falls outside the image (3 pixels in, here).
    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype(np.float32)
    wh = resize_weights(8, 16, "bicubic", cubic_a=-0.75)
    ours = np.einsum("oh,bchw,pw->bcop", wh, x, wh)
    ref = F.interpolate(torch.tensor(x), (16, 16), mode="bicubic", align_corners=False).numpy()
    np.testing.assert_allclose(ours[..., 3:-3, 3:-3], ref[..., 3:-3, 3:-3], atol=1e-5)
    assert np.abs(ours - ref).max() > 1e-3  # and differ at the border, as said


# Recorded with TensorFlow 2.21 (tf.image.resize) on the image below; torch has no area resize
# for non-integer factors and no Lanczos.
_TF_IMAGE = ((np.arange(5 * 4).reshape(1, 5, 4, 1) * 7) % 11).astype(np.float32)
_TF_RESIZED = {
    ("area", False, (3, 7)): [[2.40000, 3.05000, 5.00000, 5.20000, 5.40000, 7.35000, 8.00000],
                              [3.20000, 3.85000, 5.80000, 6.00000, 6.20000, 3.20000, 2.20000],
                              [4.00000, 4.65000, 6.60000, 6.80000, 7.00000, 4.00000, 3.00000]],
    ("area", False, (2, 3)): [[3.25000, 5.40000, 5.90000], [4.45000, 6.60000, 3.80000]],
    ("lanczos3", False, (3, 7)): [
        [1.69367, 3.02616, 5.01361, 4.97241, 5.26625, 7.84719, 9.54591],
        [0.05969, 3.31822, 7.65971, 7.57143, 3.49710, 0.77757, -0.32116],
        [3.48469, 4.71373, 6.70166, 7.91021, 6.54489, 3.97340, 2.38888]],
    ("lanczos3", True, (3, 3)): [[2.98088, 5.17275, 7.19285], [3.98137, 6.35502, 3.62442],
                                 [4.55922, 7.24363, 4.11345]],
    ("lanczos5", True, (4, 3)): [[2.93967, 4.93565, 8.59958], [3.53422, 6.10784, 3.25710],
                                 [4.20225, 6.66738, 4.66769], [4.51430, 7.46431, 3.64429]],
}


@pytest.mark.parametrize("key", list(_TF_RESIZED))
def test_resize_area_and_lanczos_match_tensorflow(key):
    interpolation, antialias, size = key
    out = gn.resize(_TF_IMAGE, size, interpolation, antialias).numpy()[0, :, :, 0]
    np.testing.assert_allclose(out, _TF_RESIZED[key], atol=2e-5)
    check_op(lambda x: gn.resize(x, size, interpolation, antialias), None, [(1, 5, 4, 2)])


def test_resize_crop_and_pad_to_aspect_ratio():
    # (7, 9) cropped to a square: rows 0..6, columns 1..7 (Keras' centred window), then resized
    crop = lambda x: F.interpolate(x[:, :, :, 1:8], (4, 4), mode="bilinear")  # noqa: E731
    check_op(lambda x: gn.resize(x, (4, 4), crop_to_aspect_ratio=True), _nchw(crop),
             [(2, 7, 9, 3)])
    # (7, 4) padded to the aspect ratio 1:2: width 14, 5 columns of fill_value on each side

    def pad(x):
        return F.interpolate(F.pad(x, (5, 5, 0, 0), value=2.0), (3, 6), mode="bilinear")

    check_op(lambda x: gn.resize(x, (3, 6), pad_to_aspect_ratio=True, fill_value=2.0),
             _nchw(pad), [(2, 7, 4, 3)])


def test_resize_dtypes():
    assert gn.resize(np.ones((4, 4, 1), np.uint8), (2, 2)).dtype == np.float32
    assert gn.resize(gn.ones(4, 4, 1, dtype=np.float64), (2, 2)).dtype == np.float64
    np.testing.assert_allclose(gn.resize(np.full((4, 6, 2), 3.0), (5, 2), "bicubic").numpy(),
                               3.0, rtol=1e-6)  # rows of the weight matrices sum to 1


@pytest.mark.parametrize("kwargs,match", [
    (dict(images=np.ones((4, 4))), r"rank 3 .* or 4 .*Received: images.shape=\(4, 4\)"),
    (dict(size=(2,)), r"size must be an int or a tuple of 2 ints >= 1. Received: size=\(2,\)"),
    (dict(size=(2, 0)), r"Received: size=\(2, 0\)"),
    (dict(size=3), r"size must be a tuple of 2 positive ints"),
    (dict(interpolation="cubic"), r"interpolation must be one of .*'cubic'"),
    (dict(data_format="NHWC"), r"data_format must be one of .*'NHWC'"),
    (dict(fill_mode="reflect"), r"fill_mode must be 'constant'.*'reflect'"),
    (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), r"only one of"),
])
def test_resize_bad_arguments(kwargs, match):
    args = {"images": np.ones((4, 4, 1)), "size": (2, 2), **kwargs}
    with pytest.raises(ValueError, match=match):
        gn.resize(**args)


# ---------------------------------------------------------------- extract_patches


def _unfold_patches(x, size, strides, dilation, pads):
    """NHWC patches in Keras' (i, j, channel) order from torch's unfold (which orders the
    patch axis (channel, i, j) and takes symmetric padding, so pad first)."""
    (top, bottom), (left, right) = pads
    nchw = F.pad(x.permute(0, 3, 1, 2), (left, right, top, bottom))
    b, c = nchw.shape[:2]
    cols = F.unfold(nchw, size, dilation=dilation, stride=strides)  # (B, C * kh * kw, L)
    oh = (nchw.shape[2] - dilation[0] * (size[0] - 1) - 1) // strides[0] + 1
    ow = (nchw.shape[3] - dilation[1] * (size[1] - 1) - 1) // strides[1] + 1
    cols = cols.reshape(b, c, size[0] * size[1], oh, ow)
    return cols.permute(0, 3, 4, 2, 1).reshape(b, oh, ow, -1)


# shape, size, strides, dilation, padding, the padding "same" implies (TF's rule)
PATCH_CASES = [
    ((2, 7, 9, 3), (2, 3), None, 1, "valid", ((0, 0), (0, 0))),
    ((2, 7, 9, 3), (3, 3), (2, 1), 1, "same", ((1, 1), (1, 1))),
    ((1, 5, 6, 2), (4, 4), (3, 2), 1, "same", ((1, 1), (1, 1))),
    ((2, 7, 9, 1), (3, 2), 1, (2, 1), "valid", ((0, 0), (0, 0))),
    ((1, 10, 11, 2), (3, 3), (2, 3), (2, 2), "same", ((1, 2), (1, 2))),  # odd: more after
    ((2, 8, 8, 2), (2, 2), (3, 3), 1, "same", ((0, 0), (0, 0))),
]


@pytest.mark.parametrize("shape,size,strides,dilation,padding,pads", PATCH_CASES)
def test_extract_patches_matches_torch_unfold(shape, size, strides, dilation, padding, pads):
    s = size if strides is None else (strides,) * 2 if isinstance(strides, int) else strides
    d = (dilation,) * 2 if isinstance(dilation, int) else dilation
    check_op(lambda x: gn.extract_patches(x, size, strides, dilation, padding),
             lambda x: _unfold_patches(x, size, s, d, pads), [shape])


def test_extract_patches_channels_first_and_unbatched():
    ref = lambda x: _unfold_patches(x, (2, 3), (2, 2), (1, 1), ((0, 1), (1, 1)))  # noqa: E731
    check_op(lambda x: gn.extract_patches(x, (2, 3), 2, padding="same",
                                          data_format="channels_first"),
             lambda x: ref(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2), [(2, 3, 7, 9)])
    ref_3 = lambda x: _unfold_patches(x, (3, 3), (1, 1), (1, 1), ((0, 0), (0, 0)))  # noqa: E731
    check_op(lambda x: gn.extract_patches(x, 3, 1), lambda x: ref_3(x[None])[0], [(5, 6, 2)])


def test_extract_patches_order_is_row_column_channel():
    x = np.arange(2 * 4 * 3, dtype=np.float32).reshape(1, 2, 4, 3)
    p = gn.extract_patches(x, 2).numpy()
    assert p.shape == (1, 1, 2, 12)
    np.testing.assert_array_equal(p[0, 0, 1], x[0, :2, 2:4, :].reshape(-1))


@pytest.mark.parametrize("kwargs,match", [
    (dict(images=np.ones((4, 4))), r"rank 3 .* or 4 .*Received: images.shape=\(4, 4\)"),
    (dict(size=(2, 2, 2)), r"size must be an int or a tuple of 2 ints >= 1"),
    (dict(size=0), r"Received: size=0"),
    (dict(strides=(1, -1)), r"strides must be .*Received: strides=\(1, -1\)"),
    (dict(padding="full"), r"padding must be 'valid' or 'same'. Received: padding='full'"),
    (dict(size=5), r"spanning \(5, 5\) pixels .* \(4, 4\)"),
    (dict(data_format="NCHW"), r"data_format must be one of"),
])
def test_extract_patches_bad_arguments(kwargs, match):
    args = {"images": np.ones((4, 4, 1)), "size": 2, **kwargs}
    with pytest.raises(ValueError, match=match):
        gn.extract_patches(**args)
