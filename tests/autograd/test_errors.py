"""The messages users see for the classic mistakes: never a raw NumPy error."""

import numpy as np
import pytest

import glassnet as gn


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"^matmul: mat1 and mat2 shapes cannot be multiplied "
                                         r"\(100x256 and 128x2\)$"):
        gn.randn(100, 256) @ gn.randn(128, 2)
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3, 4\) and \(5,\) cannot be "
                                         r"multiplied: the last dimension of the first \(4\)"):
        gn.matmul(gn.ones(2, 3, 4), gn.ones(5))
    with pytest.raises(ValueError, match=r"batch dimensions \(2,\) and \(3,\) cannot be "
                                         r"broadcast"):
        gn.ones(2, 3, 4) @ gn.ones(3, 4, 5)
    with pytest.raises(ValueError, match=r"at least one dimension"):
        gn.matmul(gn.tensor(2.0), gn.ones(3))
    with pytest.raises(ValueError, match=r"linear: mat1 and mat2 shapes cannot be multiplied "
                                         r"\(32x100 and 784x128\)"):
        gn.linear(gn.ones(32, 100), gn.ones(784, 128), gn.zeros(128))


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div", "maximum", "pow"])
def test_broadcast_mismatch_names_the_op_and_both_shapes(op):
    with pytest.raises(ValueError, match=rf"^{op}: cannot broadcast shapes \(3, 4\) and \(2,\): "
                                         r"sizes 4 vs 2 at dimension -1"):
        getattr(gn, op)(gn.ones(3, 4), gn.ones(2))


def test_operators_and_where_report_broadcast_mismatches():
    with pytest.raises(ValueError, match=r"add: cannot broadcast shapes \(3, 4\) and \(2,\)"):
        gn.ones(3, 4) + np.ones(2)
    with pytest.raises(ValueError, match=r"where: condition, a and b cannot be broadcast"):
        gn.where(np.ones(3, bool), gn.ones(3, 4), gn.ones(2))
    with pytest.raises(ValueError, match=r"less: cannot broadcast shapes \(3,\) and \(2,\)"):
        _ = gn.ones(3) < gn.ones(2)


def test_asking_a_gradient_of_an_integer_tensor_says_why_not():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        gn.tensor([3, 1, 2]).requires_grad_()
