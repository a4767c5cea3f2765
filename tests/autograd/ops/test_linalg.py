import inspect

import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn
from glassnet.autograd.ops.linalg import einsum, inner, kron, outer, tensordot, vdot

EINSUM_CASES = [
    ("ij->", [(3, 4)]),  # sum
    ("ij->ji", [(3, 4)]),  # transpose
    ("ii->", [(4, 4)]),  # trace
    ("ii->i", [(4, 4)]),  # diagonal
    ("ii", [(3, 3)]),  # implicit trace
    ("iij->ji", [(3, 3, 2)]),  # diagonal of a batch, then transposed
    ("ij->i", [(3, 4)]),
    ("i,j->ij", [(3,), (4,)]),  # outer
    ("i,i->", [(5,), (5,)]),  # dot
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),  # implicit output
    ("ba,aB", [(2, 3), (3, 4)]),  # implicit: A-Z before a-z
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),  # batch matmul
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
    ("ij,ij->ij", [(3, 4), (3, 4)]),  # elementwise
    ("ij,ij->", [(3, 4), (3, 4)]),
    ("ij,kl->ijkl", [(2, 3), (2, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),  # three-operand chain
    ("bi,bij,bj->b", [(2, 3), (2, 3, 4), (2, 4)]),  # bilinear form
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
    ("ij,jk->", [(2, 3), (3, 4)]),  # everything summed
    ("ij,k->ik", [(2, 3), (4,)]),  # a letter summed out of one operand only
    ("ii,ij->j", [(3, 3), (3, 4)]),  # a diagonal meeting another operand
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk", [(2, 2, 3, 4), (4, 5)]),  # ellipsis, implicit output
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (3, 4, 2)]),  # broadcast ellipsis
    ("i...->...", [(3, 2, 4)]),
    ("ij,ij->ij", [(1, 4), (3, 1)]),  # size-1 axes broadcast
    ("ij,jk->ik", [(2, 1), (3, 4)]),  # a size-1 summed axis meets size 3
    ("bij,bjk->bik", [(1, 3, 4), (2, 4, 5)]),
    ("i,i->i", [(1,), (4,)]),
    (",ij->ij", [(), (2, 3)]),  # a 0-d operand
    ("ii,i->i", [(3, 3), (1,)]),  # a diagonal meeting a broadcast axis
    ("ij,j->", [(1, 3), (3,)]),
    ("bii->b", [(2, 3, 3)]),  # batched trace
]


@pytest.mark.parametrize("subscripts,shapes", EINSUM_CASES)
def test_einsum_like_torch(subscripts, shapes):
    check_op(lambda *xs: einsum(subscripts, *xs), lambda *xs: torch.einsum(subscripts, *xs),
             shapes)


def test_einsum_forward_like_numpy():
    rng = np.random.default_rng(1)
    for subscripts, shapes in EINSUM_CASES:
        arrays = [rng.standard_normal(s) for s in shapes]
        np.testing.assert_allclose(einsum(subscripts, *arrays).numpy(),
                                   np.einsum(subscripts, *arrays), rtol=1e-5, atol=1e-5)


def test_einsum_keeps_float32_and_casts_integers():
    a = np.arange(6).reshape(2, 3)
    y = einsum("ij,jk->ik", a, np.ones((3, 2), np.float32))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y.numpy(), a @ np.ones((3, 2)))
    assert einsum("ij->", a).numpy() == 15  # all integers stay integers


def test_einsum_spaces_and_numbers():
    assert einsum("i j -> j i", gn.ones((2, 3))).shape == (3, 2)
    assert einsum(",", 2.0, 3.0).item() == 6.0


@pytest.mark.parametrize("subscripts,shapes,message", [
    ("ij,jk->ik", [(2, 3)], "name 2 operand"),
    ("ij->ik", [(2, 3)], "'k' appears in no operand"),
    ("ij->ii", [(2, 2)], "more than once"),
    ("ijk->i", [(2, 3)], "shape (2, 3)"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "size 3 in one operand and 4"),
    ("ii->i", [(2, 3)], "diagonal needs equal sizes"),
    ("i2->i", [(2, 3)], "'2'"),
    ("...i->i", [(2, 3)], "no '...'"),
    ("i->i->i", [(2,)], "more than once"),
])
def test_einsum_bad_input(subscripts, shapes, message):
    with pytest.raises(ValueError, match="einsum") as info:
        einsum(subscripts, *[np.ones(s) for s in shapes])
    assert message in str(info.value)


