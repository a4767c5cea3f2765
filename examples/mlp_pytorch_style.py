"""The same MLP as examples/mlp_keras.py, written as a PyTorch-style loop: the layers and the
optimizer are the same classes, driven by hand (forward, loss, backward, step, zero_grad).

    python3 examples/mlp_pytorch_style.py
"""

import numpy as np

import glassnet as gn
from glassnet.datasets import best_available
from glassnet.nn.layers import Dense


class MLP(gn.nn.Layer):
    def __init__(self, n_inputs, n_classes=10):
        super().__init__()
        self.hidden = Dense(128, activation="relu")
        self.out = Dense(n_classes)  # logits: the loss applies the softmax
        self.build((None, n_inputs))

    def build(self, input_shape):
        self.hidden.build(input_shape)
        self.out.build((None, 128))

    def call(self, x):
        return self.out(self.hidden(x))


name, (x_train, y_train), (x_test, y_test) = best_available()
x_train = x_train.reshape(len(x_train), -1).astype(np.float32) / 255.0
x_test = x_test.reshape(len(x_test), -1).astype(np.float32) / 255.0
gn.seed(0)
model = MLP(x_train.shape[1])
optimizer = gn.optim.Adam(model.parameters(), lr=1e-3)
loss_fn = gn.losses.SparseCategoricalCrossentropy(from_logits=True)
rng = np.random.default_rng(0)

for epoch in range(5):
    order = rng.permutation(len(x_train))
    total = 0.0
    for start in range(0, len(x_train), 32):
        batch = order[start:start + 32]
        loss = loss_fn(y_train[batch], model(x_train[batch]))  # forward
        loss.backward()                                        # backpropagation
        optimizer.step()                                       # gradient descent
        optimizer.zero_grad()
        total += loss.item() * len(batch)
    with gn.no_grad():
        accuracy = (model(x_test).numpy().argmax(1) == y_test).mean()
    print(f"epoch {epoch + 1}: loss {total / len(x_train):.4f}, test accuracy {accuracy:.4f}")
print(f"{name}: test accuracy {accuracy:.4f}")
