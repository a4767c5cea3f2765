"""The classic MLP, Keras style: define, compile, fit, evaluate.

    python3 examples/mlp_keras.py

Trains on the best real data present (MNIST in the cache, Fashion-MNIST from Debian's
dataset-fashion-mnist, else scikit-learn's digits) and prints the test accuracy.
"""

from glassnet import keras
from glassnet.datasets import best_available

name, (x_train, y_train), (x_test, y_test) = best_available()
x_train, x_test = x_train / 255.0, x_test / 255.0
keras.utils.set_random_seed(0)

model = keras.Sequential([
    keras.layers.Flatten(input_shape=x_train.shape[1:]),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.summary()
model.fit(x_train, y_train, epochs=5, batch_size=32, validation_split=0.1,
          callbacks=[keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)])
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"{name}: test accuracy {accuracy:.4f}")
