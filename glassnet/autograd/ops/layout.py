"""Rearranging elements: tile, repeat, roll, tril/triu, diag/diagonal, swapaxes, moveaxis,
unstack, meshgrid.
"""

__all__ = []
