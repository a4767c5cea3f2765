"""GPU kernels, written with CuPy's own tools, beside the CPU kernels of ``glassnet.kernels``.

=================  ======================================================  ==================
file               the kernel                                              replaces
=================  ======================================================  ==================
``conv``           im2col and col2im as one CUDA kernel each (no padded    ``ops.Conv2D``
                   copy, no loop over kernel offsets); GEMMs by cuBLAS
``optimizers``     Adam's and SGD's update as one fused elementwise        ``update_variable``
                   kernel per parameter (instead of ~10 launches)
=================  ======================================================  ==================

Each computes what the readable op computes (float32 sums may round differently: cuBLAS
orders them its own way); ``tests/gpu`` checks each against the readable op on a GPU. They
are used only with the real CuPy on a GPU: with no GPU, and on the tests' NumPy stand-in for
CuPy, the readable ops run (they are written once for both array modules).
"""

from __future__ import annotations

import functools

from glassnet import backend


def available() -> bool:
    """Whether CUDA kernels can be compiled here: CuPy itself, on a GPU (not a stand-in)."""
    module = backend._device_module
    return module is not None and not isinstance(module, backend._StandIn) and \
        module.__name__ == "cupy"


@functools.lru_cache(maxsize=1)
def _table():
    from glassnet.autograd.ops import convolution
    from glassnet.kernels.cuda import conv

    return {convolution.Conv2D: conv.Conv2D}


def kernel_table() -> dict:
    """{readable op: GPU kernel} for ``backend.using_kernels`` on a GPU ({} elsewhere)."""
    return _table() if available() else {}


def fused_update(optimizer):
    """A function ``(g, w, slots, lr, t)`` doing ``optimizer.update_variable`` in one kernel,
    or None where there is none (another optimizer, AMSGrad) or no GPU to run it."""
    if not available():
        return None
    from glassnet.kernels.cuda import optimizers

    return optimizers.fused_update(optimizer)
