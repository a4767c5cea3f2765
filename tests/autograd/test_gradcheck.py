"""gradcheck: passes on correct ops, catches a wrong backward, validates its arguments."""

import numpy as np
import pytest

import glassnet
from glassnet.autograd import Function
from glassnet.autograd.gradcheck import GradcheckError, gradcheck


class WrongSquare(Function):
    """x**2 with a backward that forgets the factor 2 on the last element only."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        g = 2 * self.x * gy
        g.reshape(-1)[-1] /= 2
        return g


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("fast_mode", [False, True])
def test_passes_on_correct_ops(fast_mode):
    x, w = rand(3, 4), rand(4, 2, seed=1)
    assert gradcheck(glassnet.tanh, x, fast_mode=fast_mode) is True
    assert gradcheck(glassnet.matmul, (x, w), fast_mode=fast_mode) is True
    assert gradcheck(lambda t: glassnet.softmax(t, axis=-1), (x,), fast_mode=fast_mode)


def test_tensor_inputs_and_several_outputs():
    x = glassnet.tensor(rand(2, 3), dtype="float64", requires_grad=True)
    c = glassnet.tensor(rand(2, 3, seed=2), dtype="float64")  # not differentiated
    assert gradcheck(lambda a, b: (a * b, glassnet.tanh(a).sum()), (x, c))


def test_wrong_backward_raises_naming_input_and_element():
    x = rand(2, 3)
    with pytest.raises(GradcheckError, match=r"output 0 with respect to input 0.*input "
                                             r"element 5") as err:
        gradcheck(lambda t: WrongSquare()(t), (x,))
    assert isinstance(err.value, RuntimeError)
    assert gradcheck(lambda t: WrongSquare()(t), (x,), raise_exception=False) is False


def test_wrong_backward_names_second_input():
    x, y = rand(3), rand(3, seed=1)
    with pytest.raises(GradcheckError, match="with respect to input 1"):
        gradcheck(lambda a, b: a * 2 + WrongSquare()(b), (x, y))


def test_caller_arrays_untouched():
    x = rand(2, 2)
    before = x.copy()
    gradcheck(glassnet.tanh, x)
    np.testing.assert_array_equal(x, before)


def test_float32_warns():
    x = rand(3).astype(np.float32)
    with pytest.warns(UserWarning, match="not float64"):
        gradcheck(glassnet.tanh, x, atol=1e-2, rtol=1e-2, eps=1e-3)


def test_bad_arguments():
    with pytest.raises(TypeError, match="callable"):
        gradcheck(3, rand(2))
    with pytest.raises(ValueError, match="eps"):
        gradcheck(glassnet.tanh, rand(2), eps=0)
    with pytest.raises(ValueError, match="none of the inputs"):
        gradcheck(glassnet.tanh, glassnet.tensor(rand(2), dtype="float64"))
    with pytest.raises(TypeError, match="must be a Tensor"):
        gradcheck(lambda t: 1.0, rand(2))
    with pytest.raises(ValueError, match="empty"):
        gradcheck(glassnet.tanh, ())


def test_fast_mode_catches_wrong_backward_and_names_output():
    x = rand(4)
    with pytest.raises(GradcheckError, match="random projection"):
        gradcheck(lambda t: WrongSquare()(t), (x,), fast_mode=True)
    with pytest.raises(GradcheckError, match="output 1 with respect to input 0"):
        gradcheck(lambda t: (glassnet.tanh(t), WrongSquare()(t)), (x,))
