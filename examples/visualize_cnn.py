"""Look inside a small CNN trained on MNIST: every picture glassnet.viz draws, written as
PNG files (and the model's diagram as Mermaid).

    python3 examples/visualize_cnn.py                     # MNIST through keras.datasets
    python3 examples/visualize_cnn.py --data mnist10k.npz --limit 2000 --out pictures

Pictures: the training history, the first convolution's activations and filters, each
weight's histogram beside its gradient on one batch, the confusion matrix on held-out
digits, integrated-gradients attributions over a digit, and the model's diagram (Mermaid,
and PNG where Graphviz is installed).
"""

import argparse
import os

import numpy as np

import glassnet
from glassnet import keras, viz
from glassnet.explain import IntegratedGradients
from glassnet.keras import layers


def digits(data, limit):
    """(x, y): float32 (N, 28, 28, 1) in [0, 1] and labels, from an .npz of x and y (the
    10k sample) or from keras.datasets.mnist."""
    if data:
        with np.load(data, allow_pickle=False) as f:
            x, y = f["x"], f["y"]
    else:
        (x, y), _ = keras.datasets.mnist.load_data()
    return (x[:limit, ..., None] / 255.0).astype("float32"), y[:limit].astype("int64")


def seed_cnn():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(16, 3, activation="relu", name="conv1"), layers.MaxPooling2D(),
        layers.Conv2D(32, 3, activation="relu", name="conv2"), layers.MaxPooling2D(),
        layers.Flatten(), layers.Dense(10, activation="softmax", name="classes")])


def batch_gradients(model, x, y):
    """The gradient of the loss on one batch for each weight, in ``model.weights`` order."""
    loss = model.compute_loss(x, y, model(x, training=False), training=False)
    loss.backward()
    grads = [None if w.grad is None else np.array(w.grad) for w in model.weights]
    model.zero_grad()
    return grads


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="an .npz of x (N, 28, 28) and y")
    parser.add_argument("--limit", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", default="pictures")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    out = lambda name: os.path.join(args.out, name)  # noqa: E731

    keras.utils.set_random_seed(0)
    x, y = digits(args.data, args.limit)
    split = int(0.8 * len(x))
    model = seed_cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:split], y[:split], epochs=args.epochs, validation_split=0.1,
                        batch_size=64, verbose=0)
    accuracy = model.evaluate(x[split:], y[split:], verbose=0, return_dict=True)["accuracy"]

    viz.plot_history(history, out("history.png"))
    viz.plot_activations(model, x[:1], "conv1", out("activations_conv1.png"))
    viz.plot_filters(model.get_layer("conv1"), out("filters_conv1.png"))
    viz.plot_weight_histograms(model, out("weights.png"),
                               gradients=batch_gradients(model, x[:64], y[:64]))
    viz.plot_confusion_matrix(y[split:], model.predict(x[split:], verbose=0),
                              out("confusion.png"))
    digit = x[split:split + 1]
    target = int(model.predict(digit, verbose=0).argmax())
    attribution = IntegratedGradients(model).attribute(digit, target=target, n_steps=32)
    viz.plot_attribution(digit[0], attribution[0], out("attribution.png"))
    viz.plot_model(model, out("model.mmd"), show_shapes=True)
    try:  # the same diagram drawn by Graphviz, where it is installed
        viz.plot_model(model, out("model.png"), show_shapes=True)
    except ImportError as missing:
        print(f"model.png not drawn: {missing}")
    pictures = sorted(os.listdir(args.out))
    print(f"test accuracy {accuracy:.3f}; wrote {', '.join(pictures)} to {args.out}")
    return {"accuracy": accuracy, "pictures": pictures}


if __name__ == "__main__":
    glassnet.seed(0)
    main()
