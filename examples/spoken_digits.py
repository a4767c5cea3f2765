"""Spoken-digit recognition, Keras style: a 1-D convolutional network over log-mel spectrograms,
scored on voices it never heard.

    python3 examples/spoken_digits.py                     # the default data set, 1-2 min
    python3 examples/spoken_digits.py --quick --epochs 4  # half the voices, a quick look

The digits 0-9 are synthesised by espeak-ng (``apt-get install espeak-ng``) in several English
accents and voice variants, speeds and pitches, clean and with noise, and turned into log-mel
spectrograms of shape (time, mel bands) by ``glassnet.datasets.spoken_digits`` (built once,
then read from its cache). The test set holds every voice of two variants the network never
trains on, so its accuracy measures generalisation to new voices. Each mel band is standardised
with the training set's mean and deviation, as a Normalization layer adapted on it would.
"""

import argparse
import time

import numpy as np

from glassnet import keras
from glassnet.datasets import spoken_digits
from glassnet.keras import layers

QUICK = {"languages": ("en-us", "en-gb", "en-gb-scotland", "en-029")}


def conv1d_model(frames, n_mels, filters=64, dropout=0.3):
    """Three Conv1D blocks over time (mel bands as channels), averaged over time, then a
    softmax over the ten digits."""
    return keras.Sequential([
        keras.Input((frames, n_mels)),
        layers.Conv1D(filters, 5, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(filters, 5, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(2 * filters, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(dropout),
        layers.Dense(10, activation="softmax"),
    ], name="spoken_digits_conv1d")


def standardise(x_train, x_test):
    """Each mel band to zero mean and unit variance over the training set's frames."""
    mean = x_train.mean(axis=(0, 1))
    std = x_train.std(axis=(0, 1)) + 1e-6
    return (x_train - mean) / std, (x_test - mean) / std


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0,
                        help="initial weights and shuffling (the data set stays the same)")
    parser.add_argument("--quick", action="store_true",
                        help="four accents instead of eight (half the data)")
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(args.seed)

    start = time.perf_counter()
    settings = QUICK if args.quick else {}
    (x_train, y_train), (x_test, y_test) = spoken_digits.load_data(**settings)
    loaded = time.perf_counter() - start
    print(f"{len(x_train)} training and {len(x_test)} test spectrograms of shape "
          f"{x_train.shape[1:]}, test voices: variants {spoken_digits.TEST_VARIANTS} "
          f"({loaded:.1f} s to build or load)")
    x_train, x_test = standardise(x_train, x_test)

    model = conv1d_model(*x_train.shape[1:])
    model.summary()
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=2)
    trained = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"held-out voices: test accuracy {accuracy:.4f} (chance 0.1), "
          f"{trained:.1f} s of training")
    return {"accuracy": float(accuracy), "train_size": len(x_train), "test_size": len(x_test),
            "chance": float(np.mean(y_test == np.bincount(y_test).argmax())),
            "load_seconds": loaded, "train_seconds": trained}


if __name__ == "__main__":
    main()
