"""Keras 3's mixing and policy augmentation layers: MixUp, CutMix, AugMix, RandAugment, and
MaxNumBoundingBoxes.

MixUp and CutMix mix each image with another of the batch (a random permutation) and, given
``{"images": x, "labels": y}`` (one-hot or soft labels), mix the labels by the same weights:
``y' = w y + (1 - w) y[perm]``. AugMix and RandAugment draw chains of the colour and geometry
layers (this package's and ``preprocessing.py``'s) and apply them to the whole batch.

>>> import numpy as np
>>> from glassnet.nn.layers.mixing_augmentation import MixUp
>>> out = MixUp(seed=0)({"images": np.ones((4, 8, 8, 3), "float32"),
...                      "labels": np.eye(4, dtype="float32")})
>>> out["images"].shape, out["labels"].shape
((4, 8, 8, 3), (4, 4))
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd.tensor import Tensor
from glassnet.nn import validation as check
from glassnet.nn.layers import color_augmentation as color
from glassnet.nn.layers.augmentation_base import Augmentation, factor_pair, is_number
from glassnet.nn.layers.geometric_augmentation import INTERPOLATIONS, RandomShear
from glassnet.nn.layers.preprocessing import (
    RandomBrightness,
    RandomContrast,
    RandomRotation,
    RandomTranslation,
)


def _mix_labels(labels, weight, permutation):
    if labels is None:
        return None
    w = weight.reshape(-1, *([1] * (labels.ndim - 1)))
    return w * labels + (1.0 - w) * labels[permutation]


class MixUp(Augmentation):
    """x' = w x + (1 - w) x[perm], w ~ Beta(alpha, alpha) per image (Zhang et al., 2018)."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.alpha = check.number(alpha, "alpha", "MixUp", low=0, low_open=True)

    def augment_with_labels(self, x, labels, rng):
        permutation = rng.permutation(len(x))
        weight = rng.beta(self.alpha, self.alpha, len(x))
        mixed = weight[:, None, None, None] * x + (1 - weight[:, None, None, None]) * \
            x[permutation]
        return mixed, _mix_labels(labels, weight, permutation)

    def augment(self, x, rng):
        return self.augment_with_labels(x, None, rng)[0]

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class CutMix(Augmentation):
    """Paste a rectangle of image perm[i] into image i (Yun et al., 2019): w ~ Beta(a, a)
    with a drawn from ``factor`` (+1e-6), sides sqrt(1 - w) of the image's at a random
    place; labels mix by the pasted area, 1 - box area / image area. Unbatched images pass
    unchanged, as Keras."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        self.factor = factor_pair(factor, (0, 1), "CutMix")

    def augment_with_labels(self, x, labels, rng):
        n, h, w, _ = x.shape
        if self._unbatched:
            return x, labels
        alpha = rng.uniform(*self.factor) + 1e-6
        ratio = np.sqrt(1.0 - rng.beta(alpha, alpha, n))
        x0 = rng.uniform(0, 1, n) * (w - ratio * w)
        y0 = rng.uniform(0, 1, n) * (h - ratio * h)
        x1, y1 = x0 + ratio * w, y0 + ratio * h
        cols, rows = np.arange(w)[None, None, :], np.arange(h)[None, :, None]
        inside = ((cols >= x0[:, None, None]) & (cols < x1[:, None, None])
                  & (rows >= y0[:, None, None]) & (rows < y1[:, None, None]))
        permutation = rng.permutation(n)
        mixed = np.where(inside[..., None], x[permutation], x)
        weight = 1.0 - (x1 - x0) * (y1 - y0) / (w * h)
        return mixed, _mix_labels(labels, weight, permutation)

    def augment(self, x, rng):
        return self.augment_with_labels(x, None, rng)[0]

    def call(self, inputs, training=None):
        self._unbatched = inputs.ndim == 3
        return super().call(inputs, training)

    def call_on_dict(self, data, training):
        images = data.get("images")
        self._unbatched = images is not None and np.ndim(getattr(images, "data", images)) == 3
        return super().call_on_dict(data, training)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class _Policy(Augmentation):
    """Holds the augmentation layers AugMix and RandAugment choose from."""

    def _make_ops(self, names, value_range, factor, interpolation, seed):
        ranged = {"value_range": tuple(value_range), "seed": seed}
        makers = {
            "random_shear": lambda: RandomShear(factor, factor, interpolation, seed=seed),
            "random_translation": lambda: RandomTranslation(
                factor, factor, interpolation=interpolation, seed=seed),
            "random_rotation": lambda: RandomRotation(factor, interpolation=interpolation,
                                                      seed=seed),
            "random_posterization": lambda: color.RandomPosterization(
                max(1, int(8 * factor[1])), **ranged),
            "solarization": lambda: color.Solarization(factor, factor, **ranged),
            "auto_contrast": lambda: color.AutoContrast(tuple(value_range)),
            "equalization": lambda: color.Equalization(tuple(value_range)),
            "random_brightness": lambda: RandomBrightness(factor, **ranged),
            "random_color_degeneration": lambda: color.RandomColorDegeneration(factor,
                                                                               **ranged),
            "random_contrast": lambda: RandomContrast(factor, **ranged),
            "random_sharpness": lambda: color.RandomSharpness(factor, **ranged),
        }
        return [makers[name]() for name in names]

    @staticmethod
    def run_op(op, x, rng):
        if isinstance(op, Augmentation):
            return op.augment(x, rng)
        # preprocessing.py's layers take channels-last float32 batches
        return np.asarray(op(x.astype(np.float32), training=True).data, dtype=np.float64)


class AugMix(_Policy):
    """x' = clip(m x + (1 - m) sum_i w_i chain_i(x)), w ~ Dirichlet(alpha) over
    ``num_chains`` chains of up to ``chain_depth`` random ops (each slot may be skipped),
    m ~ Beta(alpha, alpha) (Hendrycks et al., 2020)."""

    OPS = ["random_shear", "random_translation", "random_rotation", "random_posterization",
           "solarization", "auto_contrast", "equalization"]
    MORE_OPS = ["random_brightness", "random_color_degeneration", "random_contrast",
                "random_sharpness"]

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3,
                 alpha=1.0, all_ops=True, interpolation="bilinear", seed=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        name = "AugMix"
        self.value_range = value_range
        self.num_chains = check.positive_int(num_chains, "num_chains", name)
        self.chain_depth = check.positive_int(chain_depth, "chain_depth", name)
        self.factor = factor_pair(factor, (0, 1), name)
        self.alpha = check.number(alpha, "alpha", name, low=0, low_open=True)
        self.all_ops = check.boolean(all_ops, "all_ops", name)
        self.interpolation = check.one_of(interpolation, INTERPOLATIONS, "interpolation", name)
        self._names = self.OPS + (self.MORE_OPS if self.all_ops else [])
        self._ops = self._make_ops(self._names, value_range, self.factor, self.interpolation,
                                   seed)

    def augment(self, x, rng):
        weights = rng.gamma(self.alpha, size=self.num_chains)
        weights /= weights.sum()
        keep = rng.beta(self.alpha, self.alpha)
        mixed = np.zeros_like(x)
        for weight in weights:  # a few chains of a few ops, each on the whole batch
            chain = x
            for choice in rng.integers(0, len(self._ops) + 1, self.chain_depth):
                if choice < len(self._ops):  # the extra choice skips this slot
                    chain = self.run_op(self._ops[choice], chain, rng)
            mixed += weight * chain
        return np.clip(keep * x + (1 - keep) * mixed, *sorted(self.value_range))

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": self.factor, "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}


class RandAugment(_Policy):
    """Apply ``num_ops`` ops drawn uniformly (with repetition) from 11 colour and geometry
    layers, each at strength ``factor``, to the whole batch (Cubuk et al., 2020)."""

    OPS = ["random_shear", "random_translation", "random_rotation", "random_brightness",
           "random_color_degeneration", "random_contrast", "random_sharpness",
           "random_posterization", "solarization", "auto_contrast", "equalization"]

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear",
                 seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        name = "RandAugment"
        self.value_range = value_range
        self.num_ops = check.positive_int(num_ops, "num_ops", name)
        self.factor = factor_pair(factor, (0, 1), name)
        self.interpolation = check.one_of(interpolation, INTERPOLATIONS, "interpolation", name)
        self._ops = self._make_ops(self.OPS, value_range, self.factor, self.interpolation, seed)

    def augment(self, x, rng):
        for choice in rng.integers(0, len(self._ops), self.num_ops):
            x = self.run_op(self._ops[choice], x, rng)
        return x

    def get_config(self):
        return {**super().get_config(), "value_range": self.value_range,
                "num_ops": self.num_ops, "factor": self.factor,
                "interpolation": self.interpolation}


class MaxNumBoundingBoxes(Augmentation):
    """Pad (with ``fill_value``) or truncate ``bounding_boxes`` {"boxes": (N, n, 4),
    "labels": (N, n)} to exactly ``max_number`` boxes per image; images pass unchanged."""

    ACTIVE_AT_INFERENCE = True

    def __init__(self, max_number, fill_value=-1, **kwargs):
        super().__init__(**kwargs)
        self.max_number = check.positive_int(max_number, "max_number", "MaxNumBoundingBoxes")
        if not is_number(fill_value):
            raise ValueError(f"MaxNumBoundingBoxes: `fill_value` must be a number. Received: "
                             f"fill_value={fill_value!r}")
        self.fill_value = int(fill_value)

    def augment(self, x, rng):
        return x

    def _fit(self, values, rank):
        values = np.asarray(getattr(values, "data", values), dtype=np.float64)
        if values.ndim != rank:
            raise ValueError(f"MaxNumBoundingBoxes: expected batched bounding boxes (boxes of "
                             f"rank 3, labels of rank 2); received an array of shape "
                             f"{values.shape}")
        values = values[:, :self.max_number]
        pad = [(0, 0), (0, self.max_number - values.shape[1])] + [(0, 0)] * (rank - 2)
        return Tensor._from_op(np.pad(values, pad, constant_values=self.fill_value)
                               .astype(np.float32), None)

    def call_on_dict(self, data, training):
        out = dict(data)
        boxes = data.get("bounding_boxes")
        if not isinstance(boxes, dict) or not {"boxes", "labels"} <= set(boxes):
            raise ValueError("MaxNumBoundingBoxes: expected {'images': ..., 'bounding_boxes': "
                             "{'boxes': ..., 'labels': ...}}. Received keys: "
                             f"{sorted(data)}")
        out["bounding_boxes"] = {**boxes, "boxes": self._fit(boxes["boxes"], 3),
                                 "labels": self._fit(boxes["labels"], 2)}
        return out

    def get_config(self):
        return {**super().get_config(), "max_number": self.max_number,
                "fill_value": self.fill_value}
