"""Matrix functions and decompositions: inv, solve, det, slogdet, cholesky, qr, svd, eigh."""

__all__ = []
