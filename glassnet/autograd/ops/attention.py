"""Scaled dot-product attention."""

__all__ = []
