"""The Keras guide "Working with RNNs", section by section: built-in LSTM / GRU / SimpleRNN
layers in Sequential models, return_sequences and return_state, an encoder's states passed to
a decoder as initial_state, cross-batch statefulness (stateful=True, reset_states) and state
reuse, Bidirectional summaries, the RNN(LSTMCell) and custom-cell forms (the MinimalRNNCell of
the keras.layers.RNN docstring, alone and stacked), and masking through Embedding(mask_zero)
and Masking. Each section checks its shapes, parameter counts or values. Only the import
changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops

keras.utils.set_random_seed(9)
rng = np.random.default_rng(9)

# --- Built-in RNN layers: a simple example
model = keras.Sequential()
# Add an Embedding layer expecting input vocab of size 1000, and
# output embedding dimension of size 64.
model.add(layers.Input(shape=(None,), dtype="int32"))
model.add(layers.Embedding(input_dim=1000, output_dim=64))
# Add a LSTM layer with 128 internal units.
model.add(layers.LSTM(128))
# Add a Dense layer with 10 units.
model.add(layers.Dense(10))
model.summary()
assert model.count_params() == 1000 * 64 + 4 * (64 * 128 + 128 * 128 + 128) + 1290
assert model.predict(rng.integers(0, 1000, (3, 7)), verbose=0).shape == (3, 10)

# --- Outputs and states
model = keras.Sequential()
model.add(layers.Input(shape=(None,), dtype="int32"))
model.add(layers.Embedding(input_dim=1000, output_dim=64))
# The output of GRU will be a 3D tensor of shape (batch_size, timesteps, 256)
model.add(layers.GRU(256, return_sequences=True))
# The output of SimpleRNN will be a 2D tensor of shape (batch_size, 128)
model.add(layers.SimpleRNN(128))
model.add(layers.Dense(10))
model.summary()
# GRU with reset_after=True (the default) has two bias vectors per gate
gru = 3 * (64 * 256 + 256 * 256) + 2 * 3 * 256
assert model.count_params() == 64000 + gru + (256 * 128 + 128 * 128 + 128) + 1290
assert model.layers[1].output.shape == (None, None, 256)

encoder_vocab = 1000
decoder_vocab = 2000

encoder_input = layers.Input(shape=(None,))
encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(encoder_input)

# Return states in addition to output
output, state_h, state_c = layers.LSTM(64, return_state=True, name="encoder")(
    encoder_embedded
)
encoder_state = [state_h, state_c]

decoder_input = layers.Input(shape=(None,))
decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(decoder_input)

# Pass the 2 states to a new LSTM layer, as initial state
decoder_output = layers.LSTM(64, name="decoder")(
    decoder_embedded, initial_state=encoder_state
)
output = layers.Dense(10)(decoder_output)

model = keras.Model([encoder_input, decoder_input], output)
model.summary()
assert tuple(state_h.shape) == (None, 64) and tuple(state_c.shape) == (None, 64)
prediction = model.predict([rng.integers(1, 1000, (4, 6)), rng.integers(1, 2000, (4, 9))],
                           verbose=0)
assert prediction.shape == (4, 10)
# The decoder depends on what the encoder read: another encoder input, another output.
other = model.predict([rng.integers(1, 1000, (4, 6)), rng.integers(1, 2000, (4, 9))],
                      verbose=0)
assert not np.allclose(prediction, other)

# --- Cross-batch statefulness
paragraph1 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph2 = np.random.random((20, 10, 50)).astype(np.float32)
paragraph3 = np.random.random((20, 10, 50)).astype(np.float32)

lstm_layer = layers.LSTM(64, stateful=True)
output = lstm_layer(paragraph1)
output = lstm_layer(paragraph2)
output = lstm_layer(paragraph3)

# Three calls of a stateful layer read the three paragraphs as one long sequence.
whole = layers.LSTM(64)
whole(paragraph1)
whole.set_weights(lstm_layer.get_weights())
np.testing.assert_allclose(
    ops.convert_to_numpy(output),
    ops.convert_to_numpy(whole(np.concatenate([paragraph1, paragraph2, paragraph3], axis=1))),
    atol=1e-5,
)

# reset_states() will reset the cached state to the original initial_state.
# If no initial_state was provided, zero-states will be used by default.
lstm_layer.reset_states()
np.testing.assert_allclose(ops.convert_to_numpy(lstm_layer(paragraph1)),
                           ops.convert_to_numpy(whole(paragraph1)), atol=1e-6)

# --- RNN State Reuse
lstm_layer = layers.LSTM(64, stateful=True)
output = lstm_layer(paragraph1)
output = lstm_layer(paragraph2)

existing_state = lstm_layer.states
assert [tuple(s.shape) for s in existing_state] == [(20, 64), (20, 64)]

new_lstm_layer = layers.LSTM(64)
new_output = new_lstm_layer(paragraph3, initial_state=existing_state)
assert tuple(new_output.shape) == (20, 64)
# The same layer from zero states gives something else: the state was used.
assert not np.allclose(ops.convert_to_numpy(new_output),
                       ops.convert_to_numpy(new_lstm_layer(paragraph3)))

# --- Bidirectional RNNs
model = keras.Sequential()
model.add(layers.Input(shape=(5, 10)))
model.add(layers.Bidirectional(layers.LSTM(64, return_sequences=True)))
model.add(layers.Bidirectional(layers.LSTM(32)))
model.add(layers.Dense(10))
model.summary()
assert model.layers[0].output.shape == (None, 5, 128)
assert model.count_params() == 2 * 4 * (10 * 64 + 64 * 64 + 64) + \
    2 * 4 * (128 * 32 + 32 * 32 + 32) + 650

# --- Performance optimization: LSTM and RNN(LSTMCell) are the same layer
batch_size = 64
# Each MNIST image batch is a tensor of shape (batch_size, 28, 28).
# Each input sequence will be of size (28, 28) (height is treated like time).
input_dim = 28

units = 64
output_size = 10  # labels are from 0 to 9


# Build the RNN model
def build_model(allow_cudnn_kernel=True):
    # CuDNN is only available at the layer level, and not at the cell level.
    # This means `LSTM(units)` will use the CuDNN kernel,
    # while RNN(LSTMCell(units)) will run on non-CuDNN kernel.
    if allow_cudnn_kernel:
        # The LSTM layer with default options uses CuDNN.
        lstm_layer = keras.layers.LSTM(units)
    else:
        # Wrapping a LSTMCell in a RNN layer will not use CuDNN.
        lstm_layer = keras.layers.RNN(keras.layers.LSTMCell(units))
    model = keras.models.Sequential(
        [
            keras.Input(shape=(None, input_dim)),
            lstm_layer,
            keras.layers.BatchNormalization(),
            keras.layers.Dense(output_size),
        ]
    )
    return model


# Generated "digits": the label is the row (time step) where the image is brightest.
x_train = rng.normal(0, 0.3, (512, 28, 28)).astype("float32")
y_train = rng.integers(0, 10, 512)
x_train[np.arange(512), 2 * y_train + 4] += 1.0
model = build_model(allow_cudnn_kernel=True)
model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer="sgd",
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=batch_size, epochs=3, verbose=2)
assert history.history["loss"][-1] < history.history["loss"][0], history.history

noncudnn_model = build_model(allow_cudnn_kernel=False)
noncudnn_model.set_weights(model.get_weights())
np.testing.assert_allclose(noncudnn_model.predict(x_train[:16], verbose=0),
                           model.predict(x_train[:16], verbose=0), atol=1e-5)


# --- A custom cell: the MinimalRNNCell of the keras.layers.RNN docstring
class MinimalRNNCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units), initializer="uniform", name="kernel"
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="uniform", name="recurrent_kernel"
        )
        self.built = True

    def call(self, inputs, states):
        prev_output = states[0]
        h = ops.matmul(inputs, self.kernel)
        output = h + ops.matmul(prev_output, self.recurrent_kernel)
        return output, [output]


# Let's use this cell in a RNN layer:
cell = MinimalRNNCell(32)
x = keras.Input((None, 5))
layer = layers.RNN(cell)
y = layer(x)
assert tuple(y.shape) == (None, 32)

# The recurrence by hand: h_t = x_t W + h_{t-1} U, from h_0 = 0.
sequences = rng.normal(size=(3, 4, 5)).astype("float32")
kernel, recurrent_kernel = [ops.convert_to_numpy(w) for w in layer.weights]
h = np.zeros((3, 32), dtype="float32")
for t in range(4):
    h = sequences[:, t] @ kernel + h @ recurrent_kernel
np.testing.assert_allclose(ops.convert_to_numpy(layer(sequences)), h, rtol=1e-4, atol=1e-5)

# Here's how to use the cell to build a stacked RNN:
cells = [MinimalRNNCell(32), MinimalRNNCell(64)]
x = keras.Input((None, 5))
layer = layers.RNN(cells, return_sequences=True, return_state=True)
y, state_1, state_2 = layer(x)
assert tuple(y.shape) == (None, None, 64)
assert tuple(state_1.shape) == (None, 32) and tuple(state_2.shape) == (None, 64)

# A custom cell trains inside a model like a built-in one.
inputs = keras.Input((6, 1))
outputs = layers.Dense(1)(layers.RNN(MinimalRNNCell(8))(inputs))
summing = keras.Model(inputs, outputs)
summing.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
x_sum = rng.uniform(-1, 1, (256, 6, 1)).astype("float32")
losses = summing.fit(x_sum, x_sum.sum(axis=(1, 2)), epochs=20, batch_size=32,
                     verbose=0).history["loss"]
assert losses[-1] < 0.05 * losses[0], losses  # a linear recurrence can sum exactly

# --- Masking: padded steps are skipped; a masked step repeats the previous output
padded = np.array([[3, 5, 7, 0, 0], [0, 0, 4, 2, 9]])
for rnn_class in (layers.SimpleRNN, layers.GRU, layers.LSTM):
    inputs = keras.Input((None,), dtype="int32")
    embedded = layers.Embedding(10, 4, mask_zero=True)(inputs)
    sequence = rnn_class(3, return_sequences=True)(embedded)
    model = keras.Model(inputs, sequence)
    steps = model.predict(padded, verbose=0)
    np.testing.assert_allclose(steps[0, 3], steps[0, 2], atol=1e-7)
    np.testing.assert_allclose(steps[0, 4], steps[0, 2], atol=1e-7)
    np.testing.assert_allclose(steps[1, :2], 0.0, atol=1e-7)
    # Dropping the padding changes nothing in the real steps.
    short = model.predict(np.array([[3, 5, 7]]), verbose=0)
    np.testing.assert_allclose(short[0], steps[0, :3], atol=1e-6)

# Masking for float sequences: timesteps whose features all equal mask_value are skipped.
features = rng.normal(size=(2, 6, 3)).astype("float32")
features[0, 4:] = 0.0
model = keras.Sequential([
    keras.Input((6, 3)),
    layers.Masking(mask_value=0.0),
    layers.LSTM(5),
])
full = model.predict(features, verbose=0)
lstm = model.layers[-1]
np.testing.assert_allclose(ops.convert_to_numpy(lstm(features[:1, :4])), full[:1], atol=1e-6)
mask = model.layers[0].compute_mask(features)
assert ops.convert_to_numpy(mask).tolist() == [[True] * 4 + [False] * 2, [True] * 6]
print("ok")
