"""Data-parallel training on MPI (mpi4py), with Horovod's names.

Every rank runs the same script on its own part of the data; after each backward pass the
gradients are averaged over the ranks in one ``Allreduce``, so every rank applies the same
update and the weights stay identical. Launch with ``mpirun -np 4 python train.py`` (or
``srun --mpi=pmix -n 4 python train.py``); see docs/distributed.md. Needs the
``[distributed]`` extra (``pip install 'glassnet[distributed]'``: mpi4py and an MPI library).

>>> import glassnet.distributed as hvd
>>> hvd.init()  # doctest: +SKIP
>>> x_part, y_part = hvd.shard(x_train, y_train)                           # doctest: +SKIP
>>> opt = hvd.DistributedOptimizer(keras.optimizers.Adam(1e-3 * hvd.size())) # doctest: +SKIP
>>> model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")    # doctest: +SKIP
>>> model.fit(x_part, y_part, callbacks=[hvd.BroadcastGlobalVariablesCallback(0),
...                                      hvd.MetricAverageCallback()])      # doctest: +SKIP

Once ``init()`` has run, only rank 0 shows the progress bar and writes ``ModelCheckpoint``
files and ``BackupAndRestore`` backups; every rank reads a backup when it restarts.
"""

from glassnet.distributed.callbacks import (
    BroadcastGlobalVariablesCallback,
    LearningRateWarmupCallback,
    MetricAverageCallback,
)
from glassnet.distributed.collectives import allgather, allreduce, broadcast
from glassnet.distributed.ops import (
    Adasum,
    Average,
    Compression,
    Max,
    Min,
    Product,
    ReduceOp,
    Sum,
)
from glassnet.distributed.optimizer import DistributedOptimizer
from glassnet.distributed.runtime import (
    cross_rank,
    cross_size,
    init,
    is_initialized,
    local_rank,
    local_size,
    rank,
    shutdown,
    size,
)
from glassnet.distributed.sharding import shard
from glassnet.distributed.variables import (
    broadcast_optimizer_state,
    broadcast_parameters,
    broadcast_variables,
)

__all__ = ["Adasum", "Average", "BroadcastGlobalVariablesCallback", "Compression",
           "DistributedOptimizer", "LearningRateWarmupCallback", "Max", "MetricAverageCallback",
           "Min", "Product", "ReduceOp", "Sum", "allgather", "allreduce", "broadcast",
           "broadcast_optimizer_state", "broadcast_parameters", "broadcast_variables",
           "cross_rank", "cross_size", "init", "is_initialized", "local_rank", "local_size",
           "rank", "shard", "shutdown", "size"]
