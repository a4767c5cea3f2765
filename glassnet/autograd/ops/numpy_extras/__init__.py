"""NumPy and Keras functions that Keras's ops namespace offers and the rest of the library
lacks: most are compositions of the library's ops (their gradients follow from those ops');
the few with a hand-written ``Function`` say their gradient in the docstring.

Grouped by kind: ``elementwise`` (cbrt, exp2, sinc, divide_no_nan, nan_to_num, tests...),
``activations`` (hard_tanh, sparsemax, layer/rms normalization...), ``arrays`` (flip, rot90,
stacks and splits, dot, cross, bincount...), ``reductions`` (nan-aware reductions, average,
ptp, trace, diff, trapezoid, corrcoef), ``linalg_extras`` (pinv, lstsq, solve_triangular...).
"""

from glassnet.autograd.ops.numpy_extras import (
    activations,
    arrays,
    elementwise,
    linalg_extras,
    reductions,
)
from glassnet.autograd.ops.numpy_extras.activations import *  # noqa: F403 - by __all__
from glassnet.autograd.ops.numpy_extras.arrays import *  # noqa: F403 - by __all__
from glassnet.autograd.ops.numpy_extras.elementwise import *  # noqa: F403 - by __all__
from glassnet.autograd.ops.numpy_extras.linalg_extras import *  # noqa: F403 - by __all__
from glassnet.autograd.ops.numpy_extras.reductions import *  # noqa: F403 - by __all__

__all__ = []
__all__ += activations.__all__
__all__ += arrays.__all__
__all__ += elementwise.__all__
__all__ += linalg_extras.__all__
__all__ += reductions.__all__
