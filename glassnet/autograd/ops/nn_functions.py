"""Neural-network functions in the TensorFlow style (tf.nn): cross-entropies on logits,
moments, normalization, masks and gathers."""

__all__ = []
