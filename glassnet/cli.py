"""The ``glassnet`` command: ``glassnet demo`` trains the classic MLP on the best real data
present and prints its test accuracy; ``glassnet --version``."""

from __future__ import annotations

import argparse
import sys


def demo(epochs=5, seed=0):
    """Flatten -> Dense 128 relu -> Dense 10 softmax, Adam, sparse categorical cross-entropy."""
    from glassnet import keras
    from glassnet.datasets import best_available

    try:
        name, (x_train, y_train), (x_test, y_test) = best_available()
    except OSError as err:
        raise SystemExit(f"glassnet demo: {err}") from None
    print(f"Training the classic MLP on {name}: {len(x_train)} training and {len(x_test)} "
          f"test images of {x_train.shape[1]}x{x_train.shape[2]} pixels")
    keras.utils.set_random_seed(seed)
    x_train, x_test = x_train / 255.0, x_test / 255.0
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=x_train.shape[1:]),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, epochs=epochs, batch_size=32)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
    return accuracy


def main(argv=None):
    from glassnet import __version__

    parser = argparse.ArgumentParser(prog="glassnet", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser("demo", help="train the classic MLP on real data, print accuracy")
    run.add_argument("--epochs", type=int, default=5)
    run.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.epochs, args.seed)
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())

