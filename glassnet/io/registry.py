"""The classes a saved model may name: built-in layers and models, and user classes passed
explicitly as ``custom_objects``. A name outside this table is refused, never imported."""

from __future__ import annotations

import inspect

from glassnet.nn import layers as layers_module
from glassnet.nn.layers.operators import TensorOperator


def builtin_classes():
    from glassnet.train import Model, Sequential

    table = {name: obj for name, obj in vars(layers_module).items()
             if inspect.isclass(obj) and issubclass(obj, layers_module.Layer)}
    # The operators between model tensors (``a + b``, ``out, h, c = lstm(x)``).
    table.update({"Model": Model, "Functional": Model, "Sequential": Sequential,
                  "TensorOperator": TensorOperator})
    return table


def resolve(class_name, custom_objects=None):
    """The class registered as ``class_name``, or a ValueError."""
    custom_objects = custom_objects or {}
    if not isinstance(class_name, str):
        raise ValueError(f"a saved model names its classes with strings; received "
                         f"{class_name!r}")
    if class_name in custom_objects:
        return custom_objects[class_name]
    table = builtin_classes()
    if class_name in table:
        return table[class_name]
    raise ValueError(
        f"the saved model names the class '{class_name}', which is not a glassnet layer or "
        f"model; for a class of your own pass custom_objects={{'{class_name}': YourClass}}. "
        f"Nothing from the file is imported or executed.")
