"""How good each attribution method is on a trained MNIST CNN: Adebayo et al.'s sanity checks,
the deletion test, integrated gradients' completeness, and the time each method takes.

    python3 benchmarks/explain_quality.py [--data ../shared/datasets/mnist10k.npz]
                                          [--samples 100] [--sanity-samples 16] [--json PATH]

Model: the seed CNN of examples/visualize_cnn.py (Conv2D 16 relu -> pool -> Conv2D 32 relu ->
pool -> Dense 10 softmax), trained 2 epochs on 8,000 digits of the 10k sample; explained on
held-out digits, target = the predicted class. Sanity: Spearman rho of the attributions with
the trained model's, ranked by |value| and by signed value, after every layer is
re-initialised (cascading), the range over one layer at a time (independent), and for the same
network trained as long on shuffled labels; a method passes when both the cascading and the
label rho fall below 0.5. Deletion: the mean drop of the class probability
when the top 10% of pixels (by signed attribution) are set to 0, against a random 10%.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "examples"))
from visualize_cnn import digits, seed_cnn  # noqa: E402

from glassnet import explain as ex  # noqa: E402
from glassnet import keras  # noqa: E402


def methods(n_steps):
    """(name, model -> explainer, attribute kwargs): each method as its users would call it."""
    return [
        ("Saliency", ex.Saliency, {"abs": False}),   # signed; the |.| metric takes |grad|
        ("InputXGradient", ex.InputXGradient, {}),
        ("IntegratedGradients", ex.IntegratedGradients, {"n_steps": n_steps}),
        ("SmoothGrad", lambda m: ex.NoiseTunnel(ex.Saliency(m)),
         {"nt_type": "smoothgrad", "nt_samples": 10, "stdevs": 0.15, "abs": False}),
        ("GradientShap", ex.GradientShap, {"baselines": np.zeros((4, 28, 28, 1), "float32"),
                                           "n_samples": 10}),
        ("Occlusion", ex.Occlusion, {"sliding_window_shapes": (4, 4, 1), "strides": (2, 2, 1)}),
        ("GradCAM", lambda m: ex.GradCAM(m, "conv2"), {}),
        ("GuidedBackprop", ex.GuidedBackprop, {}),
        ("Deconvolution", ex.Deconvolution, {}),
        ("GuidedGradCam", lambda m: ex.GuidedGradCam(m, "conv2"), {}),
    ]


def completeness(model, x, target, n_steps):
    """Integrated gradients' |sum of attributions - (f(x) - f(0))| / |f(x) - f(0)|, mean over
    samples, per integration rule."""
    out = {}
    for method in ("gausslegendre", "riemann_trapezoid"):
        _, delta = ex.IntegratedGradients(model).attribute(
            x, target=target, n_steps=n_steps, method=method, return_convergence_delta=True)
        f_x = model.predict(x, verbose=0)[np.arange(len(x)), target]
        f_0 = model.predict(np.zeros_like(x), verbose=0)[np.arange(len(x)), target]
        out[method] = float(np.mean(np.abs(delta) / np.maximum(np.abs(f_x - f_0), 1e-12)))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_data = os.path.join(os.path.dirname(ROOT), "shared", "datasets", "mnist10k.npz")
    parser.add_argument("--data", default=default_data if os.path.exists(default_data) else None)
    parser.add_argument("--samples", type=int, default=100, help="digits for the deletion test")
    parser.add_argument("--sanity-samples", type=int, default=16)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    x, y = digits(args.data, 10000)
    x_train, y_train, x_test = x[:8000], y[:8000], x[8000:]
    model = seed_cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=2, batch_size=64, verbose=0)
    accuracy = model.evaluate(x_test, y[8000:], verbose=0, return_dict=True)["accuracy"]
    print(f"seed CNN: held-out accuracy {accuracy:.4f} on {len(x_test)} digits")

    xs = x_test[:args.samples]
    predicted = model.predict(xs, verbose=0).argmax(axis=1)
    x_sanity, y_sanity = x_test[:args.sanity_samples], predicted[:args.sanity_samples]
    # label randomisation: the same network trained as long on the digits, labels shuffled
    shuffled = keras.models.clone_model(model)
    shuffled.compile("adam", "sparse_categorical_crossentropy")
    shuffled.fit(x_train, np.random.default_rng(0).permutation(y_train), epochs=2,
                 batch_size=64, verbose=0)
    rows = []
    for name, make, kwargs in methods(32):
        start = time.perf_counter()
        attribution = make(model).attribute(xs, target=predicted, **kwargs)
        seconds = time.perf_counter() - start
        top, rand = (ex.deletion_curve(model, xs, attribution, target=predicted,
                                       fractions=[0.0, 0.1], order=order)
                     for order in ("top", "random"))
        row = {"method": name, "seconds_per_100": seconds * 100 / len(xs),
               "drop_top10": float(np.mean(top[0] - top[1])),
               "drop_random10": float(np.mean(rand[0] - rand[1]))}
        mine = np.asarray(make(model).attribute(x_sanity, target=y_sanity, **kwargs))
        theirs = np.asarray(make(shuffled).attribute(x_sanity, target=y_sanity, **kwargs))
        for metric, absolute in (("abs", True), ("signed", False)):
            report = ex.sanity_check(make, model, x_sanity, target=y_sanity,
                                     absolute=absolute, **kwargs)
            independent = [r for _, r in report.independent]
            row[metric] = {"cascading_rho": report.cascading[-1][1],
                           "independent_rho": [min(independent), max(independent)],
                           "label_rho": ex.spearman(mine, theirs, absolute)}
            row[metric]["passes"] = bool(abs(row[metric]["cascading_rho"]) < 0.5
                                         and abs(row[metric]["label_rho"]) < 0.5)
        rows.append(row)
        print(_line(rows[-1]), flush=True)
    deltas = completeness(model, xs[:20], predicted[:20], 50)
    print("integrated gradients' completeness at 50 steps (relative): "
          + ", ".join(f"{k} {v:.1e}" for k, v in deltas.items()))
    print()
    print(markdown(rows))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"accuracy": accuracy, "methods": rows, "completeness": deltas}, f,
                      indent=1)
    return {"accuracy": accuracy, "methods": rows, "completeness": deltas}


def _line(row):
    parts = [f"{row['method']:<20}"]
    for metric in ("abs", "signed"):
        r = row[metric]
        lo, hi = r["independent_rho"]
        parts.append(f"{metric}: cascading {r['cascading_rho']:+.2f} independent "
                     f"[{lo:+.2f}, {hi:+.2f}] labels {r['label_rho']:+.2f} "
                     f"{'pass' if r['passes'] else 'FAIL'}")
    parts.append(f"deletion top-10% {row['drop_top10']:.3f} random-10% "
                 f"{row['drop_random10']:.3f}  {row['seconds_per_100']:.2f} s/100")
    return "  ".join(parts)


def markdown(rows):
    lines = ["| method | cascading rho, abs / signed | independent rho, abs | "
             "shuffled-label rho, abs / signed | sanity, abs / signed | "
             "p drop, top 10% | p drop, random 10% | s per 100 digits |",
             "|---|---|---|---|---|---|---|---|"]
    verdict = {True: "passes", False: "fails"}
    for r in rows:
        a, s = r["abs"], r["signed"]
        lo, hi = a["independent_rho"]
        lines.append(f"| {r['method']} | {a['cascading_rho']:.2f} / {s['cascading_rho']:.2f} | "
                     f"{lo:.2f} to {hi:.2f} | {a['label_rho']:.2f} / {s['label_rho']:.2f} | "
                     f"{verdict[a['passes']]} / {verdict[s['passes']]} | "
                     f"{r['drop_top10']:.3f} | {r['drop_random10']:.3f} | "
                     f"{r['seconds_per_100']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
