"""Linear regression with tf.Variable, tf.random and a GradientTape, as the TensorFlow
"basic training loops" guide writes it, with only the import changed."""

import glassnet as tf

TRUE_W, TRUE_B = 3.0, 2.0
NUM_EXAMPLES = 201

tf.random.set_seed(42)
x = tf.linspace(-2, 2, NUM_EXAMPLES)
x = tf.cast(x, tf.float32)


def f(x):
    return x * TRUE_W + TRUE_B


noise = tf.random.normal(shape=[NUM_EXAMPLES], stddev=0.1)
y = f(x) + noise


class MyModel:
    def __init__(self):
        self.w = tf.Variable(5.0)
        self.b = tf.Variable(0.0)

    def __call__(self, x):
        return self.w * x + self.b


def loss(target_y, predicted_y):
    return tf.reduce_mean(tf.square(target_y - predicted_y))


model = MyModel()
initial = loss(y, model(x)).numpy()


def train(model, x, y, learning_rate):
    with tf.GradientTape() as t:
        current_loss = loss(y, model(x))
    dw, db = t.gradient(current_loss, [model.w, model.b])
    model.w.assign_sub(learning_rate * dw)
    model.b.assign_sub(learning_rate * db)


for _ in range(60):
    train(model, x, y, learning_rate=0.1)

final = loss(y, model(x)).numpy()
print(f"loss {initial:.4f} -> {final:.5f}, w={model.w.numpy():.3f}, b={model.b.numpy():.3f}")
assert final < 0.02 < initial
assert abs(model.w.numpy() - TRUE_W) < 0.05 and abs(model.b.numpy() - TRUE_B) < 0.05


@tf.function
def predict(inputs):
    return model(inputs)


assert predict(tf.constant([0.0])).shape == (1,)
