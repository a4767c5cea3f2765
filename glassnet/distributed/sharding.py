"""``shard``: this rank's part of the training data, the same size on every rank.

Arrays: one permutation of the sample indices, drawn from ``seed`` (the same on every rank),
is padded to a multiple of ``size()`` by repeating its first indices (as PyTorch's
``DistributedSampler``; ``drop_remainder=True`` drops the last ones instead), and rank r takes
every ``size()``-th index from position r. Every rank then has ``ceil(n / size)`` samples
(``floor`` when dropping), so ``fit`` runs the same number of steps everywhere and no rank
waits in a collective for a rank that has stopped. ``fit(shuffle=True)`` reshuffles each
rank's part every epoch.

With ``shuffle=False`` rank r gets samples r, r + size, r + 2 * size, ...: with a per-rank
batch B, step k of the job covers exactly the samples of step k of one process with batch
size * B.

A glassnet ``Dataset`` of known length is cut to a multiple of ``size()`` and every rank
keeps the elements whose index is its rank modulo ``size()`` (shard before ``shuffle`` and
``batch``).

>>> x, y = np.arange(10).reshape(5, 2), np.arange(5)
>>> shard(x, y, shuffle=False, num_shards=2, index=1)[1]
array([1, 3, 0])
"""

from __future__ import annotations

import numpy as np

from glassnet import checks
from glassnet.distributed.runtime import job


def shard(data, y=None, sample_weight=None, *, shuffle=True, seed=0, drop_remainder=False,
          num_shards=None, index=None):
    """This rank's part of ``data`` (and of ``y``, ``sample_weight``).

    Args:
        data: an array, a list/tuple or dict of arrays (several inputs), or a glassnet
            ``Dataset`` of known length.
        y, sample_weight: arrays aligned with ``data`` (arrays only).
        shuffle: draw the split from ``seed`` (False: interleave in order).
        seed: the seed of the split; the same on every rank.
        drop_remainder: drop the last samples instead of repeating the first ones.
        num_shards, index: the split to take (default: ``size()`` and ``rank()``).

    Returns:
        The part in the form given: ``x``, or ``(x, y)``, or ``(x, y, sample_weight)``.
    """
    what = "shard"
    if num_shards is None or index is None:
        if num_shards is not None or index is not None:
            raise ValueError(f"{what}: pass both `num_shards` and `index`, or neither "
                             f"(size() and rank()). Received: num_shards={num_shards!r}, "
                             f"index={index!r}")
        current = job(what)
        num_shards, index = current.size, current.rank
    num_shards = checks.integer(num_shards, "num_shards", what, 1)
    index = checks.integer(index, "index", what, 0)
    if index >= num_shards:
        raise ValueError(f"{what}: `index` must be in [0, {num_shards}). Received: "
                         f"index={index}")
    seed = checks.integer(seed, "seed", what, 0)
    from glassnet.data import Dataset

    if isinstance(data, Dataset):
        if y is not None or sample_weight is not None:
            raise ValueError(f"{what}: a Dataset yields its targets; do not pass y or "
                             f"sample_weight")
        return _shard_dataset(data, num_shards, index)
    leaves = _leaves(data, "data")
    n = len(leaves[0])
    for name, value in (("y", y), ("sample_weight", sample_weight)):
        if value is not None:
            leaves.extend(_leaves(value, name))
    lengths = {len(a) for a in leaves}
    if len(lengths) > 1:
        raise ValueError(f"{what}: data, y and sample_weight must have the same number of "
                         f"samples. Received lengths {sorted(lengths)}")
    per = n // num_shards if drop_remainder else -(-n // num_shards)
    if per == 0:
        raise ValueError(f"{what}: {n} sample(s) cannot give each of {num_shards} ranks one")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    if per * num_shards > n:
        order = np.concatenate([order, order[:per * num_shards - n]])
    mine = order[:per * num_shards][index::num_shards]
    parts = [_take(data, mine)]
    if y is not None:
        parts.append(_take(y, mine))
    if sample_weight is not None:
        parts.append(_take(sample_weight, mine))
    return parts[0] if len(parts) == 1 else tuple(parts)


def _leaves(value, name):
    items = list(value.values()) if isinstance(value, dict) else \
        list(value) if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        array = np.asarray(item)
        if array.ndim == 0:
            raise ValueError(f"shard: `{name}` must be arrays of samples (at least one axis). "
                             f"Received: a 0-d value")
        out.append(array)
    if not out:
        raise ValueError(f"shard: `{name}` holds no arrays")
    return out


def _take(value, indices):
    if isinstance(value, dict):
        return {k: np.asarray(v)[indices] for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(np.asarray(v)[indices] for v in value)
    return np.asarray(value)[indices]


def _shard_dataset(dataset, num_shards, index):
    n = int(dataset.cardinality())
    if n == -1:  # infinite: give steps_per_epoch to fit
        kept = dataset
    elif n < 0:
        raise ValueError("shard: the Dataset's length is unknown (after filter and the like), "
                         "so equal parts cannot be cut; shard before such steps")
    elif n < num_shards:
        raise ValueError(f"shard: a Dataset of {n} element(s) cannot give each of "
                         f"{num_shards} ranks one")
    else:
        kept = dataset.take(n // num_shards * num_shards)
    mine = kept.enumerate().filter(lambda i, element: i % num_shards == index)
    return mine.map(lambda i, element: element)
