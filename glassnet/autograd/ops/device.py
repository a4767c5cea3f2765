"""Moving a tensor between the CPU and a GPU, differentiably."""

from __future__ import annotations

from glassnet import backend
from glassnet.autograd.ops._operands import constant
from glassnet.autograd.tensor import Function, Tensor


class ToDevice(Function):
    """y = x, copied to another device;  dx = gy, copied back to where x was."""

    def __init__(self, target):
        self.target = target

    def forward(self, x):
        self.source = backend.device_of(x)
        return backend.to_device(x, self.target)

    def backward(self, gy):
        return backend.to_device(gy, self.source)


def to_device(x, device) -> Tensor:
    """``x`` on ``device`` (``"cpu"``, ``"gpu"``, ``"gpu:1"``); ``x`` itself when already there.

    >>> import glassnet
    >>> t = glassnet.ones(2)
    >>> t.to("cpu") is t
    True
    """
    x = constant(x)
    target = backend.Device.parse(device)
    if backend.device_of(x.data) == target:
        return x
    return ToDevice(target)(x)
