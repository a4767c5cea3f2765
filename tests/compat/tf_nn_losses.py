"""tf.nn activations and losses on logits, as TensorFlow code writes them (only the import
changed): softmax, cross-entropies, moments and batch normalization, and their gradients."""

import numpy as np

import glassnet as tf

logits = tf.constant([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
labels = tf.constant([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
sparse_labels = tf.constant([0, 1])

probs = tf.nn.softmax(logits)
np.testing.assert_allclose(tf.reduce_sum(probs, axis=-1).numpy(), [1, 1], rtol=1e-6)
loss = tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
sparse = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=sparse_labels, logits=logits)
np.testing.assert_allclose(loss.numpy(), sparse.numpy(), rtol=1e-6)
np.testing.assert_allclose(loss.numpy(), -np.log(probs.numpy()[[0, 1], [0, 1]]), rtol=1e-5)

binary = tf.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[100.0, -100.0])
assert np.all(binary.numpy() < 1e-6)  # stable: no log(0)

w = tf.Variable(tf.random.normal([3, 3], seed=1))
with tf.GradientTape() as tape:
    z = tf.matmul(logits, w)
    mean_loss = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=sparse_labels, logits=z))
grad = tape.gradient(mean_loss, w)
assert grad.shape == (3, 3)
p = tf.nn.softmax(z).numpy()
expected = logits.numpy().T @ (p - np.eye(3)[[0, 1]]) / 2
np.testing.assert_allclose(grad.numpy(), expected, rtol=1e-4, atol=1e-6)

x = tf.random.normal([8, 4], seed=2)
mean, variance = tf.nn.moments(x, axes=[0])
normalized = tf.nn.batch_normalization(x, mean, variance, offset=None, scale=None,
                                       variance_epsilon=1e-5)
np.testing.assert_allclose(tf.reduce_mean(normalized, 0).numpy(), 0, atol=1e-5)
for act in (tf.nn.relu, tf.nn.relu6, tf.nn.elu, tf.nn.selu, tf.nn.gelu, tf.nn.silu,
            tf.nn.swish, tf.nn.sigmoid, tf.nn.tanh, tf.nn.softplus, tf.nn.softsign,
            tf.nn.leaky_relu):
    assert act(x).shape == (8, 4)
assert tf.nn.leaky_relu(tf.constant([-1.0]), alpha=0.1).numpy().tolist() == [np.float32(-0.1)]
assert tf.nn.l2_loss(tf.constant([3.0, 4.0])).numpy() == 12.5
np.testing.assert_allclose(tf.norm(tf.nn.l2_normalize(x, axis=1), axis=1).numpy(), 1, rtol=1e-5)
dropped = tf.nn.dropout(tf.ones([100]), rate=0.5, seed=0)
assert set(np.unique(dropped.numpy()).tolist()) <= {0.0, 2.0}
images = tf.random.uniform([2, 8, 8, 3], seed=3)
filters = tf.random.normal([3, 3, 3, 4], seed=4)
features = tf.nn.relu(tf.nn.conv2d(images, filters, strides=1, padding="SAME"))
pooled = tf.nn.max_pool2d(features, ksize=2, strides=2, padding="VALID")
assert features.shape == (2, 8, 8, 4) and pooled.shape == (2, 4, 4, 4)
print("ok")
