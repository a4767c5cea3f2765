"""Where a model's training loop runs: its batches go to the device its weights are on.

A model runs where its weights are (``model.to("gpu")``, or built inside
``with glassnet.device("gpu"):``). On a GPU each batch is copied to the device once, at the
start of its step, and the logs stay there as 0-d device arrays: they are copied back only
when something reads them (a callback's batch hook, the end of an epoch, ``evaluate``'s
result), so a step runs without waiting for the GPU.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor


def model_device(model) -> backend.Device:
    """The model's device: where ``model.to`` put it, else where its weights are, else the
    current device (an unbuilt model builds its weights there)."""
    placed = getattr(model, "_device", None)
    if placed is not None:
        return backend.Device.parse(placed)
    for w in model.weights:
        return backend.device_of(w.data)
    return backend.current_device()


def batch_to_device(data, device):
    """``data`` (arrays, tensors, and tuples, lists and dicts of them) on ``device``."""
    if isinstance(data, np.ndarray):
        return backend.to_device(data, device)
    if isinstance(data, Tensor):
        return data if backend.device_of(data.data) == device else \
            Tensor._from_op(backend.to_device(data.data, device), None)
    if isinstance(data, tuple):
        return tuple(batch_to_device(d, device) for d in data)
    if isinstance(data, list):
        return [batch_to_device(d, device) for d in data]
    if isinstance(data, dict):
        return {k: batch_to_device(v, device) for k, v in data.items()}
    return data


def on_gpu(device) -> bool:
    return device.kind == "gpu"


def host_logs(logs):
    """The logs with device values (0-d arrays, tensors on a GPU) as Python floats."""
    return {k: host_value(v) for k, v in logs.items()}


def host_value(v):
    if isinstance(v, Tensor):
        v = v.data
    if backend.on_device(v):
        return float(v) if v.ndim == 0 else backend.to_host(v)
    return v
