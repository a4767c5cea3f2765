"""Keras's image pipeline: ``ImageDataGenerator`` (augment on the fly), ``flow`` over arrays,
``flow_from_directory`` and ``image_dataset_from_directory`` over folders of class
subfolders, and the Pillow helpers ``load_img``, ``img_to_array``, ``array_to_img``,
``save_img``.

Each batch draws its transform parameters per image and applies them together: one
resampling call for the whole batch (``image.batch_affine_transform``), flips and brightness
as array operations.
"""

from __future__ import annotations

import warnings

import numpy as np

from glassnet import backend
from glassnet.data import image
from glassnet.data.image_files import (  # noqa: F401 - Keras keeps them beside the generator
    COLOR_MODES,
    IMAGE_EXTENSIONS,
    array_to_img,
    img_to_array,
    load_img,
    save_img,
)
from glassnet.data.image_iterators import (  # noqa: F401
    ArrayImageIterator,
    DirectoryIterator,
    _warn_not_saved,
    image_dataset_from_directory,
    scan_directory,
)


def _range(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"ImageDataGenerator: {name} must be a non-negative number. "
                         f"Received: {name}={value!r}")
    return value


class ImageDataGenerator:
    """Random augmentation and normalization of image batches, with Keras's arguments.

    Augmentation: rotation_range (degrees), width/height_shift_range (fraction of the size if
    below 1, else pixels), shear_range (degrees), zoom_range (z or [low, high]; zooms drawn
    independently for rows and columns), channel_shift_range, brightness_range, horizontal
    and vertical flips, fill_mode and cval. Normalization (``standardize``): the
    preprocessing_function, rescale, sample-wise and feature-wise centering and std scaling
    (feature-wise needs ``fit``), ZCA whitening. ``validation_split`` with
    ``subset="training"/"validation"`` in ``flow`` and ``flow_from_directory``.
    """

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, zca_epsilon=1e-6, rotation_range=0,
                 width_shift_range=0.0, height_shift_range=0.0, brightness_range=None,
                 shear_range=0.0, zoom_range=0.0, channel_shift_range=0.0,
                 fill_mode="nearest", cval=0.0, horizontal_flip=False, vertical_flip=False,
                 rescale=None, preprocessing_function=None, data_format=None,
                 validation_split=0.0, interpolation_order=1, dtype="float32"):
        self.rotation_range = _range(rotation_range, "rotation_range")
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.shear_range = _range(shear_range, "shear_range")
        self.channel_shift_range = _range(channel_shift_range, "channel_shift_range")
        if np.isscalar(zoom_range):
            zoom_range = [1 - zoom_range, 1 + zoom_range]
        zoom_range = [float(v) for v in zoom_range]
        if len(zoom_range) != 2 or min(zoom_range) <= 0 or zoom_range[0] > zoom_range[1]:
            raise ValueError(f"ImageDataGenerator: zoom_range must be a float in [0, 1) or a "
                             f"pair [low, high] with 0 < low <= high. Received: "
                             f"zoom_range={zoom_range}")
        self.zoom_range = zoom_range
        if brightness_range is not None and (len(brightness_range) != 2 or
                                             min(brightness_range) < 0):
            raise ValueError(f"ImageDataGenerator: brightness_range must be a pair of "
                             f"non-negative factors. Received: {brightness_range}")
        self.brightness_range = brightness_range
        if fill_mode not in image.FILL_MODES:
            raise ValueError(f"ImageDataGenerator: fill_mode must be one of "
                             f"{image.FILL_MODES}. Received: {fill_mode!r}")
        if data_format not in (None, "channels_last"):
            raise ValueError("ImageDataGenerator: only channels_last data is supported")
        if not 0 <= validation_split < 1:
            raise ValueError(f"ImageDataGenerator: validation_split must be in [0, 1). "
                             f"Received: {validation_split}")
        self.fill_mode, self.cval = fill_mode, cval
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.featurewise_center = featurewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_center = samplewise_center
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening, self.zca_epsilon = zca_whitening, zca_epsilon
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.validation_split = validation_split
        self.interpolation_order, self.dtype = interpolation_order, np.dtype(dtype)
        self.mean = self.std = self.zca_whitening_matrix = None

    # -- statistics --------------------------------------------------------------------
    def fit(self, x, augment=False, rounds=1, seed=None):
        """Compute the feature-wise mean, std and ZCA matrix of ``x`` (N, H, W, C)."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: expected (batch, height, width, "
                             f"channels); received shape {x.shape}")
        if augment:
            rng = np.random.default_rng(seed)
            x = np.concatenate([self._augment(x, rng) for _ in range(rounds)])
        self.mean = x.mean(axis=(0, 1, 2), keepdims=True)[0]
        self.std = x.std(axis=(0, 1, 2), keepdims=True)[0]
        if self.zca_whitening:
            flat = x.reshape(len(x), -1)
            flat = flat - flat.mean(axis=0)
            u, s, _ = np.linalg.svd(flat.T @ flat / len(flat))
            self.zca_whitening_matrix = (u * (1 / np.sqrt(s + self.zca_epsilon))) @ u.T
        return self

    def standardize(self, x):
        """Normalize a batch (or one image) as configured."""
        x = np.asarray(x, dtype=self.dtype)
        if self.preprocessing_function is not None:
            x = np.asarray(self.preprocessing_function(x), dtype=self.dtype)
        if self.rescale:
            x = x * self.dtype.type(self.rescale)
        axes = tuple(range(x.ndim - 3, x.ndim))
        if self.samplewise_center:
            x = x - x.mean(axis=axes, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (x.std(axis=axes, keepdims=True) + 1e-6)
        if self.featurewise_center or self.featurewise_std_normalization or self.zca_whitening:
            if self.mean is None:
                raise ValueError("ImageDataGenerator: featurewise normalization and ZCA "
                                 "whitening need fit(x_train) first")
        if self.featurewise_center:
            x = x - self.mean
        if self.featurewise_std_normalization:
            x = x / (self.std + 1e-6)
        if self.zca_whitening:
            shape = x.shape
            x = (x.reshape(-1, int(np.prod(shape[-3:]))) @ self.zca_whitening_matrix
                 ).reshape(shape)
        return x.astype(self.dtype, copy=False)

    # -- random transforms -------------------------------------------------------------
    def _shift(self, value, size, n, rng):
        if not value:
            return np.zeros(n)
        if isinstance(value, (list, tuple, np.ndarray)):
            return rng.choice(np.asarray(value), n) * rng.choice([-1, 1], n)
        if isinstance(value, (int, np.integer)) and value >= 1:
            return rng.integers(-value, value + 1, n).astype(float)
        return rng.uniform(-value, value, n) * (size if value < 1 else 1)

    def get_random_transform(self, img_shape, seed=None, n=1, rng=None):
        """Parameters for ``n`` images of ``img_shape`` (H, W, C), as arrays of length n."""
        rng = rng or (np.random.default_rng(seed) if seed is not None else backend.generator())
        h, w = img_shape[0], img_shape[1]
        lo, hi = self.zoom_range
        zoom = rng.uniform(lo, hi, (n, 2)) if (lo, hi) != (1.0, 1.0) else np.ones((n, 2))
        return {
            "theta": rng.uniform(-self.rotation_range, self.rotation_range, n)
            if self.rotation_range else np.zeros(n),
            "tx": self._shift(self.height_shift_range, h, n, rng),
            "ty": self._shift(self.width_shift_range, w, n, rng),
            "shear": rng.uniform(-self.shear_range, self.shear_range, n)
            if self.shear_range else np.zeros(n),
            "zx": zoom[:, 0], "zy": zoom[:, 1],
            "flip_horizontal": (rng.random(n) < 0.5) & self.horizontal_flip,
            "flip_vertical": (rng.random(n) < 0.5) & self.vertical_flip,
            "channel_shift_intensity": rng.uniform(-self.channel_shift_range,
                                                   self.channel_shift_range, n)
            if self.channel_shift_range else np.zeros(n),
            "brightness": rng.uniform(*self.brightness_range, n)
            if self.brightness_range is not None else np.ones(n),
        }

    def apply_transform(self, x, params):
        """Apply ``get_random_transform``'s parameters to a batch (N, H, W, C)."""
        x = np.asarray(x, dtype=np.float64)
        n = len(x)
        matrices = np.stack([image.affine_matrix(params["theta"][i], params["tx"][i],
                                                 params["ty"][i], params["shear"][i],
                                                 params["zx"][i], params["zy"][i])
                             for i in range(n)])
        if not np.allclose(matrices, np.eye(3)):
            x = image.batch_affine_transform(x, matrices, self.fill_mode, self.cval,
                                             self.interpolation_order)
        shift = params["channel_shift_intensity"]
        if np.any(shift):
            low = x.min(axis=(1, 2), keepdims=True)
            high = x.max(axis=(1, 2), keepdims=True)
            x = np.clip(x + shift[:, None, None, None], low, high)
        x = np.where(params["flip_horizontal"][:, None, None, None], x[:, :, ::-1], x)
        x = np.where(params["flip_vertical"][:, None, None, None], x[:, ::-1], x)
        if np.any(params["brightness"] != 1):
            x = x * params["brightness"][:, None, None, None]
        return x

    def _augment(self, x, rng):
        return self.apply_transform(x, self.get_random_transform(x.shape[1:], n=len(x),
                                                                 rng=rng))

    def random_transform(self, x, seed=None):
        """One image (H, W, C) or a batch, randomly transformed (seeded if ``seed``)."""
        x = np.asarray(x)
        single = x.ndim == 3
        batch = x[None] if single else x
        rng = np.random.default_rng(seed) if seed is not None else backend.generator()
        out = self._augment(batch.astype(np.float64), rng)
        return (out[0] if single else out).astype(self.dtype)

    # -- iterators ---------------------------------------------------------------------
    def flow(self, x, y=None, batch_size=32, shuffle=True, sample_weight=None, seed=None,
             save_to_dir=None, save_prefix="", save_format="png", subset=None):
        """Augmented batches of in-memory arrays: a ``Sequence`` for ``fit``."""
        _warn_not_saved("flow", save_to_dir)
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"flow: expected x of shape (batch, height, width, channels); "
                             f"received {x.shape}")
        arrays = {"x": x, "y": None if y is None else np.asarray(y),
                  "w": None if sample_weight is None else np.asarray(sample_weight)}
        for key in ("y", "w"):
            if arrays[key] is not None and len(arrays[key]) != len(x):
                raise ValueError(f"flow: x has {len(x)} samples but "
                                 f"{'y' if key == 'y' else 'sample_weight'} has "
                                 f"{len(arrays[key])}")
        if subset is not None:
            split = int(len(x) * self.validation_split)
            if subset not in ("training", "validation") or split == 0:
                raise ValueError("flow: subset needs validation_split > 0 and must be "
                                 "'training' or 'validation'")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            arrays = {k: None if v is None else v[part] for k, v in arrays.items()}
        return ArrayImageIterator(self, arrays["x"], arrays["y"], arrays["w"], batch_size,
                                  shuffle, seed)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb",
                            classes=None, class_mode="categorical", batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix="",
                            save_format="png", follow_links=False, subset=None,
                            interpolation="nearest", keep_aspect_ratio=False):
        """Augmented batches of the images in ``directory``'s class subfolders (classes in
        alphanumeric order, as Keras indexes them)."""
        _warn_not_saved("flow_from_directory", save_to_dir)
        if keep_aspect_ratio:
            warnings.warn("flow_from_directory: keep_aspect_ratio=True is accepted for "
                          "compatibility but ignored: images are resized to target_size",
                          UserWarning, stacklevel=2)
        files, labels, class_indices = scan_directory(directory, classes, subset,
                                                      self.validation_split, follow_links)
        return DirectoryIterator(self, files, labels, class_indices, target_size, color_mode,
                                 class_mode, batch_size, shuffle, seed, interpolation)
