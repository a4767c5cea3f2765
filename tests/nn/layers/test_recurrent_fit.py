"""A user's text classifier: Embedding(mask_zero) -> Bidirectional(LSTM) -> Dense, compiled
and fit; the padding changes nothing."""

import numpy as np

import glassnet as gn
from glassnet import keras
from glassnet.nn.layers.recurrent import GRU, LSTM, Bidirectional, TimeDistributed

layers = keras.layers


def _padded_ids(n=256, length=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 1000, (n, length))
    lengths = rng.integers(3, length + 1, n)
    x[np.arange(length)[None, :] >= lengths[:, None]] = 0
    return x


def test_bidirectional_lstm_text_classifier_fits_and_ignores_padding():
    gn.seed(0)
    model = keras.Sequential([keras.Input((None,), dtype="int32"),
                              layers.Embedding(1000, 16, mask_zero=True),
                              Bidirectional(LSTM(8)),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x = _padded_ids()
    y = np.random.default_rng(1).integers(0, 2, (len(x), 1)).astype("float32")
    history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert model.count_params() == 16000 + 2 * 4 * 8 * (16 + 8 + 1) + 17
    longer = np.concatenate([x[:8], np.zeros((8, 7), x.dtype)], axis=1)
    np.testing.assert_allclose(model.predict(longer, verbose=0),
                               model.predict(x[:8], verbose=0), atol=1e-6)


def test_a_sequence_tagger_learns():
    # each step's label is whether its id is even: a GRU with TimeDistributed(Dense) over it
    gn.seed(1)
    rng = np.random.default_rng(2)
    x = rng.integers(1, 50, (512, 12))
    y = (x % 2 == 0).astype("float32")[..., None]
    model = keras.Sequential([keras.Input((12,), dtype="int32"), layers.Embedding(50, 8),
                              GRU(16, return_sequences=True),
                              TimeDistributed(layers.Dense(1, activation="sigmoid"))])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] > 0.9, history.history


def test_functional_seq2seq_passes_the_encoder_states_to_the_decoder():
    # Keras's seq2seq: decoder(x, initial_state=encoder_states) on symbolic tensors
    gn.seed(3)
    encoder_inputs, decoder_inputs = keras.Input((None, 3)), keras.Input((None, 2))
    encoder, decoder = LSTM(4, return_state=True), LSTM(4, return_sequences=True)
    dense = layers.Dense(2, activation="softmax")
    _, h, c = encoder(encoder_inputs)
    outputs = dense(decoder(decoder_inputs, initial_state=[h, c]))
    model = keras.Model([encoder_inputs, decoder_inputs], outputs)
    rng = np.random.default_rng(4)
    source = rng.standard_normal((8, 5, 3)).astype("float32")
    target = rng.standard_normal((8, 6, 2)).astype("float32")
    out = model([source, target]).numpy()
    assert out.shape == (8, 6, 2)
    _, h0, c0 = encoder(source)
    expected = dense(decoder(target, initial_state=[h0, c0])).numpy()
    np.testing.assert_allclose(out, expected, atol=1e-6)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    labels = np.eye(2, dtype="float32")[rng.integers(0, 2, (8, 6))]
    assert np.isfinite(model.fit([source, target], labels, epochs=1, verbose=0)
                       .history["loss"][0])
