import io
from contextlib import redirect_stdout

import numpy as np
import pytest

import glassnet as gn
from glassnet import keras
from glassnet.keras import layers

RNG = np.random.default_rng(0)
X = RNG.random((96, 6)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 1).astype(np.int64)


def mlp(n_out=2, activation="softmax", seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([layers.Dense(16, activation="relu", input_shape=(6,)),
                             layers.Dense(n_out, activation=activation)])


def test_sequential_add_pop_summary_layers_and_weights():
    model = keras.Sequential()
    model.add(keras.Input(shape=(6,)))
    model.add(layers.Dense(4, name="hidden"))
    model.add(layers.Dense(2, name="out"))
    assert model.built and [layer.name for layer in model.layers] == ["hidden", "out"]
    assert model.get_layer("out") is model.layers[1] and model.get_layer(index=0).name == "hidden"
    assert model.count_params() == 6 * 4 + 4 + 4 * 2 + 2
    out = io.StringIO()
    with redirect_stdout(out):
        model.summary()
    text = out.getvalue()
    for expected in ("hidden (Dense)", "(None, 4)", "out (Dense)", "(None, 2)",
                     "Total params: 38 (152.00 B)", "Trainable params: 38",
                     "Non-trainable params: 0"):
        assert expected in text
    weights = model.get_weights()
    model.set_weights([w * 0 for w in weights])
    assert all((w == 0).all() for w in model.get_weights())
    model.pop()
    assert [layer.name for layer in model.layers] == ["hidden"]
    with pytest.raises(ValueError, match=r"No such layer: 'nope'"):
        model.get_layer("nope")


def test_functional_model_with_branches_merges_and_two_outputs():
    keras.utils.set_random_seed(0)
    a = keras.Input(shape=(6,), name="features")
    b = keras.Input(shape=(3,), name="extra")
    h = layers.Dense(8, activation="relu")(a)
    skip = layers.Dense(8)(a)
    merged = layers.Add()([h, skip])
    joined = layers.Concatenate()([merged, b])
    cls = layers.Dense(2, activation="softmax", name="cls")(joined)
    reg = layers.Dense(1, name="reg")(joined)
    model = keras.Model(inputs=[a, b], outputs=[cls, reg])
    names = [layer.name for layer in model.layers]  # Keras's order: by depth from the outputs
    assert (names[0], names[4], names[-2:]) == ("features", "extra", ["cls", "reg"]), names
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy",
                                          "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    extra = RNG.random((96, 3)).astype(np.float32)
    target = X.sum(1, keepdims=True)
    history = model.fit({"features": X, "extra": extra}, [Y, target], epochs=3, verbose=0)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy"}
    logs = model.evaluate([X, extra], [Y, target], verbose=0, return_dict=True)
    np.testing.assert_allclose(logs["loss"], logs["cls_loss"] + 0.5 * logs["reg_loss"],
                               rtol=1e-5)
    probs, values = model.predict([X, extra], verbose=0)
    assert probs.shape == (96, 2) and values.shape == (96, 1)


def test_subclassed_model():
    class TwoLayer(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(2)

        def call(self, x, training=None):
            return self.out(self.hidden(x))

    keras.utils.set_random_seed(0)
    model = TwoLayer()
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(X, Y, epochs=20, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.9
    assert len(model.trainable_weights) == 4
    assert model(X[:3]).shape == (3, 2)


def test_fit_batches_evaluate_predict_and_per_batch_apis():
    model = mlp()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    before = model.evaluate(X, Y, verbose=0)
    assert isinstance(before, list) and len(before) == 2
    model.fit(X, Y, epochs=30, batch_size=16, verbose=0)
    loss, acc = model.evaluate(X, Y, verbose=0)
    assert loss < before[0] and acc > 0.85
    assert model.evaluate(X, Y, verbose=0, return_dict=True).keys() == {"loss", "accuracy"}
    np.testing.assert_allclose(model.predict(X, batch_size=7, verbose=0),
                               model.predict(X, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(X[:5]), model(X[:5]).numpy(), rtol=1e-6)
    result = model.train_on_batch(X[:16], Y[:16], return_dict=True)
    assert set(result) == {"loss", "accuracy"}
    assert isinstance(model.test_on_batch(X[:16], Y[:16]), list)
    bare = mlp()
    bare.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(bare.evaluate(X, Y, verbose=0), float)


def test_softmax_output_is_trained_on_its_logits():
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model._require_compiled("fit")
    out = model(X[:4], training=True)
    total, _ = model._compiled_loss([Y[:4]], [out])
    assert type(total.grad_fn).__name__ == "SparseSoftmaxCrossEntropy"
    expected = keras.losses.SparseCategoricalCrossentropy()(Y[:4], out)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-5)


def test_validation_split_takes_the_last_samples_before_shuffling():
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, Y, epochs=2, validation_split=0.25, verbose=0)
    assert {"val_loss", "val_accuracy"} <= set(history.history)
    expected = model.evaluate(X[72:], Y[72:], verbose=0, return_dict=True)
    np.testing.assert_allclose(history.history["val_loss"][-1], expected["loss"], rtol=1e-5)
    h2 = model.fit(X[:72], Y[:72], epochs=1, validation_data=(X[72:], Y[72:]), verbose=0)
    assert "val_loss" in h2.history


def test_sample_weight_and_class_weight():
    model = mlp()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    weights = np.where(Y == 1, 3.0, 1.0)
    a = model.evaluate(X, Y, sample_weight=weights, verbose=0)
    per_sample = keras.losses.SparseCategoricalCrossentropy(reduction="none")(
        Y, model.predict(X, verbose=0)).numpy()
    np.testing.assert_allclose(a, (per_sample * weights).mean(), rtol=1e-5)
    # class_weight is sample_weight looked up from the labels: same first step.
    m1, m2 = mlp(seed=3), mlp(seed=3)
    for m in (m1, m2):
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    m1.fit(X, Y, epochs=1, batch_size=96, class_weight={0: 1.0, 1: 3.0}, verbose=0,
           shuffle=False)
    m2.fit(X, Y, epochs=1, batch_size=96, sample_weight=weights, verbose=0, shuffle=False)
    for w1, w2 in zip(m1.get_weights(), m2.get_weights()):
        np.testing.assert_allclose(w1, w2, rtol=1e-6)


def test_generators_and_sequences_feed_fit_like_arrays():
    class Batches(keras.utils.Sequence):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            return X[i * 16:(i + 1) * 16], Y[i * 16:(i + 1) * 16]

    def generator():
        while True:
            for i in range(6):
                yield X[i * 16:(i + 1) * 16], Y[i * 16:(i + 1) * 16]

    results = []
    for data, kwargs in [((X, Y), {"batch_size": 16, "shuffle": False}),
                         ((Batches(),), {}), ((generator(),), {"steps_per_epoch": 6})]:
        model = mlp(seed=1)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(*data, epochs=2, verbose=0, **kwargs)
        results.append(model.get_weights()[0])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    np.testing.assert_allclose(results[0], results[2], rtol=1e-6)


def test_initial_epoch_and_steps_per_epoch():
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(X, Y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]
    model.fit(X, Y, epochs=1, steps_per_epoch=2, batch_size=8, verbose=0)
    assert model.optimizer.iterations == 2 * 3 + 2


def test_seed_makes_two_fits_bit_identical():
    def run():
        model = mlp(seed=7)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(X, Y, epochs=3, batch_size=8, verbose=0)
        return model.get_weights()

    for a, b in zip(run(), run()):
        np.testing.assert_array_equal(a, b)


def test_progress_output_like_keras():
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    out = io.StringIO()
    model.fit(X, Y, epochs=2, batch_size=32, verbose=1,
              callbacks=[keras.callbacks.ProgbarLogger(stream=out)])
    text = out.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text and "3/3" in text
    assert "accuracy:" in text and "loss:" in text and "/step" in text
    out2 = io.StringIO()
    model.fit(X, Y, epochs=1, verbose=2, callbacks=[keras.callbacks.ProgbarLogger(stream=out2)])
    lines = [line for line in out2.getvalue().splitlines() if line]
    assert lines[0] == "Epoch 1/1" and lines[1].startswith("3/3 - ") and "loss:" in lines[1]


def test_regularization_losses_join_the_training_loss():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(2, input_shape=(6,),
                                           kernel_regularizer=keras.regularizers.l2(1.0))])
    model.compile(optimizer="sgd", loss="mse")
    y = np.zeros((96, 2), np.float32)
    loss = model.evaluate(X, y, verbose=0)
    mse = float(((model.predict(X, verbose=0) - y) ** 2).mean())
    np.testing.assert_allclose(loss, mse + float((model.layers[0].kernel.numpy() ** 2).sum()),
                               rtol=1e-5)


