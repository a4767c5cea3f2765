import numpy as np
import pytest
import torch
from helpers import check_op

import glassnet as gn
from glassnet.nn import activations, regularizers


def test_regularizer_values_and_gradients():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    check_op(lambda x: regularizers.L1(0.1)(x), lambda x: 0.1 * x.abs().sum(), [(2, 2)],
             kinks=(0.0,))
    check_op(lambda x: regularizers.L2(0.3)(x), lambda x: 0.3 * (x * x).sum(), [(2, 2)])
    check_op(lambda x: regularizers.l1_l2(l1=0.1, l2=0.2)(x),
             lambda x: 0.1 * x.abs().sum() + 0.2 * (x * x).sum(), [(3,)], kinks=(0.0,))
    assert regularizers.get("l2")(gn.tensor(w)).item() == pytest.approx(0.01 * (w ** 2).sum())
    assert regularizers.get("l1").l1 == 0.01
    cfg = regularizers.serialize(regularizers.L1L2(0.1, 0.2))
    assert regularizers.get(cfg).get_config() == {"l1": 0.1, "l2": 0.2}
    with pytest.raises(ValueError, match="Unknown regularizer: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="l2 must be a non-negative number"):
        regularizers.L2(-1)


COMPOSED = {
    "softsign": torch.nn.functional.softsign,
    "relu6": torch.nn.functional.relu6,
    "hard_sigmoid": lambda x: torch.nn.functional.relu6(x + 3) / 6,
    "hard_silu": lambda x: x * torch.nn.functional.relu6(x + 3) / 6,
    "exponential": torch.exp,
    "mish": torch.nn.functional.mish,
    "log_sigmoid": torch.nn.functional.logsigmoid,
    "linear": lambda x: x * 1.0,
}


@pytest.mark.parametrize("name", COMPOSED)
def test_composed_activations_match_torch(name):
    check_op(lambda x: activations.get(name)(x) * 1.0, COMPOSED[name], [(3, 4)], low=-5, high=5,
             kinks=(-3.0, 0.0, 3.0, 6.0))


def test_every_name_resolves_and_round_trips():
    for name, fn in activations.ACTIVATIONS.items():
        assert activations.get(name) is fn
        assert activations.get(activations.serialize(fn)) is fn
    assert activations.get(None) is activations.linear
