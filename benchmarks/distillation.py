"""Knowledge distillation on Fashion-MNIST: the tutorial CNN teaches a small MLP.

    python3 benchmarks/distillation.py [--train 60000] [--epochs 5] [--seeds 3] [--quick]
        [--alpha 0.1] [--temperature 3] [--tune TRIALS]

Teacher: Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 -> Flatten ->
Dense 128 relu -> Dense 10 (logits), trained once (seed 0). Student: Flatten -> Dense 32
relu -> Dense 10. For each seed the student is trained from scratch (cross-entropy) and,
from the same initial weights, distilled (alpha 0.1, T 3 unless given, KL divergence, T^2
scaling), with the same epochs, batch 64 and Adam 1e-3. Test accuracy on the 10k test
images: teacher, then mean +- std over seeds for both students. ``--tune TRIALS`` first
chooses alpha and T with ``glassnet.tune.BayesianOptimization`` on 5,000 held-out training
images (never the test images). ``--quick`` is 20k training images, 2 epochs, 2 seeds.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(n_train):
    from glassnet.datasets import fashion_mnist

    (x, y), (x_test, y_test) = fashion_mnist.load_data()
    scale = lambda a: (a[..., None] / 255.0).astype(np.float32)
    return scale(x[:n_train]), y[:n_train].astype(np.int64), scale(x_test), y_test.astype(
        np.int64)


def teacher_model(keras):
    L = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(128, activation="relu"), L.Dense(10)], name="teacher")


def student_model(keras):
    L = keras.layers
    return keras.Sequential([keras.Input((28, 28, 1)), L.Flatten(),
                             L.Dense(32, activation="relu"), L.Dense(10)], name="student")


def accuracy(model, x, y):
    return float((np.argmax(np.asarray(model.predict(x, batch_size=512, verbose=0)), 1)
                  == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--alpha", type=float, default=0.1)
    parser.add_argument("--temperature", type=float, default=3.0)
    parser.add_argument("--tune", type=int, default=0, metavar="TRIALS",
                        help="first choose alpha and temperature by a BayesianOptimization "
                             "of this many trials (glassnet.tune), on the last 5,000 "
                             "training images held out")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.train, args.epochs, args.seeds = 20000, 2, 2

    from glassnet import keras
    from glassnet.compress import Distiller

    x, y, x_test, y_test = load(args.train)
    xent = lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    keras.utils.set_random_seed(0)
    teacher = teacher_model(keras)
    teacher.compile(optimizer=keras.optimizers.Adam(1e-3), loss=xent())
    teacher.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0)
    teacher_acc = accuracy(teacher, x_test, y_test)

    def distiller_for(student, alpha, temperature):
        distiller = Distiller(student=student, teacher=teacher)
        distiller.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=["accuracy"],
                          student_loss_fn=xent(),
                          distillation_loss_fn=keras.losses.KLDivergence(),
                          alpha=alpha, temperature=temperature)
        return distiller

    if args.tune:
        import tempfile

        import glassnet.tune as keras_tuner

        def build(hp):
            return distiller_for(student_model(keras), hp.Float("alpha", 0.05, 0.95),
                                 hp.Float("temperature", 1.0, 10.0, sampling="log"))

        tuner = keras_tuner.BayesianOptimization(
            build, objective="val_accuracy", max_trials=args.tune, seed=0,
            directory=tempfile.mkdtemp(), project_name="distillation")
        tuner.search(x[:-5000], y[:-5000], epochs=args.epochs, batch_size=64, verbose=0,
                     validation_data=(x[-5000:], y[-5000:]))
        best = tuner.get_best_hyperparameters()[0]
        args.alpha, args.temperature = best["alpha"], best["temperature"]
        print(f"tuned on the held-out 5,000 ({args.tune} trials): alpha {args.alpha:.3f}, "
              f"temperature {args.temperature:.2f}", flush=True)

    scratch, distilled = [], []
    for seed in range(args.seeds):
        keras.utils.set_random_seed(100 + seed)
        student = student_model(keras)
        twin = student_model(keras)
        twin.set_weights(student.get_weights())  # same start, so only the loss differs
        student.compile(optimizer=keras.optimizers.Adam(1e-3), loss=xent())
        student.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0)
        scratch.append(accuracy(student, x_test, y_test))
        distiller = distiller_for(twin, args.alpha, args.temperature)
        distiller.fit(x, y, epochs=args.epochs, batch_size=64, verbose=0)
        distilled.append(accuracy(distiller.student, x_test, y_test))
        print(f"seed {seed}: scratch {scratch[-1]:.4f}  distilled {distilled[-1]:.4f}",
              flush=True)

    print(f"\nFashion-MNIST, {args.train} training images, {args.epochs} epochs, "
          f"{args.seeds} seeds, test accuracy on 10000 images")
    print("| model | test accuracy |\n| --- | --- |")
    print(f"| teacher CNN (seed 0) | {teacher_acc:.4f} |")
    for name, values in (("student MLP from scratch", scratch),
                         (f"student MLP distilled (alpha {args.alpha:.3g}, T "
                          f"{args.temperature:.3g})", distilled)):
        print(f"| {name} | {np.mean(values):.4f} +- {np.std(values):.4f} |")


if __name__ == "__main__":
    main()
