"""keras.random and SeedGenerator reproducibility, as the Keras 3 "random" docs use them:
the same int seed gives the same numbers, a seeded SeedGenerator gives the same sequence,
and set_random_seed fixes the unseeded draws. Only the import changed."""

import numpy as np

from glassnet import keras
from glassnet.keras import layers, ops

a = keras.random.normal(shape=(2, 3), mean=0.0, stddev=1.0, seed=1337)
b = keras.random.normal(shape=(2, 3), mean=0.0, stddev=1.0, seed=1337)
assert np.array_equal(ops.convert_to_numpy(a), ops.convert_to_numpy(b))


class RandomNoise(layers.Layer):
    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if training:
            noise = keras.random.normal(ops.shape(x), stddev=self.stddev,
                                        seed=self.seed_generator)
            return x + noise
        return x


def run(seed):
    layer = RandomNoise(0.5, seed=seed)
    x = ops.zeros((4, 3))
    return [ops.convert_to_numpy(layer(x, training=True)) for _ in range(3)]


first, second = run(7), run(7)
assert all(np.array_equal(p, q) for p, q in zip(first, second))
assert not np.array_equal(first[0], first[1])  # each call draws anew
assert np.array_equal(ops.convert_to_numpy(RandomNoise(0.5)(ops.ones((2, 2)))), np.ones((2, 2)))

keras.utils.set_random_seed(123)
u1 = keras.random.uniform((5,), minval=-1, maxval=1)
d1 = keras.random.dropout(ops.ones((10,)), rate=0.5)
keras.utils.set_random_seed(123)
u2 = keras.random.uniform((5,), minval=-1, maxval=1)
d2 = keras.random.dropout(ops.ones((10,)), rate=0.5)
assert np.array_equal(ops.convert_to_numpy(u1), ops.convert_to_numpy(u2))
assert np.array_equal(ops.convert_to_numpy(d1), ops.convert_to_numpy(d2))

ints = keras.random.randint((1000,), minval=0, maxval=5, seed=3)
values = ops.convert_to_numpy(ints)
assert values.min() == 0 and values.max() == 4
shuffled = keras.random.shuffle(ops.arange(10), seed=4)
assert sorted(ops.convert_to_numpy(shuffled).tolist()) == list(range(10))
print("ok")
