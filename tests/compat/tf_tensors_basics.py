"""The TensorFlow guide "Introduction to tensors", with only the import changed."""

import numpy as np

import glassnet as tf

rank_0_tensor = tf.constant(4)
print(rank_0_tensor)
assert rank_0_tensor.dtype == tf.int32 and rank_0_tensor.ndim == 0

rank_1_tensor = tf.constant([2.0, 3.0, 4.0])
assert rank_1_tensor.dtype == tf.float32

rank_2_tensor = tf.constant([[1, 2], [3, 4], [5, 6]], dtype=tf.float16)
assert rank_2_tensor.shape == (3, 2) and rank_2_tensor.dtype == tf.float16

rank_3_tensor = tf.constant([
    [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]],
    [[10, 11, 12, 13, 14], [15, 16, 17, 18, 19]],
    [[20, 21, 22, 23, 24], [25, 26, 27, 28, 29]]])
assert np.array(rank_2_tensor).shape == (3, 2)
assert rank_2_tensor.numpy().tolist() == [[1, 2], [3, 4], [5, 6]]

a = tf.constant([[1, 2], [3, 4]])
b = tf.constant([[1, 1], [1, 1]])
assert tf.add(a, b).numpy().tolist() == [[2, 3], [4, 5]]
assert tf.multiply(a, b).numpy().tolist() == [[1, 2], [3, 4]]
assert tf.matmul(a, b).numpy().tolist() == [[3, 3], [7, 7]]
assert (a + b).numpy().tolist() == [[2, 3], [4, 5]] and (a @ b).numpy().tolist() == [[3, 3], [7, 7]]

c = tf.constant([[4.0, 5.0], [10.0, 1.0]])
assert tf.reduce_max(c).numpy() == 10.0
assert tf.math.argmax(c).numpy().tolist() == [1, 0]
softmax = tf.nn.softmax(c)
np.testing.assert_allclose(tf.reduce_sum(softmax, axis=1).numpy(), [1.0, 1.0], rtol=1e-6)
assert tf.convert_to_tensor([1, 2, 3]).dtype == tf.int32
assert tf.reduce_max([1, 2, 3]).numpy() == 3

rank_4_tensor = tf.zeros([3, 2, 4, 5])
assert rank_4_tensor.dtype == tf.float32 and rank_4_tensor.ndim == 4
assert rank_4_tensor.shape == (3, 2, 4, 5) and rank_4_tensor.shape[0] == 3
assert tf.size(rank_4_tensor).numpy() == 120
assert tf.rank(rank_4_tensor).numpy() == 4
assert tf.shape(rank_4_tensor).numpy().tolist() == [3, 2, 4, 5]

rank_1_tensor = tf.constant([0, 1, 1, 2, 3, 5, 8, 13, 21, 34])
assert rank_1_tensor[0].numpy() == 0 and rank_1_tensor[-1].numpy() == 34
assert rank_1_tensor[1:3].numpy().tolist() == [1, 1]
assert rank_1_tensor[::-1].numpy().tolist() == [34, 21, 13, 8, 5, 3, 2, 1, 1, 0]

x = tf.constant([[1], [2], [3]])
assert x.shape == (3, 1)
reshaped = tf.reshape(x, [1, 3])
assert reshaped.shape == (1, 3)
assert tf.reshape(rank_3_tensor, [-1]).shape == (30,)
assert tf.reshape(rank_3_tensor, [3 * 2, 5]).shape == (6, 5)
assert tf.reshape(rank_3_tensor, [3, -1]).shape == (3, 10)

the_f64_tensor = tf.constant([2.2, 3.3, 4.4], dtype=tf.float64)
the_f16_tensor = tf.cast(the_f64_tensor, dtype=tf.float16)
the_u8_tensor = tf.cast(the_f16_tensor, dtype=tf.uint8)
assert the_u8_tensor.numpy().tolist() == [2, 3, 4] and the_u8_tensor.dtype == tf.uint8

x = tf.constant([1, 2, 3])
y = tf.constant(2)
z = tf.constant([2, 2, 2])
assert tf.multiply(x, 2).numpy().tolist() == (x * y).numpy().tolist() == (x * z).numpy().tolist()
x = tf.reshape(x, [3, 1])
y = tf.range(1, 5)
assert tf.multiply(x, y).numpy().tolist() == [[1, 2, 3, 4], [2, 4, 6, 8], [3, 6, 9, 12]]
assert tf.broadcast_to(tf.constant([1, 2, 3]), [3, 3]).numpy().tolist() == [[1, 2, 3]] * 3

t = tf.concat([tf.ones([2, 3]), tf.zeros([2, 3])], axis=0)
assert t.shape == (4, 3) and tf.stack([t, t]).shape == (2, 4, 3)
one_hot = tf.one_hot([0, 2, 1], depth=3)
assert one_hot.numpy().tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
assert tf.reduce_mean(tf.constant([1.0, 2.0, 3.0, 4.0])).numpy() == 2.5
assert tf.math.reduce_std(tf.constant([1.0, 3.0])).numpy() == 1.0
tf.print(tf.constant([1, 2, 3]))
print("ok")
