import numpy as np
import pytest
import torch

import glassnet.autograd as ag
from glassnet.autograd.creation import arange, eye, linspace


@pytest.mark.parametrize("start,stop,num,endpoint", [(0, 1, 5, True), (-2.5, 3, 7, False),
                                                     (1, 1, 3, True), (0, 10, 1, True),
                                                     (0, 1, 0, True), (5, -5, 11, True)])
def test_linspace(start, stop, num, endpoint):
    ours = linspace(start, stop, num, endpoint=endpoint)
    assert ours.dtype == np.float32 and ours.shape == (num,)
    np.testing.assert_allclose(ours.numpy(), np.linspace(start, stop, num, endpoint=endpoint),
                               rtol=1e-6, atol=1e-7)
    if endpoint:
        np.testing.assert_allclose(ours.numpy(), torch.linspace(start, stop, num).numpy(),
                                   rtol=1e-6, atol=1e-6)


def test_linspace_dtype_and_grad():
    assert linspace(0, 1, 3, dtype="float64").dtype == np.float64
    assert linspace(0, 10, 4, dtype="int32").tolist() == [0, 3, 6, 10]
    x = linspace(0, 1, 4, requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad, 2 * np.linspace(0, 1, 4), rtol=1e-6)
    with pytest.raises(ValueError, match=r"linspace: num must be a non-negative integer; "
                                         r"received num=-1"):
        linspace(0, 1, -1)


@pytest.mark.parametrize("n,m,k", [(3, None, 0), (3, 4, 1), (4, 2, -1), (2, 2, 5)])
def test_eye(n, m, k):
    ours = eye(n, m, k=k)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours.numpy(), np.eye(n, m, k))
    assert eye(n, m, k, "float64").dtype == np.float64
    with pytest.raises(ValueError, match=r"eye: k must be an integer; received k=0.5"):
        eye(2, k=0.5)
    with pytest.raises(ValueError, match=r"eye: n must be a non-negative integer; received "
                                         r"n=-1"):
        eye(-1)


def test_arange_keras_style_arguments():
    assert arange(3, step=None).tolist() == [0, 1, 2]
    assert arange(1, 7, 2, dtype="float32").tolist() == [1.0, 3.0, 5.0]
    assert ag.arange(0.0, 1.0, 0.5).dtype == np.float32
    with pytest.raises(ValueError, match=r"arange: step must not be 0"):
        arange(0, 3, 0)