def test_glassnet_tensor_inputs_and_direct_call():
    model = mlp()
    y = model(gn.tensor(X[:2]))
    assert isinstance(y, gn.Tensor) and y.shape == (2, 2)


def test_array_likes_are_data_not_generators():
    class Frame:  # what a pandas DataFrame offers: iteration over columns, and __array__
        def __init__(self, a):
            self.a = a

        def __iter__(self):
            return iter(range(self.a.shape[1]))

        def __array__(self, dtype=None, copy=None):
            return self.a

        def __len__(self):
            return len(self.a)

    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(Frame(X), Y, epochs=1, verbose=0)
    assert model.predict(gn.tensor(X[:3]), verbose=0).shape == (3, 2)


def test_layers_are_listed_in_keras_order_through_unpacked_outputs():
    # Keras's seq2seq example reads model.layers[2] as the encoder LSTM: unpacking a layer's
    # outputs (out, h, c = lstm(x)) adds no depth, as it adds no node in Keras
    encoder_inputs = keras.Input((None, 5), name="encoder_inputs")
    _, h, c = layers.LSTM(8, return_state=True, name="encoder")(encoder_inputs)
    decoder_inputs = keras.Input((None, 6), name="decoder_inputs")
    seq, _, _ = layers.LSTM(8, return_sequences=True, return_state=True, name="decoder")(
        decoder_inputs, initial_state=[h, c])
    model = keras.Model([encoder_inputs, decoder_inputs], layers.Dense(6, name="dense")(seq))
    # Keras 3.15's order for the same model
    assert [layer.name for layer in model.layers] == [
        "encoder_inputs", "decoder_inputs", "encoder", "decoder", "dense"]
