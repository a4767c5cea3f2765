"""``keras.ops``: Keras 3's backend-agnostic ops, run by glassnet's op library.

As in Keras, every function of ``numpy``, ``nn``, ``core``, ``math`` and ``linalg`` is also
here at the top (``ops.matmul``, ``ops.softmax``, ``ops.top_k``); ``image`` stays a
submodule (``ops.image.resize``). Everything returns glassnet ``Tensor``s, so gradients flow
through these functions into layers' weights.

Not provided (no real-valued, eager meaning in glassnet): fft/fft2/ifft2/rfft/irfft/stft/
istft, view_as_complex/view_as_real, eig, lu_factor, jvp, custom_gradient,
ctc_decode, fold/unfold, polar, adaptive pools, nan-aware median/quantile/percentile,
vectorize, view, i0, rearrange.

>>> from glassnet.keras import ops
>>> x = ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
>>> ops.matmul(x, ops.transpose(x)).tolist()
[[5.0, 11.0], [11.0, 25.0]]
"""

from glassnet.keras.ops import core, image, linalg, math, nn, numpy
from glassnet.keras.ops.core import *  # noqa: F403 - named by the module's __all__
from glassnet.keras.ops.linalg import *  # noqa: F403 - named by the module's __all__
from glassnet.keras.ops.math import *  # noqa: F403 - named by the module's __all__
from glassnet.keras.ops.nn import *  # noqa: F403 - named by the module's __all__
from glassnet.keras.ops.numpy import *  # noqa: F403 - named by the module's __all__
from glassnet.nn import symbolic_ops as _symbolic

__all__ = ["core", "image", "linalg", "math", "nn", "numpy"]
__all__ += core.__all__
__all__ += linalg.__all__
__all__ += math.__all__
__all__ += nn.__all__
__all__ += numpy.__all__

# On keras.Input tensors, each op becomes a layer of the functional graph (see
# glassnet/nn/symbolic_ops.py);
# wrapped in its module, so ops.numpy.matmul stays ops.matmul.
for _module in (core, linalg, math, nn, numpy, image):
    _symbolic.wrap_namespace(vars(_module), _module.__all__)
for _module in (core, linalg, math, nn, numpy):  # the star imports' order
    globals().update({name: getattr(_module, name) for name in _module.__all__})
