"""A program written the way Captum's and tf.keras's users write one, run in a fresh
interpreter with only the import changed: train a small image model, explain a prediction
with each family of methods, check the deletion curve and draw the model."""

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import numpy as np
    import glassnet as tf
    from glassnet.explain import (GuidedGradCam, IntegratedGradients, NoiseTunnel, Occlusion,
                                  Saliency, deletion_curve)

    rng = np.random.default_rng(0)
    x = rng.random((256, 12, 12, 1)).astype("float32")
    y = (x[:, :6].mean(axis=(1, 2, 3)) > x[:, 6:].mean(axis=(1, 2, 3))).astype("int64")
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([
        tf.keras.layers.Input((12, 12, 1)),
        tf.keras.layers.Conv2D(4, 3, activation="relu", name="conv"),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    acc = model.evaluate(x, y, verbose=0)[1]

    sample, label = x[:8], y[:8]
    ig, delta = IntegratedGradients(model).attribute(sample, target=label, n_steps=256,
                                                     return_convergence_delta=True)
    smooth = NoiseTunnel(Saliency(model)).attribute(sample, nt_type="smoothgrad_sq",
                                                    nt_samples=4, target=label, seed=0)
    occ = Occlusion(model).attribute(sample, sliding_window_shapes=(3, 3, 1),
                                     strides=(3, 3, 1), target=label)
    ggc = GuidedGradCam(model, "conv").attribute(sample, target=label)
    top = deletion_curve(model, sample, ig, target=label, fractions=[0, 0.2])
    rand = deletion_curve(model, sample, ig, target=label, fractions=[0, 0.2], order="random")
    shapes = {a.shape for a in (ig, smooth, occ, ggc)}
    print(f"{acc:.2f} {np.abs(delta).max():.1e} {len(shapes)} "
          f"{(top[0] - top[1]).mean() > (rand[0] - rand[1]).mean()}")
    print(tf.keras.utils.plot_model(model).splitlines()[0])
""")


def test_a_users_explanation_program_runs_in_a_fresh_interpreter():
    result = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    accuracy, delta, shapes, deletion_beats_random = result.stdout.split("\n")[0].split()
    assert float(accuracy) > 0.8
    assert float(delta) < 1e-2   # completeness (ReLU kinks make it converge as 1/n_steps)
    assert shapes == "1"                 # every method's map is shaped like the input
    assert deletion_beats_random == "True"
    assert result.stdout.split("\n")[1] == "flowchart TB"
