"""Reading and writing by index: take, take_along_axis, scatter, scatter_update, slice_update,
nonzero, one_hot, searchsorted, unique.
"""

__all__ = []
