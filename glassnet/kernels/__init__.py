"""Fast paths behind one small interface; each computes what the readable op it replaces
computes (``glassnet.autograd.ops`` stays the reference and the tests' oracle).

=================  ======================================================  =====================
file               the trick                                               replaces
=================  ======================================================  =====================
``threads``        a pool that splits work over the batch; BLAS held to 1  (runs the others)
``gemm``           matrix products and column sums split over the threads  ``@``, ``.sum(0)``
``linear``         threaded products, dw into a reused buffer              ``ops.Linear``
``conv``           threaded im2col, bias column, fused ReLU, ``premasked``  ``ops.Conv2D``
``pool``           threaded running max with winners, ReLU handshake       ``ops.MaxPool2D``
``conv_pool``      conv + ReLU + 2x2 max pool in one pass per slice        the three ops
``grad_buffers``   a parameter's gradient written into one buffer          fresh dw arrays
``flat_params``    small parameters as one flat array; threaded updates    the optimizer loop
``subnormal``      optimizer state near the subnormals set to zero         (nothing: speed)
``memory``         glibc keeps freed memory, only while a block runs       (nothing: speed)
``recurrent``      one tanh per step for every gate, (units, batch) step   ``ops.LSTM``, ``GRU``,
                   buffers, the large products beside the loop            ``SimpleRNN``
``attention``      blocks of the batch x heads axis in cache through       ``ops.ScaledDot``
                   every pass, threaded; dropout draws read in parallel   ``ProductAttention``
=================  ======================================================  =====================

Interface:

- :func:`training` (``fit``): the thread pool, gradient buffers for ``params``, the allocator
  tuning, and the fast op kernels, for the calling thread; all restored on exit.
- :func:`inference` (``evaluate``, ``predict``): the thread pool and the fast op kernels.
- :func:`conv2d_relu_max_pool`: the fused block (``Sequential`` pairs Conv2D(relu) with
  MaxPooling2D(2) through it).

How an op picks its fast path: the readable op's wrapper asks ``backend.kernel_for(Op)``,
which answers from the table of this module while the calling thread is inside one of the
blocks (a context variable), else with ``Op`` itself. Every fast kernel is a subclass of the
readable ``Function`` with the same constructor. Another thread, or code outside the blocks,
runs the readable ops: several threads may predict with a model while another fits it.

>>> import numpy as np, glassnet
>>> x = glassnet.tensor(np.ones((2, 3)))
>>> w = glassnet.nn.Parameter(np.ones((3, 4)))
>>> with training([w]):
...     y = glassnet.autograd.ops.linear(x, w, np.zeros(4))
>>> type(y.grad_fn).__module__
'glassnet.kernels.linear'
"""

from __future__ import annotations

import contextlib

from glassnet import backend
from glassnet.autograd.ops import arithmetic, convolution, pooling
from glassnet.autograd.ops import attention as attention_ops
from glassnet.autograd.ops import recurrent as recurrent_ops
from glassnet.kernels import (
    attention,
    conv,
    cuda,
    grad_buffers,
    linear,
    memory,
    pool,
    recurrent,
    threads,
)
from glassnet.kernels.conv_pool import conv2d_relu_max_pool
from glassnet.kernels.threads import get_num_threads, set_num_threads, thread_pool

# {readable op: the fast kernel that replaces it inside the blocks}
KERNELS = {
    arithmetic.Linear: linear.Linear,
    convolution.Conv2D: conv.Conv2D,
    pooling.MaxPool2D: pool.MaxPool2D,
    recurrent_ops.LSTM: recurrent.LSTM,
    recurrent_ops.GRU: recurrent.GRU,
    recurrent_ops.SimpleRNN: recurrent.SimpleRNN,
    attention_ops.ScaledDotProductAttention: attention.ScaledDotProductAttention,
}


def enabled() -> bool:
    """Whether the calling thread is inside a :func:`training` or :func:`inference` block."""
    return backend.kernel_for(arithmetic.Linear) is not arithmetic.Linear


def _gpu(device):
    return device is not None and backend.Device.parse(device).kind == "gpu"


@contextlib.contextmanager
def training(params=(), keep_memory=True, device=None):
    """The block for a whole training run (``fit``): the calling thread's ops run their fast
    kernels over the thread pool, the gradients of ``params`` are written into buffers kept
    across steps (the caller owns ``.grad`` between steps and sets it to None before each
    backward), and freed memory is kept for reuse. Everything is restored on exit, even on an
    exception; blocks nest and may be open in several threads at once. ``keep_memory=False``
    leaves the allocator alone: for a block of one step (``train_on_batch``), where setting
    and restoring it would cost more than it saves. On a GPU (``device="gpu"``) the thread
    pool, the allocator and the buffers do not apply: the block runs the GPU kernels
    (``glassnet.kernels.cuda``) and CuPy's memory pool reuses memory by itself."""
    if _gpu(device):
        with backend.using_kernels(cuda.kernel_table()):
            yield
        return
    with contextlib.ExitStack() as stack:
        if keep_memory:
            stack.enter_context(memory.keep_freed_memory())
        stack.enter_context(threads.thread_pool())
        stack.enter_context(grad_buffers.reusing(list(params)))
        stack.enter_context(backend.using_kernels(KERNELS))
        yield


@contextlib.contextmanager
def inference(device=None):
    """The block for ``evaluate`` and ``predict``: fast kernels over the thread pool (the GPU
    kernels on a GPU)."""
    if _gpu(device):
        with backend.using_kernels(cuda.kernel_table()):
            yield
        return
    with threads.thread_pool(), backend.using_kernels(KERNELS):
        yield


__all__ = ["KERNELS", "conv2d_relu_max_pool", "enabled", "get_num_threads", "inference",
           "set_num_threads", "thread_pool", "training"]
