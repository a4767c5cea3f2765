"""Tune a CNN on Fashion-MNIST with KerasTuner's API on Optuna, then cross-validate the best.

    python examples/tune_fashion_mnist.py                 # Hyperband, then 5-fold CV
    python examples/tune_fashion_mnist.py --tuner bayesian --max-trials 10
    glassnet tune examples/tune_fashion_mnist.py          # the same search from the CLI

The search lives in tuning/fashion_cnn/study.db: stop it at any point (Ctrl-C, kill -9) and
run the command again to continue; start the command on a second machine with
``--storage postgresql://...`` (or the same SQLite file on one machine) and both share it.
Needs ``pip install 'glassnet[tune]'`` and Debian's dataset-fashion-mnist (or internet).
"""

import argparse

import numpy as np

import glassnet.tune as keras_tuner
from glassnet import keras
from glassnet.keras import layers


def build_model(hp):
    model = keras.Sequential([keras.Input((28, 28, 1))])
    for i in range(hp.Int("conv_blocks", 1, 2)):
        model.add(layers.Conv2D(hp.Choice(f"filters_{i}", [16, 32, 64]), 3, activation="relu"))
        model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dense(hp.Int("units", 32, 256, step=32), activation="relu"))
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(0.25))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def data(train_size=12000):
    """The search arguments: training images and labels, and a validation split."""
    (x, y), _ = keras.datasets.fashion_mnist.load_data()
    x = x[:train_size, :, :, None].astype("float32") / 255.0
    return {"x": x, "y": y[:train_size], "validation_split": 0.2, "batch_size": 128,
            "verbose": 0}


# What `glassnet tune examples/tune_fashion_mnist.py` runs.
TUNER = {"tuner": "Hyperband", "objective": "val_accuracy", "directory": "tuning",
         "project_name": "fashion_cnn", "tuner_args": {"max_epochs": 3, "seed": 0}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tuner", choices=["hyperband", "bayesian", "random"],
                        default="hyperband")
    parser.add_argument("--max-trials", type=int, default=None)
    parser.add_argument("--train-size", type=int, default=12000)
    parser.add_argument("--directory", default="tuning")
    parser.add_argument("--storage", default=None, help="an Optuna database URL to share")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)
    common = {"objective": "val_accuracy", "directory": args.directory, "seed": 0,
              "project_name": f"fashion_cnn_{args.tuner}", "storage": args.storage}
    if args.tuner == "hyperband":
        tuner = keras_tuner.Hyperband(build_model, max_epochs=3, max_trials=args.max_trials,
                                      **common)
    elif args.tuner == "bayesian":
        tuner = keras_tuner.BayesianOptimization(build_model, max_trials=args.max_trials or 10,
                                                 **common)
    else:
        tuner = keras_tuner.RandomSearch(build_model, max_trials=args.max_trials or 10,
                                         **common)
    search = data(args.train_size)
    tuner.search(search.pop("x"), search.pop("y"), epochs=3, **search)
    tuner.results_summary(3)
    best = tuner.get_best_hyperparameters(1)[0]
    x, y = data(args.train_size)["x"], data(args.train_size)["y"]
    result = keras_tuner.cross_validate(lambda: build_model(best), x, y, n_splits=args.folds,
                                        epochs=3, batch_size=128, seed=0)
    print(f"\nBest hyperparameters: {best.values}")
    print(f"{args.folds}-fold cross-validation of the best:\n{result.summary()}")
    return {"best": best.values, "cv_mean": result.mean, "cv_std": result.std,
            "trials": len(tuner.oracle.trials), "scores": np.asarray(
                result.scores["accuracy"]).tolist()}


if __name__ == "__main__":
    main()
