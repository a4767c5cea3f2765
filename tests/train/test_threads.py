"""A model used from several threads at once, as a server or a notebook does: threads
predicting and evaluating one model while another thread fits a second model get the
results of serial runs, and nobody's grad mode changes."""

import threading

import numpy as np

import glassnet
from glassnet import keras

RNG = np.random.default_rng(0)
X = RNG.standard_normal((300, 8)).astype(np.float32)
Y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0)


def model(seed):
    keras.utils.set_random_seed(seed)
    # The activity penalty is recomputed by every call: each thread must add its own.
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(
        16, activation="relu", activity_regularizer=keras.regularizers.L2(0.01)),
                          keras.layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def run_threads(targets):
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
        return run

    threads = [threading.Thread(target=guard(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_predict_and_evaluate_in_threads_while_another_model_fits():
    served, trained = model(0), model(1)
    served.fit(X, Y, epochs=1, verbose=0)
    expected_pred = served.predict(X, verbose=0)
    expected_eval = served.evaluate(X, Y, batch_size=64, verbose=0)
    reference = model(1)
    reference.fit(X, Y, epochs=3, batch_size=32, verbose=0, shuffle=False)

    predictions, evaluations = [], []

    def predict():
        for _ in range(5):
            predictions.append(served.predict(X, batch_size=37, verbose=0))

    def evaluate():
        for _ in range(5):
            evaluations.append(served.evaluate(X, Y, batch_size=64, verbose=0))

    def fit():
        trained.fit(X, Y, epochs=3, batch_size=32, verbose=0, shuffle=False)

    run_threads([predict] * 4 + [evaluate] * 4 + [fit])
    assert len(predictions) == 20 and len(evaluations) == 20
    for p in predictions:
        np.testing.assert_allclose(p, expected_pred, rtol=1e-5, atol=1e-7)
    for e in evaluations:
        np.testing.assert_allclose(e, expected_eval, rtol=1e-5)
    for a, b in zip(trained.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert glassnet.is_grad_enabled()
    served.fit(X, Y, epochs=1, verbose=0)  # training still works after the threads


def test_no_grad_in_one_thread_leaves_the_others_alone():
    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with glassnet.no_grad():
            inside.set()
            outside.wait(10)
            seen["holder"] = glassnet.is_grad_enabled()

    def other():
        inside.wait(10)
        w = glassnet.ones(2, requires_grad=True)
        (w * 2).sum().backward()
        seen["other"] = glassnet.is_grad_enabled() and w.grad is not None
        outside.set()

    run_threads([holder, other])
    assert seen == {"holder": False, "other": True}
    assert glassnet.is_grad_enabled()


def test_two_models_fitted_in_two_threads_end_as_serial_fits():
    rng = np.random.default_rng(1)
    # Batches of 256 make the conv's activations large enough to be split over the pool.
    x = rng.random((512, 20, 20, 1)).astype(np.float32)
    y = rng.integers(0, 3, 512)

    def cnn(seed):
        keras.utils.set_random_seed(seed)
        m = keras.Sequential([keras.Input((20, 20, 1)),
                              keras.layers.Conv2D(16, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
        m.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    serial = [cnn(seed) for seed in (1, 2)]
    for m in serial:
        m.fit(x, y, epochs=2, batch_size=256, verbose=0, shuffle=False)
    threaded = [cnn(seed) for seed in (1, 2)]
    run_threads([lambda m=m: m.fit(x, y, epochs=2, batch_size=256, verbose=0, shuffle=False)
                 for m in threaded])
    # Equal up to float32 rounding: a fit alone lends the BLAS its own threads for mid-size
    # products, two fits at once do not (kernels/gemm.py), and the BLAS sums in another order.
    for a, b in zip(threaded, serial):
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-7)
