import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn

KEYS = [
    1,
    -1,
    slice(1, 3),
    (slice(None), 2),
    (Ellipsis, 0),
    (None, 1),
    (slice(None, None, 2), slice(1, None)),
    [0, 2],
    ([0, 2, 3], [1, 1, 0]),
    (slice(None), [3, 0]),
]


@pytest.mark.parametrize("key", KEYS, ids=repr)
def test_basic_and_integer_array_indexing(key):
    torch_key = tuple(torch.tensor(k) if isinstance(k, list) else k for k in key) \
        if isinstance(key, tuple) else (torch.tensor(key) if isinstance(key, list) else key)
    check_op(lambda x: x[key], lambda x: x[torch_key], [(4, 5)])


def test_repeated_indices_scatter_add():
    idx = [0, 0, 2, 0, 1]
    check_op(lambda x: x[idx], lambda x: x[torch.tensor(idx)], [(3, 2)])
    rows, cols = np.array([1, 1, 1]), np.array([0, 0, 2])
    check_op(lambda x: x[rows, cols], lambda x: x[torch.tensor(rows), torch.tensor(cols)],
             [(2, 3)])
    x = gn.arange(4.0, requires_grad=True)
    x[[0, 0, 3]].sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 0.0, 1.0]


def test_boolean_mask_and_tensor_index():
    mask = np.array([[True, False, True], [False, False, True]])
    check_op(lambda x: x[mask], lambda x: x[torch.tensor(mask)], [(2, 3)])
    check_op(lambda x: x[gn.tensor(mask)], lambda x: x[torch.tensor(mask)], [(2, 3)], seed=2)
    labels = gn.tensor([2, 0])
    check_op(lambda x: x[gn.arange(2), labels], lambda x: x[torch.arange(2), torch.tensor([2, 0])],
             [(2, 3)])


def test_index_errors_name_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 does not fit a tensor of shape \(3,"):
        gn.ones(3, 2)[5]
    with pytest.raises(TypeError, match="index arrays must hold integers or booleans"):
        gn.ones(3)[np.array([0.5])]


# Every advanced-index form (lists, tuples inside a key, arrays, tensors; alone or mixed with
# slices, None and ...) may name a position twice; its gradient must count both.
REPEATED_KEYS = [
    ((slice(None), (0, 0)), (slice(None), [0, 0])),
    ((slice(None), [1, 1, 0]), (slice(None), [1, 1, 0])),
    ([2, 2], [2, 2]),
    (np.array([0, 2, 0]), [0, 2, 0]),
    ((np.array([1, 1]), slice(1, None)), ([1, 1], slice(1, None))),
    ((Ellipsis, (3, 3, 3)), (Ellipsis, [3, 3, 3])),
    ((None, [0, 0], 1), (None, [0, 0], 1)),
    (((0, 0), (1, 1)), ([0, 0], [1, 1])),
    (np.array([[0, 0], [1, 0]]), [[0, 0], [1, 0]]),
]


@pytest.mark.parametrize("key,torch_key", REPEATED_KEYS, ids=repr)
def test_every_advanced_index_form_accumulates_repeats(key, torch_key):
    def to_torch(k):
        return torch.tensor(k) if isinstance(k, list) else k

    tkey = tuple(to_torch(k) for k in torch_key) if isinstance(torch_key, tuple) \
        else to_torch(torch_key)
    check_op(lambda x: x[key], lambda x: x[tkey], [(3, 4)])
    check_op(lambda x: x[gn.tensor(np.asarray(key))] if isinstance(key, np.ndarray) else x[key],
             lambda x: x[tkey], [(3, 4)], seed=3)


def test_tuple_inside_a_key_gives_the_repeated_gradient():
    x = gn.ones(2, 3, requires_grad=True)
    x[:, (0, 0)].sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0, 0.0], [2.0, 0.0, 0.0]]


def test_empty_index_list_selects_nothing():
    check_op(lambda x: x[:, []] * 1.0, lambda x: x[:, torch.tensor([], dtype=torch.long)],
             [(2, 3)])
