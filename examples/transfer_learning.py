"""Transfer learning, Keras style: features learned on MNIST digits reused for Fashion-MNIST.

    python3 examples/transfer_learning.py            # full run, a few minutes on a laptop
    python3 examples/transfer_learning.py --limit 2000 --epochs 1   # a quick look

1. Train a small CNN on MNIST and save it (``mnist_cnn.keras``).
2. Load it, keep everything up to its Flatten as a frozen feature extractor
   (``base.trainable = False``: no gradients, no optimizer state, BatchNormalization in
   inference mode) and put a new classification head on top for Fashion-MNIST.
   The base is called with ``training=False``, as in Keras's guide, so that its
   BatchNormalization stays in inference mode in step 3 as well.
3. Unfreeze the base and fine-tune everything with a 100x lower learning rate.

MNIST comes from ``glassnet.datasets.mnist`` (its cache, or a download when online);
Fashion-MNIST from the cache or Debian's ``dataset-fashion-mnist``.
"""

import argparse
import os
import tempfile

import numpy as np

from glassnet import keras
from glassnet.datasets import fashion_mnist, mnist
from glassnet.keras import layers


def images(x):
    """uint8 (N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]."""
    return (x[..., None] / 255.0).astype("float32")


def mnist_cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(name="features"),
        layers.Dropout(0.25),
        layers.Dense(10, activation="softmax", name="digit"),
    ], name="mnist_cnn")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs for each stage")
    parser.add_argument("--limit", type=int, default=None,
                        help="use at most this many training images of each data set")
    parser.add_argument("--out", default=None, help="folder for mnist_cnn.keras")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)
    limit = slice(args.limit)

    # 1. The source task: digits.
    (x_digits, y_digits), (x_digits_test, y_digits_test) = mnist.load_data()
    source = mnist_cnn()
    source.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                   metrics=["accuracy"])
    source.fit(images(x_digits[limit]), y_digits[limit], epochs=args.epochs, batch_size=64,
               verbose=2)
    _, digit_accuracy = source.evaluate(images(x_digits_test), y_digits_test, verbose=0)
    print(f"MNIST CNN: test accuracy {digit_accuracy:.4f}")
    out = args.out or tempfile.mkdtemp(prefix="glassnet-transfer-")
    path = os.path.join(out, "mnist_cnn.keras")
    source.save(path)

    # 2. The target task: clothes, on the digit features, base frozen.
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train, y_train = images(x_train[limit]), y_train[limit]
    x_test = images(x_test)
    loaded = keras.models.load_model(path)
    base = keras.Model(loaded.input, loaded.get_layer("features").output, name="mnist_base")
    base.trainable = False
    inputs = keras.Input((28, 28, 1))
    # training=False: the base's BatchNormalization keeps its inference mode even after
    # the base is unfrozen for fine-tuning, so the head keeps seeing the features it learned.
    features = base(inputs, training=False)
    hidden = layers.Dropout(0.3)(layers.Dense(128, activation="relu")(features))
    outputs = layers.Dense(10, activation="softmax", name="clothing")(hidden)
    model = keras.Model(inputs, outputs, name="fashion_on_digit_features")
    model.summary()
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, verbose=2)
    _, frozen_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Fashion-MNIST, new head on frozen MNIST features: test accuracy "
          f"{frozen_accuracy:.4f}")

    # 3. Fine-tune: everything trainable, a much lower learning rate, recompiled (as Keras
    # asks after changing `trainable`), so the learned features move only a little.
    base.trainable = True
    model.compile(keras.optimizers.Adam(1e-5), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, verbose=2)
    _, tuned_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Fashion-MNIST after fine-tuning the whole network: test accuracy "
          f"{tuned_accuracy:.4f}")
    return {"mnist": digit_accuracy, "frozen": frozen_accuracy, "fine_tuned": tuned_accuracy,
            "chance": float(np.mean(y_test == np.bincount(y_test).argmax()))}


if __name__ == "__main__":
    main()
