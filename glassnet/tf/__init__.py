"""The TensorFlow-style namespace: what ``import glassnet as tf`` finds at ``tf.<name>``.

``glassnet/__init__.py`` re-exports everything here at the top level, over the op library's
names: where TensorFlow's function of a name takes other arguments than glassnet's op, the
top level takes TensorFlow's (as a superset where possible; ``core`` lists the two that
differ). The submodules are TensorFlow's: ``math``, ``linalg``, ``random``, ``image``,
``dtypes``, ``version``; ``tf.nn`` is ``glassnet.nn``, which re-exports ``glassnet.tf.nn``.

Only the op library and the backend are used, so this stays cheap to import.

>>> import glassnet as tf
>>> x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
>>> tf.reduce_sum(x, axis=0).tolist(), tf.shape(x).dtype == tf.int32
([4.0, 6.0], True)
"""

import numpy as _np

from glassnet.autograd import ops as _ops
from glassnet.tf import dtypes, image, linalg, math, random, strings, version
from glassnet.tf.core import *  # noqa: F403 - named by the module's __all__
from glassnet.tf.core import __all__ as _core_all
from glassnet.tf.creation import *  # noqa: F403
from glassnet.tf.creation import __all__ as _creation_all
from glassnet.tf.dtypes import (
    DType,
    as_dtype,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from glassnet.tf.math import *  # noqa: F403
from glassnet.tf.math import __all__ as _math_all
from glassnet.tf.module import *  # noqa: F403
from glassnet.tf.module import __all__ as _module_all

# Shape functions that a text pipeline applies to strings too.
expand_dims = strings.text_aware(_ops.expand_dims, _np.expand_dims)
squeeze = strings.text_aware(_ops.squeeze, _np.squeeze)
reshape = strings.text_aware(reshape, _np.reshape)  # noqa: F405 - tf.reshape, from core

__all__ = [
    "DType", "as_dtype", "double", "dtypes", "float16", "float32", "float64", "half", "image",
    "int8", "int16", "int32", "int64", "linalg", "math", "random", "strings", "uint8", "uint16",
    "uint32", "uint64", "expand_dims", "squeeze", "version", *_core_all, *_creation_all,
    *_math_all, *_module_all,
]
