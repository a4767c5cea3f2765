"""Cost of on-the-fly augmentation beside the training step it feeds.

    python3 benchmarks/augmentation.py

Augments batches of 32 Fashion-MNIST images (28x28x1) with rotation + shift + flip + zoom
(ImageDataGenerator, and the equivalent preprocessing layers), in ms per batch, next to one
training step of the tutorial CNN at batch 32.
"""

from __future__ import annotations

import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from cnn_training import glassnet_cnn  # noqa: E402
from mlp_training import fashion_mnist  # noqa: E402

from glassnet import keras  # noqa: E402


def per_call_ms(fn, repeats=30):
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1e3


def main():
    x, y = fashion_mnist()
    batch, labels = x[:32, :, :, None], y[:32]
    gen = keras.preprocessing.image.ImageDataGenerator(
        rotation_range=15, width_shift_range=0.1, height_shift_range=0.1, horizontal_flip=True,
        zoom_range=0.1)
    flow = gen.flow(x[:3200, :, :, None], y[:3200], batch_size=32, seed=0)
    L = keras.layers
    aug = keras.Sequential([keras.Input(shape=(28, 28, 1)), L.RandomRotation(15 / 360),
                            L.RandomTranslation(0.1, 0.1), L.RandomFlip("horizontal"),
                            L.RandomZoom(0.1)])
    model = glassnet_cnn()
    model.train_on_batch(batch, labels)
    step = per_call_ms(lambda: model.train_on_batch(batch, labels))
    rows = [("ImageDataGenerator.random_transform (batch)", per_call_ms(
                lambda: gen.random_transform(batch))),
            ("ImageDataGenerator.flow, one batch", per_call_ms(lambda: flow[5])),
            ("preprocessing layers (training=True)", per_call_ms(
                lambda: aug(batch, training=True))),
            ("CNN training step (train_on_batch)", step)]
    print("batch of 32 images 28x28x1, rotation + shift + flip + zoom")
    for name, ms in rows:
        print(f"  {name:46} {ms:7.2f} ms   ({ms / step:4.2f}x the training step)")


if __name__ == "__main__":
    main()