def test_einsum_type_errors():
    with pytest.raises(TypeError, match="subscripts must be a string"):
        einsum(["ij"], np.ones((2, 2)))
    with pytest.raises(ValueError, match="at least one operand"):
        einsum("ij")


@pytest.mark.parametrize("shapes,axes", [
    ([(2, 3, 4), (3, 4, 5)], 2),
    ([(2, 3), (3, 4)], 1),
    ([(2, 3), (4, 5)], 0),
    ([(2, 3), (3, 2)], ([0, 1], [1, 0])),
    ([(3, 4, 2), (2, 3)], ([0, -1], [1, 0])),
    ([(2, 3, 4), (4, 5)], (2, 0)),  # single axes, as NumPy allows
])
def test_tensordot(shapes, axes):
    t_axes = axes if not isinstance(axes, tuple) else tuple(np.atleast_1d(a).tolist()
                                                            for a in axes)
    check_op(lambda a, b: tensordot(a, b, axes), lambda a, b: torch.tensordot(a, b, t_axes),
             shapes)


def test_tensordot_bad_input():
    with pytest.raises(ValueError, match="axes=3"):
        tensordot(np.ones((2, 3)), np.ones((3, 2)), 3)
    with pytest.raises(ValueError, match="has size 3 but axis 0 of b"):
        tensordot(np.ones((2, 3)), np.ones((4, 2)), 1)
    with pytest.raises(ValueError, match="same number"):
        tensordot(np.ones((2, 3)), np.ones((3, 2)), ([0, 1], [1]))
    with pytest.raises(TypeError, match="axes must be"):
        tensordot(np.ones((2, 3)), np.ones((3, 2)), "x")


@pytest.mark.parametrize("shapes", [[(3,), (4,)], [(2, 2), (3,)], [(), (3,)]])
def test_outer_flattens(shapes):
    check_op(outer, lambda a, b: torch.outer(a.reshape(-1), b.reshape(-1)), shapes)


@pytest.mark.parametrize("shapes", [[(4,), (4,)], [(2, 3), (4, 5, 3)], [(3,), ()], [(), ()]])
def test_inner(shapes):
    check_op(inner, torch.inner, shapes)
    arrays = [np.ones(s) for s in shapes]
    assert inner(*arrays).shape == np.inner(*arrays).shape


@pytest.mark.parametrize("shapes", [[(4,), (4,)], [(2, 3), (3, 2)], [(6,), (2, 3)]])
def test_vdot(shapes):
    check_op(vdot, lambda a, b: torch.dot(a.reshape(-1), b.reshape(-1)), shapes)


@pytest.mark.parametrize("shapes", [[(2, 3), (3, 2)], [(2,), (3,)], [(2, 3), (4,)],
                                    [(2,), (2, 3, 2)], [(), (2, 2)]])
def test_kron(shapes):
    check_op(kron, torch.kron, shapes)
    arrays = [np.random.default_rng(2).standard_normal(s) for s in shapes]
    np.testing.assert_allclose(kron(*arrays).numpy(), np.kron(*arrays), rtol=1e-6)


def test_products_bad_input():
    with pytest.raises(ValueError, match="inner: the last axes"):
        inner(np.ones((2, 3)), np.ones(4))
    with pytest.raises(ValueError, match="vdot: .*same number of elements"):
        vdot(np.ones(3), np.ones(4))


def test_top_level_names_and_same_tensor_twice():
    # the top level wraps each op for keras.Input tensors; unwrapped, it is the op itself
    assert all(inspect.unwrap(getattr(gn, f.__name__)) is f for f in (einsum, kron, tensordot))
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    gn.einsum("i,i->", x, x).backward()  # both uses of x add up: d(x . x) = 2x
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])


def test_einsum_attention_scores_match_matmul():
    rng = np.random.default_rng(3)
    q, k = rng.standard_normal((2, 4, 5, 8)), rng.standard_normal((2, 4, 6, 8))
    np.testing.assert_allclose(einsum("bhqd,bhkd->bhqk", q, k).numpy(),
                               q @ np.swapaxes(k, -1, -2), rtol=1e-5, atol=1e-5)


def test_einsum_empty_axes():
    a = gn.tensor(np.zeros((0, 3)), requires_grad=True)
    b = gn.tensor(np.ones((3, 2)), requires_grad=True)
    y = einsum("ij,jk->ik", a, b)
    assert y.shape == (0, 2)
    y.sum().backward()
    assert a.grad.shape == (0, 3) and not b.grad.any()
