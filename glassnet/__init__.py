"""glassnet: deep learning from first principles.

A reverse-mode autodiff engine over NumPy whose every formula sits next to its gradient, and
(in the packages built on it) a layer system with Keras semantics.

The top level is also TensorFlow's (``import glassnet as tf``): ``tf.constant``,
``tf.reduce_sum``, ``tf.GradientTape``, ``tf.math``, ``tf.nn``, ``tf.keras``, ``tf.data``...
(see ``glassnet.tf``); where TensorFlow and glassnet's ops use one name with different
arguments, the name here takes TensorFlow's, and ``glassnet.autograd.ops`` keeps the op's.

>>> import glassnet
>>> x = glassnet.tensor([1.0, -2.0, 3.0], requires_grad=True)
>>> glassnet.relu(x).sum().backward()
>>> x.grad.tolist()
[1.0, 0.0, 1.0]
"""

__version__ = "0.2.0"

import importlib as _importlib

from glassnet import losses, metrics, nn, optim  # noqa: E402
from glassnet.autograd import *  # noqa: E402, F403 - tensors and ops are the top-level API
from glassnet.autograd import __all__ as _autograd_all  # noqa: E402
from glassnet.autograd.tape import GradientTape, UnconnectedGradients  # noqa: E402
from glassnet.autograd.tensor_shape import TensorShape  # noqa: E402
from glassnet.autograd.variable import Variable  # noqa: E402

# glassnet.device raises when there is no GPU; tf.device falls back to the CPU (soft placement)
from glassnet.backend import (  # noqa: E402
    Device,
    current_device,
    device,  # noqa: E402, F811
    floatx,
    get_array_module,
    gpu_available,
    memory_info,
    seed,
    set_floatx,
)
from glassnet.kernels.threads import get_num_threads, set_num_threads  # noqa: E402

# TensorFlow's names last, so that they win where they share a name with an op
from glassnet.tf import *  # noqa: E402, F403
from glassnet.tf import __all__ as _tf_all  # noqa: E402

# On keras.Input tensors a function is a layer of the functional model, as in tf.keras 2
# (``model.add_loss(tf.reduce_mean(z))``); on values, the function as it is.
nn.symbolic_ops.wrap_namespace(globals(), [*_autograd_all, *_tf_all])

# glassnet.trace is the step-tracing tool and, called, the matrix trace it shadows: imported
# here (it is light) so that the name means the same whatever is imported first
_importlib.import_module("glassnet.trace")

# tf.print, tf.range and tf.bool: attributes only, left out of __all__ so that a star import
# does not replace Python's print, range and bool
from glassnet.tf.core import print  # noqa: E402, F401
from glassnet.tf.creation import range  # noqa: E402, F401
from glassnet.tf.dtypes import bool  # noqa: E402, F401

__all__ = ["Device", "GradientTape", "TensorShape", "UnconnectedGradients", "Variable",
           "current_device", "device", "floatx", "get_array_module", "gpu_available",
           "memory_info", "get_num_threads", "losses", "metrics", "nn", "optim", "seed",
           "set_floatx", "set_num_threads", *_autograd_all, *_tf_all]

# The packages above the engine load on first use (PEP 562), so ``import glassnet as tf;
# tf.keras.Sequential`` works in a fresh interpreter without ``import glassnet`` paying for
# the training loop, the data tools and the Keras namespace.
_LAZY_SUBMODULES = ("data", "datasets", "explain", "io", "keras", "kernels", "train", "viz")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        module = _importlib.import_module(f"glassnet.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'glassnet' has no attribute '{name}'")


def __dir__():
    return sorted({*globals(), *_LAZY_SUBMODULES})
