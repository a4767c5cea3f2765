"""Products of tensors: einsum, tensordot, outer, inner, vdot, kron.

``einsum`` is the one primitive here (one ``Function`` with a hand-written backward); the
others are einsum expressions (plus a reshape), so their gradients come from it.

How einsum reaches the BLAS: ``np.einsum(..., optimize="greedy")`` contracts the operands
two at a time in the order ``np.einsum_path`` picks, each pair on the BLAS (batched pairs
too, in NumPy 2). Measured against our own pairwise ``np.matmul`` on transposed and
reshaped operands (float32, one thread, NumPy 2.4, best of 7), NumPy's was as fast or
faster everywhere, so it is used: "bij,bjk->bik" (32, 64, 64) 0.41 vs 0.42 ms, (4, 8, 8)
0.036 vs 0.069 ms; "bhqd,bhkd->bhqk" (8, 8, 128, 64) 2.8 vs 3.4 ms; "ij,jk,kl->il"
(256 squared) 1.0 vs 1.6 ms; "bij,bjk,bkl->bil" (16, 64, 64) 0.22 vs 0.75 ms. Without
``optimize`` NumPy does not use the BLAS (the 256 chain takes 5 s).
"""

from __future__ import annotations

import string

import numpy as np

from glassnet import backend
from glassnet.autograd.ops._operands import constant, normalize_axis
from glassnet.autograd.ops.arithmetic import mul
from glassnet.autograd.ops.shape import reshape
from glassnet.autograd.tensor import Function, Tensor

__all__ = ["einsum", "inner", "kron", "outer", "tensordot", "vdot"]

_LETTERS = string.ascii_uppercase + string.ascii_lowercase  # NumPy's implicit order: A-Z, a-z


# ---------------------------------------------------------------- parsing the subscripts


