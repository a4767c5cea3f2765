"""Model.reset_states forgets what stateful recurrent layers carried between batches."""

import numpy as np

from glassnet import keras


def test_model_reset_states_restarts_every_stateful_layer():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(batch_shape=(2, 3, 4)),
        keras.layers.LSTM(5, stateful=True, return_sequences=True),
        keras.layers.Bidirectional(keras.layers.GRU(3, stateful=True)),
    ])
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    first = model.predict(x, verbose=0)
    carried = model.predict(x, verbose=0)  # starts from the states the first call left
    assert not np.allclose(first, carried)
    model.reset_states()
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)
    model.predict(x, verbose=0)
    model.reset_state()  # Keras 3's spelling
    np.testing.assert_allclose(model.predict(x, verbose=0), first, rtol=1e-6)
