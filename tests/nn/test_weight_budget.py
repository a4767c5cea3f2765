"""weight_budget: a loader's limit on the weights a config may ask for, checked before
allocating."""

import tracemalloc

import pytest

from glassnet.nn.layer import WeightBudgetError, weight_budget
from glassnet.nn.layers import Dense


def test_a_weight_past_the_budget_is_refused_before_it_is_allocated():
    tracemalloc.start()
    try:
        with weight_budget(10 ** 6), pytest.raises(WeightBudgetError,
                                                   match=r"'kernel' of shape \(4, 10+\)"):
            Dense(10 ** 12, name="huge").build((None, 4))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 ** 6


def test_the_budget_counts_every_weight_in_the_block_and_ends_with_it():
    with weight_budget(4 * 3 + 3):
        Dense(3).build((None, 4))  # kernel 12 + bias 3: exactly the budget
        with pytest.raises(WeightBudgetError, match="bias|kernel"):
            Dense(1).build((None, 1))
    Dense(100).build((None, 100))  # no budget outside the block
