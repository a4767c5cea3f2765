"""tf.linalg and tf.image as TensorFlow code uses them, with only the import changed."""

import numpy as np

import glassnet as tf

a = tf.constant([[4.0, 1.0], [1.0, 3.0]])
b = tf.constant([[1.0], [2.0]])
x = tf.linalg.solve(a, b)
np.testing.assert_allclose(tf.matmul(a, x).numpy(), b.numpy(), rtol=1e-5)
np.testing.assert_allclose(tf.linalg.inv(a).numpy() @ a.numpy(), np.eye(2), atol=1e-6)
assert abs(tf.linalg.det(a).numpy() - 11.0) < 1e-5
chol = tf.linalg.cholesky(a)
np.testing.assert_allclose(tf.matmul(chol, chol, transpose_b=True).numpy(), a.numpy(), rtol=1e-5)
s, u, v = tf.linalg.svd(a)
np.testing.assert_allclose(tf.matmul(u * s, v, adjoint_b=True).numpy(), a.numpy(), atol=1e-5)
e, vectors = tf.linalg.eigh(a)
assert e.numpy()[0] < e.numpy()[1]
assert tf.linalg.trace(a).numpy() == 7.0
assert tf.linalg.diag_part(a).numpy().tolist() == [4.0, 3.0]
assert tf.linalg.band_part(tf.ones([3, 3]), 0, -1).numpy().tolist() == [[1, 1, 1], [0, 1, 1],
                                                                       [0, 0, 1]]
q, r = tf.linalg.qr(a)
np.testing.assert_allclose(tf.matmul(q, r).numpy(), a.numpy(), atol=1e-5)
assert tf.einsum("ij,jk->ik", a, b).shape == (2, 1)

image = tf.random.uniform([32, 48, 3], seed=0)
resized = tf.image.resize(image, [16, 24])
assert resized.shape == (16, 24, 3) and resized.dtype == tf.float32
batch = tf.stack([image, image])
assert tf.image.resize(batch, (64, 96), method="nearest").shape == (2, 64, 96, 3)
flipped = tf.image.flip_left_right(image)
np.testing.assert_array_equal(flipped.numpy()[:, 0], image.numpy()[:, -1])
assert tf.image.rot90(image).shape == (48, 32, 3)
standard = tf.image.per_image_standardization(image)
assert abs(tf.reduce_mean(standard).numpy()) < 1e-5
pixels = tf.image.convert_image_dtype(image, tf.uint8)
assert pixels.dtype == tf.uint8
assert tf.image.convert_image_dtype(pixels, tf.float32).dtype == tf.float32
gray = tf.image.rgb_to_grayscale(image)
assert gray.shape == (32, 48, 1)
assert tf.image.central_crop(image, 0.5).shape == (16, 24, 3)
print("ok")
