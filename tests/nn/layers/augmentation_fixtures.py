"""Shared by the augmentation tests: the fixed input of fixtures/make_augmentation_reference.py
and Keras 3.15's recorded outputs on it."""

import json
import os

import numpy as np

IMAGES = ((np.arange(2 * 5 * 6 * 3).reshape(2, 5, 6, 3) * 37) % 256).astype("float32")
SIGNAL = np.sin(np.linspace(0, 60, 800)).astype("float32") + \
    0.3 * np.cos(np.linspace(0, 337, 800)).astype("float32")

with open(os.path.join(os.path.dirname(__file__), "fixtures",
                       "augmentation_reference.json")) as _f:
    KERAS = {k: np.asarray(v) for k, v in json.load(_f).items()}
