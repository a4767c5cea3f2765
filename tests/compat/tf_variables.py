"""The TensorFlow guide "Introduction to Variables", with only the import changed."""

import numpy as np

import glassnet as tf

my_tensor = tf.constant([[1.0, 2.0], [3.0, 4.0]])
my_variable = tf.Variable(my_tensor)
bool_variable = tf.Variable([False, False, False, True])

assert my_variable.shape == (2, 2) and my_variable.dtype == tf.float32
assert my_variable.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
assert bool_variable.dtype == tf.bool

assert tf.convert_to_tensor(my_variable).numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
assert tf.math.argmax(my_variable).numpy().tolist() == [1, 1]
assert tf.reshape(my_variable, [1, 4]).numpy().tolist() == [[1.0, 2.0, 3.0, 4.0]]

a = tf.Variable([2.0, 3.0])
a.assign([1, 2])
assert a.numpy().tolist() == [1.0, 2.0]
try:
    a.assign([1.0, 2.0, 3.0])
except Exception as error:
    print(type(error).__name__, error)
else:
    raise SystemExit("assigning a new shape must fail")

a = tf.Variable([2.0, 3.0])
b = tf.Variable(a)
a.assign([5, 6])
assert a.numpy().tolist() == [5.0, 6.0] and b.numpy().tolist() == [2.0, 3.0]
assert a.assign_add([2, 3]).numpy().tolist() == [7.0, 9.0]
assert a.assign_sub([7, 9]).numpy().tolist() == [0.0, 0.0]

a = tf.Variable(my_tensor, name="Mark")
b = tf.Variable(my_tensor + 1, name="Mark")
assert (a == b).numpy().tolist() == [[False, False], [False, False]]

step_counter = tf.Variable(1, trainable=False)
assert not step_counter.trainable and step_counter.dtype == tf.int32
x = tf.Variable(3.0)
assert x.trainable and np.isclose(tf.square(x).numpy(), 9.0)
print("ok")
