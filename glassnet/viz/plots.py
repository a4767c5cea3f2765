"""Pictures of a model and its training, drawn with matplotlib (the ``[viz]`` extra). Each
function returns the matplotlib Figure and, given ``path``, writes it there as a PNG.

- ``plot_history(history)``: loss and metrics per epoch, training beside validation.
- ``plot_activations(model, x, layer)``: what one layer outputs for one input (its channels
  as images for a convolution, its units as bars for a dense layer).
- ``plot_filters(layer)``: a convolution's kernels as a grid of images.
- ``plot_weight_histograms(model, gradients=None)``: each weight's values (and gradients).
- ``plot_confusion_matrix(y_true, y_pred)``: counts per (true, predicted) class.
- ``plot_attribution(image, attribution)``: an attribution map over its image.
"""

from __future__ import annotations

import math

import numpy as np


def pyplot():
    """matplotlib.pyplot on the Agg backend (files, no screen), or one line naming the
    extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise ImportError("glassnet.viz's plots need matplotlib: pip install 'glassnet[viz]'"
                          ) from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, path):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, format="png", dpi=100)
    return fig


def _grid(n):
    cols = math.ceil(math.sqrt(n))
    return math.ceil(n / cols), cols


def plot_history(history, path=None, metrics=None):
    """Each metric of ``history`` (a ``History`` from ``fit`` or its ``.history`` dict) per
    epoch, its ``val_`` twin on the same axes."""
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history: expected the History fit returns (or its .history "
                         f"dict) with at least one metric; received {history!r}")
    names = metrics or [k for k in logs if not k.startswith("val_")]
    missing = [n for n in names if n not in logs]
    if missing:
        raise ValueError(f"plot_history: no metric {missing[0]!r} in the history; it has "
                         f"{sorted(logs)}")
    plt = pyplot()
    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        epochs = np.arange(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], marker="o", label="training")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], marker="o", label="validation")
        ax.set(title=name, xlabel="epoch")
        ax.set_xticks(epochs if len(epochs) <= 12 else epochs[::max(1, len(epochs) // 10)])
        ax.legend()
    return _finish(fig, path)


def _layer_output(model, x, layer):
    from glassnet.train import Model

    target = model.get_layer(layer) if isinstance(layer, str) else layer
    probe = Model(model.inputs if len(model.inputs) > 1 else model.inputs[0], target.output)
    return target, np.asarray(probe.predict(x, verbose=0))


def plot_activations(model, x, layer, path=None, max_channels=16):
    """The output of ``layer`` (a name or a layer of ``model``) for the one input ``x``
    (a batch of one): channels of an image-shaped output as images, else units as bars."""
    x = np.asarray(x)
    if x.shape[0] != 1:
        raise ValueError(f"plot_activations: expected one input (a batch of 1); received a "
                         f"batch of {x.shape[0]}")
    target, out = _layer_output(model, x, layer)
    plt = pyplot()
    if out.ndim == 4:  # (1, H, W, C)
        n = min(out.shape[-1], max_channels)
        rows, cols = _grid(n)
        fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2 * rows), squeeze=False)
        for i, ax in enumerate(axes.flat):
            ax.axis("off")
            if i < n:
                ax.imshow(out[0, :, :, i], cmap="viridis")
                ax.set_title(f"channel {i}", fontsize=8)
        fig.suptitle(f"{target.name}: {out.shape[-1]} channels")
    else:
        values = out.reshape(-1)
        fig, ax = plt.subplots(figsize=(max(4, len(values) * 0.15), 3))
        ax.bar(np.arange(len(values)), values)
        ax.set(title=f"{target.name}: {len(values)} units", xlabel="unit")
    return _finish(fig, path)


def plot_filters(layer, path=None, max_filters=32):
    """A convolution's kernels (kh, kw, in, out) as images: one per output filter, its
    first input channel (or RGB when the input has 3 channels), scaled to [0, 1]."""
    kernel = getattr(layer, "kernel", None)
    if kernel is None or np.ndim(kernel.numpy()) != 4:
        raise ValueError(f"plot_filters: expected a 2-D convolution layer with a (kh, kw, in, "
                         f"out) kernel; received {type(layer).__name__}")
    w = kernel.numpy()
    n = min(w.shape[-1], max_filters)
    rows, cols = _grid(n)
    plt = pyplot()
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.6 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            f = w[:, :, :3, i] if w.shape[2] == 3 else w[:, :, 0, i]
            span = f.max() - f.min()
            ax.imshow((f - f.min()) / span if span else f * 0, cmap=None if f.ndim == 3
                      else "gray", interpolation="nearest")
    fig.suptitle(f"{layer.name}: {w.shape[-1]} filters")
    return _finish(fig, path)


def plot_weight_histograms(model, path=None, gradients=None, bins=30):
    """A histogram of each weight's values; with ``gradients`` ({"layer/weight" label or
    index: array} or a list in ``model.weights`` order) their histograms beside."""
    weights = model.weights
    if not weights:
        raise ValueError("plot_weight_histograms: the model has no weights yet (build it)")
    grads = gradients if gradients is None or isinstance(gradients, dict) else \
        dict(enumerate(gradients))
    cols = 2 if grads else 1
    plt = pyplot()
    fig, axes = plt.subplots(len(weights), cols, figsize=(4 * cols, 1.8 * len(weights)),
                             squeeze=False)
    owners = {}  # each weight labelled by its layer, as Keras's paths: "conv1/kernel"
    for layer in getattr(model, "layers", []):
        for w in layer.weights:
            owners.setdefault(id(w), f"{layer.name}/{w.name}")
    for i, w in enumerate(weights):
        label = owners.get(id(w), w.name)
        axes[i, 0].hist(w.numpy().ravel(), bins=bins)
        axes[i, 0].set_title(f"{label} {tuple(w.shape)}", fontsize=8)
        if grads:
            g = grads.get(i, grads.get(label))
            if g is not None:
                axes[i, 1].hist(np.asarray(g).ravel(), bins=bins, color="tab:orange")
                axes[i, 1].set_title(f"gradient of {label}", fontsize=8)
    return _finish(fig, path)


def plot_confusion_matrix(y_true, y_pred, path=None, class_names=None, normalize=False):
    """Counts of (true class, predicted class): ``y_pred`` class ids, or scores (argmax)."""
    y_true = np.asarray(y_true).reshape(-1).astype(int)
    y_pred = np.asarray(y_pred)
    y_pred = y_pred.argmax(-1) if y_pred.ndim == 2 else y_pred.reshape(-1).astype(int)
    if len(y_true) != len(y_pred):
        raise ValueError(f"plot_confusion_matrix: {len(y_true)} labels but {len(y_pred)} "
                         f"predictions")
    n = int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    counts = np.zeros((n, n))
    np.add.at(counts, (y_true, y_pred), 1)
    if normalize:
        counts = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    names = list(class_names) if class_names is not None else [str(i) for i in range(n)]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(1 + 0.5 * n, 1 + 0.5 * n))
    ax.imshow(counts, cmap="Blues")
    ax.set(xticks=range(n), yticks=range(n), xticklabels=names[:n], yticklabels=names[:n],
           xlabel="predicted", ylabel="true")
    for (i, j), v in np.ndenumerate(counts):
        ax.text(j, i, f"{v:.2f}" if normalize else f"{int(v)}", ha="center", va="center",
                fontsize=7)
    return _finish(fig, path)


def plot_attribution(image, attribution, path=None, alpha=0.5, cmap="jet"):
    """An attribution map (same height and width as ``image``; channels summed) over the
    image, beside the image."""
    image, attribution = np.asarray(image, float), np.asarray(attribution, float)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    heat = np.abs(attribution).sum(-1) if attribution.ndim == 3 else np.abs(attribution)
    if heat.shape != image.shape[:2]:
        raise ValueError(f"plot_attribution: the attribution's height and width "
                         f"{heat.shape} differ from the image's {image.shape[:2]}")
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    for ax in axes:
        ax.axis("off")
        ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
    axes[1].imshow(heat, cmap=cmap, alpha=alpha)
    axes[0].set_title("input")
    axes[1].set_title("attribution")
    return _finish(fig, path)
