"""Products of tensors: einsum, tensordot, outer, inner, vdot, kron."""

__all__ = []