def _split_terms(subscripts, n_operands):
    """(input terms, output term or None) with spaces removed; the characters checked."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: subscripts must be a string; received {subscripts!r}")
    s = subscripts.replace(" ", "")
    if s.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} contain '->' more than once")
    lhs, _, out = s.partition("->")
    explicit = "->" in s
    terms = lhs.split(",")
    if len(terms) != n_operands:
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) but "
            f"{n_operands} were given"
        )
    for term in [*terms, out]:
        rest = term.replace("...", "", 1)
        bad = [c for c in rest if c not in _LETTERS]
        if bad:
            raise ValueError(
                f"einsum: subscripts {subscripts!r} contain {bad[0]!r}; expected letters "
                f"a-z, A-Z, ',', '->' and at most one '...' per operand"
            )
    return terms, (out if explicit else None)


def _parse(subscripts, shapes):
    """The subscripts in explicit form with every ``...`` replaced by letters.

    Returns (terms, out): one string per operand with one letter per axis, and the
    output's letters; sizes are checked (equal, or 1 meeting n: broadcast).
    """
    terms, out = _split_terms(subscripts, len(shapes))
    used = set("".join(terms) + (out or ""))
    free = [c for c in _LETTERS if c not in used]
    ell_ndims = []
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." in term and len(shape) >= named:
            ell_ndims.append(len(shape) - named)
        elif "..." not in term and len(shape) == named:
            ell_ndims.append(0)
        else:
            raise ValueError(
                f"einsum: operand {k} has shape {tuple(shape)} ({len(shape)} dimensions) but "
                f"its subscripts {term!r} name {named}"
                + (" and no '...'" if "..." not in term else "")
            )
    n_ell = max(ell_ndims, default=0)
    if n_ell > len(free):
        raise ValueError(f"einsum: too many dimensions for the 52 letters ({subscripts!r})")
    ell = "".join(free[:n_ell])
    terms = [t.replace("...", ell[n_ell - e:]) for t, e in zip(terms, ell_ndims)]
    if out is None:
        counts = {c: "".join(terms).count(c) for c in set("".join(terms)) - set(ell)}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    elif "..." in out:
        out = out.replace("...", ell)
    elif n_ell:
        raise ValueError(
            f"einsum: the operands have {n_ell} dimension(s) under '...' but the output "
            f"subscripts of {subscripts!r} have no '...' to keep them"
        )
    for c in out:
        if out.count(c) > 1:
            raise ValueError(f"einsum: output subscript {c!r} appears more than once")
        if not any(c in t for t in terms):
            raise ValueError(f"einsum: output subscript {c!r} appears in no operand")
    _check_sizes(terms, shapes)
    return terms, out


def _check_sizes(terms, shapes):
    sizes = {}
    for k, (term, shape) in enumerate(zip(terms, shapes)):
        own = {}
        for c, n in zip(term, shape):
            if own.setdefault(c, n) != n:
                raise ValueError(
                    f"einsum: operand {k} (shape {tuple(shape)}) repeats subscript {c!r} "
                    f"on axes of sizes {own[c]} and {n}; a diagonal needs equal sizes"
                )
            if sizes.get(c, 1) not in (1, n) and n != 1:
                raise ValueError(
                    f"einsum: subscript {c!r} has size {sizes[c]} in one operand and {n} in "
                    f"operand {k} (shape {tuple(shape)}); sizes must match or be 1"
                )
            sizes[c] = max(sizes.get(c, 1), n)


# ---------------------------------------------------------------- contracting (no graph)


def _contract(terms, out, arrays):
    """The einsum ``terms -> out`` on arrays: pairwise, in NumPy's greedy order, each pair
    on the BLAS (see the module docstring); one operand needs no path."""
    expr = f"{','.join(terms)}->{out}"
    return np.einsum(expr, *arrays, optimize="greedy" if len(arrays) > 1 else False)


# ---------------------------------------------------------------- the op


class Einsum(Function):
    """y = einsum(terms -> out, x_1, ..., x_n): the sum, over every letter not in ``out``, of
    the product of the operands (a repeated letter within one operand takes its diagonal).

    Gradient of operand k with term t_k:  dx_k = einsum(out, t_j (j != k) -> t_k, gy, x_j),
    the upstream gradient contracted with the other operands. Three cases need care:
    letters that only x_k carries were summed out, so dx_k is constant along them
    (broadcast); an axis of size 1 that the product broadcast gets its gradient summed back
    to size 1; a repeated letter (``ii``) receives the gradient on its diagonal only, zeros
    elsewhere.
    """

    def __init__(self, terms, out):
        self.terms, self.out = terms, out

    def forward(self, *arrays):
        self.arrays = arrays
        return _contract(self.terms, self.out, arrays)

    def backward(self, gy):
        return tuple(
            self._grad(k, gy) if need else None for k, need in enumerate(self.needs_input_grad)
        )

    def _grad(self, k, gy):
        x, term = self.arrays[k], self.terms[k]
        other_terms = [t for j, t in enumerate(self.terms) if j != k]
        others = [a for j, a in enumerate(self.arrays) if j != k]
        unique = "".join(c for i, c in enumerate(term) if c not in term[:i])
        reached = set(self.out).union(*other_terms)
        have = "".join(c for c in unique if c in reached)
        g = _contract([self.out, *other_terms], have, [gy, *others])
        own = dict(zip(term, x.shape))
        # broadcast axes (size 1 in x, n in the product): sum back to 1
        summed = tuple(i for i, c in enumerate(have) if own[c] == 1 and g.shape[i] != 1)
        if summed:
            g = g.sum(axis=summed, keepdims=True)
        # letters only x carries, and size-1 partners of x's size-n axes: constant there
        g = g.reshape([g.shape[have.index(c)] if c in have else 1 for c in unique])
        full = tuple(own[c] for c in unique)
        xp = backend.get_array_module(gy)
        if g.shape != full:
            g = xp.array(np.broadcast_to(g, full))  # a writable copy, not a strided view
        if unique == term:
            return g.astype(gy.dtype, copy=False)
        gx = xp.zeros(x.shape, dtype=gy.dtype)
        # a writable view of the diagonal (CuPy's one-operand einsum is a view too)
        np.einsum(f"{term}->{unique}", gx)[...] = g
        return gx


def _as_operands(values):
    """Tensors; integer ones meeting a float one take its dtype (as ``operands`` does)."""
    tensors = [constant(v) for v in values]
    if backend.get_array_module(*[t.data for t in tensors]) is not np:
        # arrays and numbers go beside the GPU operands
        where = backend.device_of(next(t.data for t in tensors if backend.on_device(t.data)))
        tensors = [v if isinstance(v, Tensor) else
                   Tensor._from_op(backend.to_device(t.data, where), None)
                   for v, t in zip(values, tensors)]
    floats = [t.data.dtype for t in tensors if t.data.dtype.kind == "f"]
    if not floats:
        return tensors
    # integer tensors cannot require grad, so a plain cast outside the graph is enough
    return [t if t.data.dtype.kind == "f" else Tensor._from_op(t.data.astype(floats[0]), None)
            for t in tensors]


def einsum(subscripts, *operands) -> Tensor:
    """Einstein summation over ``operands`` as ``numpy.einsum`` (not its ``optimize`` or
    ``out`` arguments): explicit (``"ij,jk->ik"``) or implicit (``"ij,jk"``: the letters
    seen once, in alphabetical order, A-Z before a-z) output, ``...`` for broadcast leading
    axes, repeated letters in one operand for traces and diagonals (``"ii->"``,
    ``"ii->i"``), and size-1 axes broadcast against size n.

    .. math:: y_{out} = \\sum_{letters \\notin out} \\prod_k x_k[t_k]

    Args:
        subscripts: the terms, e.g. ``"bhqd,bhkd->bhqk"``.
        *operands: tensors, arrays or numbers, one per term.

    >>> import glassnet as gn
    >>> einsum("ij,jk->ik", gn.ones((2, 3)), gn.ones((3, 4))).shape
    (2, 4)
    >>> einsum("ii", gn.eye(3)).item()
    3.0
    """
    if not operands:
        raise ValueError("einsum: expected at least one operand after the subscripts")
    tensors = _as_operands(operands)
    terms, out = _parse(subscripts, [t.shape for t in tensors])
    return Einsum(terms, out)(*tensors)


# ---------------------------------------------------------------- products built on einsum


def _tensordot_axes(axes, nda, ndb):
    """``axes`` (an int n, or a pair of int-or-sequence) as two lists of non-negative axes."""
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        if not 0 <= axes <= min(nda, ndb):
            raise ValueError(
                f"tensordot: axes={axes} must be between 0 and the smaller number of "
                f"dimensions ({min(nda, ndb)}) of operands with {nda} and {ndb} dimensions"
            )
        return list(range(nda - axes, nda)), list(range(axes))
    try:
        axes_a, axes_b = axes
    except (TypeError, ValueError):
        raise TypeError(
            f"tensordot: axes must be an int or a pair of axis sequences; received {axes!r}"
        ) from None
    axes_a = normalize_axis(axes_a, nda, "tensordot")
    axes_b = normalize_axis(axes_b, ndb, "tensordot")
    if len(axes_a) != len(axes_b):
        raise ValueError(
            f"tensordot: axes {axes!r} name {len(axes_a)} axes of a but {len(axes_b)} of b; "
            f"expected the same number"
        )
    return list(axes_a), list(axes_b)


def tensordot(a, b, axes=2) -> Tensor:
    """Sum of products over ``axes`` of ``a`` and ``b``, as ``numpy.tensordot``.

    ``axes=n`` pairs the last n axes of a with the first n of b; ``axes=(axes_a, axes_b)``
    pairs them one by one. The result has a's remaining axes, then b's.

    .. math:: y[i, j] = \\sum_k a[i, k] b[k, j]  (gradients as einsum's)

    >>> import glassnet as gn
    >>> tensordot(gn.ones((2, 3, 4)), gn.ones((3, 4, 5))).shape
    (2, 5)
    """
    a, b = _as_operands([a, b])
    axes_a, axes_b = _tensordot_axes(axes, a.ndim, b.ndim)
    if a.ndim + b.ndim > len(_LETTERS):
        raise ValueError(f"tensordot: at most {len(_LETTERS)} dimensions in all are supported")
    for i, j in zip(axes_a, axes_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of a (shape {a.shape}) has size {a.shape[i]} but axis "
                f"{j} of b (shape {b.shape}) has size {b.shape[j]}; summed axes must match"
            )
    ta = list(_LETTERS[: a.ndim])
    tb = list(_LETTERS[a.ndim: a.ndim + b.ndim])
    for i, j in zip(axes_a, axes_b):
        tb[j] = ta[i]
    out = [c for i, c in enumerate(ta) if i not in axes_a]
    out += [c for j, c in enumerate(tb) if j not in axes_b]
    return einsum(f"{''.join(ta)},{''.join(tb)}->{''.join(out)}", a, b)


def outer(a, b) -> Tensor:
    """y[i, j] = a_flat[i] * b_flat[j]; the inputs are flattened first, as ``numpy.outer``.

    >>> outer([1.0, 2.0], [1.0, 10.0, 100.0]).shape
    (2, 3)
    """
    a, b = _as_operands([a, b])
    return einsum("i,j->ij", reshape(a, (-1,)), reshape(b, (-1,)))


def inner(a, b) -> Tensor:
    """Sum of products over the last axis, as ``numpy.inner``: the result has shape
    ``a.shape[:-1] + b.shape[:-1]``; a 0-d operand multiplies the other.

    .. math:: y[i..., j...] = \\sum_k a[i..., k] b[j..., k]

    >>> inner([1.0, 2.0, 3.0], [1.0, 1.0, 1.0]).item()
    6.0
    """
    a, b = _as_operands([a, b])
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"inner: the last axes must have the same size; received shapes {a.shape} and "
            f"{b.shape} ({a.shape[-1]} vs {b.shape[-1]})"
        )
    ta, tb = _LETTERS[: a.ndim - 1], _LETTERS[a.ndim - 1: a.ndim + b.ndim - 2]
    return einsum(f"{ta}z,{tb}z->{ta}{tb}", a, b)


def vdot(a, b) -> Tensor:
    """The dot product of the flattened inputs (real: no conjugation), as ``numpy.vdot``.

    .. math:: y = \\sum_i a_{flat}[i] b_{flat}[i]

    >>> vdot([[1.0, 2.0], [3.0, 4.0]], [[1.0, 1.0], [1.0, 1.0]]).item()
    10.0
    """
    a, b = _as_operands([a, b])
    if a.size != b.size:
        raise ValueError(
            f"vdot: the inputs must have the same number of elements; received shapes "
            f"{a.shape} ({a.size}) and {b.shape} ({b.size})"
        )
    return einsum("i,i->", reshape(a, (-1,)), reshape(b, (-1,)))


def kron(a, b) -> Tensor:
    """The Kronecker product, as ``numpy.kron``: the operand with fewer axes gets leading
    1s, and y[i * b.shape + k] = a[i] * b[k] along every axis.

    Written as the outer product with a's and b's axes interleaved, reshaped to
    (a_0 * b_0, a_1 * b_1, ...).

    >>> kron([[1.0, 2.0]], [[1.0], [10.0]]).numpy().tolist()
    [[1.0, 2.0], [10.0, 20.0]]
    """
    a, b = _as_operands([a, b])
    nd = max(a.ndim, b.ndim)
    if 2 * nd > len(_LETTERS):
        raise ValueError(f"kron: at most {len(_LETTERS) // 2} dimensions are supported")
    sa = (1,) * (nd - a.ndim) + tuple(a.shape)
    sb = (1,) * (nd - b.ndim) + tuple(b.shape)
    ta, tb = _LETTERS[:nd], _LETTERS[nd: 2 * nd]
    out = "".join(x + y for x, y in zip(ta, tb))
    y = einsum(f"{ta},{tb}->{out}", reshape(a, sa), reshape(b, sb))
    return reshape(y, tuple(m * n for m, n in zip(sa, sb)))
