"""``tf.data.experimental`` names: ``AUTOTUNE``, the cardinality constants, ``cardinality``,
and ``Options`` (accepted and ignored: glassnet's pipelines have nothing to tune).

>>> AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
(-1, -1, -2)
"""

from __future__ import annotations

import enum

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


def cardinality(dataset):
    """``dataset.cardinality()``, as ``tf.data.experimental.cardinality``."""
    return dataset.cardinality()


class AutoShardPolicy(enum.IntEnum):
    """tf.distribute's sharding choices; glassnet runs on one worker, so all mean OFF."""

    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class Options:
    """``tf.data.Options``: any attribute may be set, nested ones too
    (``options.experimental_distribute.auto_shard_policy = AutoShardPolicy.DATA``), and
    nothing changes how a pipeline runs."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        value = Options()
        object.__setattr__(self, name, value)
        return value


__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "AutoShardPolicy",
           "Options", "cardinality"]
