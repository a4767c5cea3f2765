import numpy as np
import pytest

import glassnet as gn
from glassnet import keras
from glassnet.keras import random


def test_same_int_seed_same_numbers_and_shapes_dtypes():
    for draw in (lambda s: random.normal((3, 2), seed=s),
                 lambda s: random.uniform((4,), minval=2.0, maxval=3.0, seed=s),
                 lambda s: random.randint((5,), 0, 10, seed=s),
                 lambda s: random.truncated_normal((100,), stddev=2.0, seed=s)):
        a, b, c = draw(3), draw(3), draw(4)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert not np.array_equal(a.numpy(), c.numpy())
    assert random.normal((3, 2)).shape == (3, 2) and random.normal((2,)).dtype == np.float32
    assert random.randint((5,), 0, 10).dtype == np.int32
    u = random.uniform((1000,), 2.0, 3.0, seed=0).numpy()
    assert u.min() >= 2.0 and u.max() < 3.0
    assert np.abs(random.truncated_normal((1000,), stddev=2.0, seed=0).numpy()).max() <= 4.0


def test_seed_generator_gives_a_reproducible_sequence():
    g1, g2 = random.SeedGenerator(42), random.SeedGenerator(42)
    x1, y1 = random.normal((3,), seed=g1), random.normal((3,), seed=g1)
    x2, y2 = random.normal((3,), seed=g2), random.normal((3,), seed=g2)
    np.testing.assert_array_equal(x1.numpy(), x2.numpy())
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    assert not np.array_equal(x1.numpy(), y1.numpy())


def test_global_generator_follows_set_random_seed():
    keras.utils.set_random_seed(5)
    a = random.normal((4,))
    gn.seed(5)
    b = random.normal((4,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_dropout_shuffle_categorical():
    x = np.ones((200, 10), np.float32)
    y = random.dropout(x, 0.5, seed=1).numpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6
    shared = random.dropout(x, 0.5, noise_shape=(1, 10), seed=1).numpy()
    assert (shared == shared[0]).all()
    s = random.shuffle(np.arange(10), seed=0).numpy()
    assert sorted(s.tolist()) == list(range(10)) and s.tolist() != list(range(10))
    t = gn.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    random.shuffle(t, axis=1, seed=0).sum().backward()
    assert t.grad.tolist() == [[1.0, 1.0]] * 3
    draws = random.categorical(np.log([[0.1, 0.9], [0.9, 0.1]]), 2000, seed=0).numpy()
    assert draws.shape == (2, 2000)
    assert 0.85 < draws[0].mean() < 0.95 and 0.05 < draws[1].mean() < 0.15


@pytest.mark.parametrize("call,message", [
    (lambda: random.normal((2,), seed="x"), "normal: seed must be"),
    (lambda: random.normal((-1,)), "normal: shape must hold"),
    (lambda: random.uniform((2,), 1.0, 0.0), "uniform: expected minval <= maxval"),
    (lambda: random.randint((2,), 3, 3), "randint: expected minval < maxval"),
    (lambda: random.randint((2,), 0, 3, dtype="float32"), "randint: dtype must be"),
    (lambda: random.SeedGenerator(1.5), "SeedGenerator: seed must be"),
    (lambda: random.dropout(np.ones(3), 1.5), "dropout: expected 0 <= rate < 1"),
    (lambda: random.categorical(np.ones(3), 1), "categorical: logits must be 2-D"),
])
def test_bad_input_names_the_argument(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()
