"""Every image augmentation and spectrogram layer through the conformance helper: shapes
(with an unknown batch), parameter counts, the config round trip, and with a seed the same
draws from two layers made alike. They run on data, not inside the
gradient path, so finite differences are not checked (STFTSpectrogram's kernels are, in
test_spectrogram_layers.py)."""

import numpy as np
import pytest
from helpers import check_layer

from glassnet import keras

L = keras.layers
IMAGE = (2, 8, 8, 3)
AUGMENTATIONS = [
    lambda: L.RandomGrayscale(factor=1.0, seed=1), lambda: L.RandomInvert(seed=1),
    lambda: L.Solarization(0.2, 0.3, seed=1), lambda: L.RandomPosterization(4, seed=1),
    lambda: L.AutoContrast(), lambda: L.Equalization(),
    lambda: L.RandomHue(0.3, seed=1), lambda: L.RandomSaturation(0.4, seed=1),
    lambda: L.RandomColorDegeneration(0.5, seed=1), lambda: L.RandomSharpness(0.5, seed=1),
    lambda: L.RandomColorJitter(brightness_factor=0.2, contrast_factor=0.2, seed=1),
    lambda: L.RandomShear(0.2, 0.2, seed=1), lambda: L.RandomPerspective(seed=1),
    lambda: L.RandomElasticTransform(seed=1), lambda: L.RandomErasing(seed=1),
    lambda: L.RandomGaussianBlur(seed=1), lambda: L.AugMix(seed=1), lambda: L.RandAugment(seed=1),
    lambda: L.RandomFlip(seed=1), lambda: L.RandomRotation(0.2, seed=1),
    lambda: L.RandomTranslation(0.2, 0.2, seed=1), lambda: L.RandomZoom(0.2, seed=1),
    lambda: L.RandomContrast(0.3, seed=1), lambda: L.RandomBrightness(0.2, seed=1),
]


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("make", AUGMENTATIONS,
                         ids=lambda make: type(make()).__name__)
def test_image_augmentations_conform(make, training):
    check_layer(make, IMAGE, expected_output_shape=IMAGE, expected_params=0, gradcheck=False,
                training=training, low=0.0, high=255.0)
    x = np.random.default_rng(0).uniform(0, 255, IMAGE).astype("float32")
    np.testing.assert_array_equal(make()(x, training=training).numpy(),
                                  make()(x, training=training).numpy())


def test_mel_spectrogram_conforms():
    check_layer(lambda: L.MelSpectrogram(fft_length=64, sequence_stride=16, num_mel_bins=8),
                (2, 256), gradcheck=False, expected_params=0)
