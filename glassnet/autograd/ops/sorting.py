"""Sorting along an axis: sort, argsort, top_k."""

__all__ = []
