"""FarmHash's Fingerprint64 (``farmhashna::Hash64``, by Geoff Pike, MIT licence), the hash
TensorFlow's ``tf.strings.to_hash_bucket_fast`` takes modulo the bucket count: the lookup
layers use it to spread OOV strings over ``num_oov_indices > 1`` buckets, so a string lands
in the bucket Keras puts it in.

Arithmetic is on Python ints kept to 64 bits (``& MASK``). A string is hashed whole, so this
runs once per distinct OOV token (``hash_buckets``), never per occurrence.

>>> hex(fingerprint64(b""))
'0x9ae16a3b2f90404f'
>>> hash_buckets(["z", "y", "x", ""], 2).tolist()
[1, 1, 0, 1]
"""

from __future__ import annotations

import numpy as np

__all__ = ["fingerprint64", "hash_buckets"]

MASK = (1 << 64) - 1
K0 = 0xC3A5C85C97CB3127
K1 = 0xB492B66FBE98F273
K2 = 0x9AE16A3B2F90404F


def _word(s, i):
    """The little-endian 64-bit word at byte ``i``."""
    return int.from_bytes(s[i:i + 8], "little")


def _ror(v, shift):
    return ((v >> shift) | (v << (64 - shift))) & MASK if shift else v


def _shift_mix(v):
    return v ^ (v >> 47)


def _hash16(u, v, mul):
    """Murmur-style mix of two words into one."""
    a = ((u ^ v) * mul) & MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & MASK
    b ^= b >> 47
    return (b * mul) & MASK


def _upto16(s, n):
    if n >= 8:
        mul = K2 + 2 * n
        a = (_word(s, 0) + K2) & MASK
        b = _word(s, n - 8)
        c = (_ror(b, 37) * mul + a) & MASK
        d = ((_ror(a, 25) + b) * mul) & MASK
        return _hash16(c, d, mul)
    if n >= 4:
        mul = K2 + 2 * n
        a = int.from_bytes(s[:4], "little")
        return _hash16((n + (a << 3)) & MASK, int.from_bytes(s[n - 4:n], "little"), mul)
    if n:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * K2) ^ (z * K0)) & MASK) * K2) & MASK
    return K2


def _upto32(s, n):
    mul = K2 + 2 * n
    a = (_word(s, 0) * K1) & MASK
    b = _word(s, 8)
    c = (_word(s, n - 8) * mul) & MASK
    d = (_word(s, n - 16) * K2) & MASK
    return _hash16((_ror((a + b) & MASK, 43) + _ror(c, 30) + d) & MASK,
                   (a + _ror((b + K2) & MASK, 18) + c) & MASK, mul)


def _upto64(s, n):
    mul = K2 + 2 * n
    a = (_word(s, 0) * K2) & MASK
    b = _word(s, 8)
    c = (_word(s, n - 8) * mul) & MASK
    d = (_word(s, n - 16) * K2) & MASK
    y = (_ror((a + b) & MASK, 43) + _ror(c, 30) + d) & MASK
    z = _hash16(y, (a + _ror((b + K2) & MASK, 18) + c) & MASK, mul)
    e = (_word(s, 16) * mul) & MASK
    f = _word(s, 24)
    g = ((y + _word(s, n - 32)) * mul) & MASK
    h = ((z + _word(s, n - 24)) * mul) & MASK
    return _hash16((_ror((e + f) & MASK, 43) + _ror(g, 30) + h) & MASK,
                   (e + _ror((f + a) & MASK, 18) + g) & MASK, mul)


def _weak32(s, i, a, b):
    """The 128-bit weak hash of the 32 bytes at ``i`` with seeds ``a``, ``b``."""
    w, x, y, z = (_word(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & MASK
    b = _ror((b + a + z) & MASK, 21)
    c = a
    a = (a + x + y) & MASK
    b = (b + _ror(a, 44)) & MASK
    return (a + z) & MASK, (b + c) & MASK


def _long(s, n):
    # 56 bytes of state (v, w: two words each; x, y, z) stirred by each 64-byte block; the
    # last (overlapping) block is mixed with a multiplier taken from the state.
    seed = 81
    x = (seed * K2 + _word(s, 0)) & MASK
    y = (seed * K1 + 113) & MASK
    z = (_shift_mix((y * K2 + 113) & MASK) * K2) & MASK
    v0 = v1 = w0 = w1 = 0
    end = (n - 1) // 64 * 64
    for i in range(0, end, 64):  # the recurrence runs over the string's blocks in order
        x = (_ror((x + y + v0 + _word(s, i + 8)) & MASK, 37) * K1) & MASK
        y = (_ror((y + v1 + _word(s, i + 48)) & MASK, 42) * K1) & MASK
        x ^= w1
        y = (y + v0 + _word(s, i + 40)) & MASK
        z = (_ror((z + w0) & MASK, 33) * K1) & MASK
        v0, v1 = _weak32(s, i, (v1 * K1) & MASK, (x + w0) & MASK)
        w0, w1 = _weak32(s, i + 32, (z + w1) & MASK, (y + _word(s, i + 16)) & MASK)
        z, x = x, z
    mul = K1 + ((z & 0xFF) << 1)
    i = n - 64
    w0 = (w0 + ((n - 1) & 63)) & MASK
    v0 = (v0 + w0) & MASK
    w0 = (w0 + v0) & MASK
    x = (_ror((x + y + v0 + _word(s, i + 8)) & MASK, 37) * mul) & MASK
    y = (_ror((y + v1 + _word(s, i + 48)) & MASK, 42) * mul) & MASK
    x ^= (w1 * 9) & MASK
    y = (y + v0 * 9 + _word(s, i + 40)) & MASK
    z = (_ror((z + w0) & MASK, 33) * mul) & MASK
    v0, v1 = _weak32(s, i, (v1 * mul) & MASK, (x + w0) & MASK)
    w0, w1 = _weak32(s, i + 32, (z + w1) & MASK, (y + _word(s, i + 16)) & MASK)
    z, x = x, z
    return _hash16((_hash16(v0, w0, mul) + _shift_mix(y) * K0 + z) & MASK,
                   (_hash16(v1, w1, mul) + x) & MASK, mul)


def fingerprint64(data: bytes) -> int:
    """FarmHash Fingerprint64 of ``data``, an unsigned 64-bit int."""
    n = len(data)
    if n <= 16:
        return _upto16(data, n)
    if n <= 32:
        return _upto32(data, n)
    if n <= 64:
        return _upto64(data, n)
    return _long(data, n)


def hash_buckets(tokens, num_buckets, encoding="utf-8"):
    """``fingerprint64(token) % num_buckets`` for each of ``tokens`` (str, encoded with
    ``encoding``; ints hash their decimal digits), as an int64 array."""
    unique, inverse = np.unique(np.asarray(tokens, dtype=object), return_inverse=True)
    as_bytes = (t.encode(encoding) if isinstance(t, str) else str(t).encode() for t in unique)
    buckets = np.fromiter((fingerprint64(b) % num_buckets for b in as_bytes), np.int64,
                          count=len(unique))
    return buckets[inverse.ravel()]
