"""The hashes behind ``Hashing`` and ``HashedCrossing``, giving TensorFlow's bins:

- ``fingerprint64`` (FarmHash, in ``text/farmhash.py``): ``tf.strings.to_hash_bucket_fast``;
- ``siphash24(key, data)``: SipHash-2-4 (Aumasson and Bernstein, 2012) keyed by two 64-bit
  words, what ``tf.strings.to_hash_bucket_strong(key=[k0, k1])`` takes modulo the bins;
- ``fingerprint_cat64(a, b)``: TensorFlow's mix of two fingerprints, folded over the features
  of a cross (``tf.sparse.cross_hashed``) from the key 0xDECAFCAFFE.

A value is hashed whole (its UTF-8 bytes; a number its decimal digits), so the string hashes
run once per distinct value (``np.unique``), and the mixing of ``fingerprint_cat64`` runs on
uint64 arrays (NumPy wraps uint64 products modulo 2**64, as C does).

>>> hex(siphash24((0x0706050403020100, 0x0F0E0D0C0B0A0908), bytes(range(15))))
'0xa129ca6149be45e5'
"""

from __future__ import annotations

import numpy as np

from glassnet.nn.layers.text.farmhash import fingerprint64

__all__ = ["CROSS_HASH_KEY", "fingerprint_cat64", "hash_values", "siphash24", "value_text"]

MASK = (1 << 64) - 1
CROSS_HASH_KEY = 0xDECAFCAFFE  # tf.sparse.cross_hashed's default hash_key
_CAT_MUL = np.uint64(0xC6A4A7935BD1E995)


def _rotl(v, shift):
    return ((v << shift) | (v >> (64 - shift))) & MASK


def _sip_rounds(v0, v1, v2, v3, n):
    for _ in range(n):
        v0 = (v0 + v1) & MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash24(key, data: bytes) -> int:
    """SipHash-2-4 of ``data`` under the 128-bit key ``(k0, k1)``: an unsigned 64-bit int.

    Each little-endian 8-byte word m is absorbed as ``v3 ^= m; 2 rounds; v0 ^= m``; the last
    word holds the leftover bytes and the length (mod 256) in its top byte; then
    ``v2 ^= 0xff`` and 4 rounds, and the result is v0 ^ v1 ^ v2 ^ v3.
    """
    k0, k1 = (int(k) & MASK for k in key)
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573
    n = len(data)
    full = n - n % 8
    words = [int.from_bytes(data[i:i + 8], "little") for i in range(0, full, 8)]
    words.append(((n & 0xFF) << 56) | int.from_bytes(data[full:], "little"))
    for m in words:
        v3 ^= m
        v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    v2 ^= 0xFF
    v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def value_text(value) -> bytes:
    """The bytes TensorFlow hashes for a value: a string's UTF-8, bytes as they are, an
    integer's decimal digits (``tf.as_string``), a bool "true"/"false"."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bool, np.bool_)):
        return b"true" if value else b"false"
    return str(int(value)).encode()


def hash_values(values, salt=None):
    """The uint64 hash of each value of ``values`` (an array of str, bytes or ints): FarmHash
    Fingerprint64, or SipHash-2-4 keyed by ``salt`` (two ints)."""
    values = np.asarray(values)
    if values.size == 0:
        return np.zeros(values.shape, np.uint64)
    unique, inverse = np.unique(values.ravel(), return_inverse=True)
    if salt is None:
        hashes = [fingerprint64(value_text(v)) for v in unique.tolist()]
    else:
        hashes = [siphash24(salt, value_text(v)) for v in unique.tolist()]
    return np.array(hashes, dtype=np.uint64)[inverse.ravel()].reshape(values.shape)


def _shift_mix(v):
    return v ^ (v >> np.uint64(47))


def fingerprint_cat64(a, b):
    """TensorFlow's ``FingerprintCat64`` of two uint64 arrays: a mix of ``b`` into ``a``."""
    with np.errstate(over="ignore"):
        result = a ^ _CAT_MUL
        result = result ^ (_shift_mix(b * _CAT_MUL) * _CAT_MUL)
        result = result * _CAT_MUL
        result = _shift_mix(result) * _CAT_MUL
        return _shift_mix(result)
