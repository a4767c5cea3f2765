import pytest
import torch
import torch.nn.functional as F
from helpers import check_op

import glassnet as gn


@pytest.mark.parametrize("shape,axis", [((4, 6), -1), ((2, 3, 5), (1, 2)), ((6, 4), 0),
                                        ((2, 3, 3, 4), (0, 1, 2))])
def test_standardize_matches_torch(shape, axis):
    axes = axis if isinstance(axis, tuple) else (axis,)

    def theirs(x):
        mean = x.mean(dim=axes, keepdim=True)
        var = x.var(dim=axes, keepdim=True, correction=0)
        return (x - mean) / torch.sqrt(var + 1e-3)

    check_op(lambda x: gn.standardize(x, axis, 1e-3), theirs, [shape])


def test_standardize_last_axis_is_layer_norm_and_batch_axes_are_batch_norm():
    check_op(lambda x: gn.standardize(x, -1, 1e-5), lambda x: F.layer_norm(x, (5,)), [(3, 5)])
    check_op(lambda x: gn.standardize(x, 0, 1e-5),
             lambda x: F.batch_norm(x, None, None, training=True), [(8, 3)])
