"""Products, logical reductions and statistics: prod, any, all, count_nonzero, median, quantile,
norm.
"""

__all__ = []
