"""``Discretization``: continuous values bucketed by ranges (Keras's
``keras.layers.Discretization``), with boundaries given or learned as quantiles by ``adapt``.

Boundaries b_0 < b_1 < ... < b_{k-1} make k + 1 bins, (-inf, b_0), [b_0, b_1), ...,
[b_{k-1}, inf): the bin of x is the number of boundaries <= x.

``adapt`` learns ``num_bins`` equal-mass bins from a summary of the data that stays small
whatever the data's size, so batches can be merged one at a time (the same summary as Keras's,
so the learned boundaries are Keras's):

- a batch is summarized by its sorted values taken every ``step = max(n * epsilon, 1)``-th,
  each standing for ``step`` values (its weight);
- two summaries merge by sorting their points together; a summary of more than 1 / epsilon
  points is compressed to the points at cumulative weight fractions epsilon, 2 epsilon, ...,
  1, by linear interpolation of (cumulative weight fraction -> value);
- the boundaries are the summary compressed to fractions 1/num_bins, ..., (num_bins-1)/num_bins.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.autograd.tensor import Tensor
from glassnet.nn import validation as check
from glassnet.nn.layer import Layer
from glassnet.nn.layers.category_encoding import encode_categorical, encoded_shape, no_sparse
from glassnet.nn.layers.feature_preprocessing import numeric_batches

__all__ = ["Discretization"]

_MODES = ("int", "one_hot", "multi_hot", "count")


def _summarize(values, epsilon):
    """(2, m) float32: every ``step``-th sorted value and its weight ``step``."""
    values = np.sort(values.ravel())
    step = max(values.size * epsilon, 1)
    points = values[int(step - 1)::int(step)]
    return np.stack([points, np.full_like(points, step)])


def _compress(summary, epsilon):
    """The summary at cumulative weight fractions epsilon, 2 epsilon, ..., 1 (if it has more
    than 1 / epsilon points)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    at = cumulative / cumulative[-1]
    points = np.interp(fractions, at, summary[0])
    kept = np.interp(fractions, at, cumulative)
    return np.stack([points, np.diff(kept, prepend=0.0)]).astype(np.float32)


def _merge(new, old, epsilon):
    merged = np.concatenate([new, old], axis=1)
    return _compress(merged[:, np.argsort(merged[0])], epsilon)


class Discretization(Layer):
    """Buckets continuous features by ranges (see the module docstring).

    Args:
        bin_boundaries: sorted boundaries; ``[0., 1., 2.]`` gives the bins (-inf, 0),
            [0, 1), [1, 2), [2, inf). Do not call ``adapt`` then.
        num_bins: the number of bins ``adapt`` learns (instead of ``bin_boundaries``).
        epsilon: the error tolerance of the quantile summary (in (0, 1)).
        output_mode: "int" (bin indices, int32), "one_hot", "multi_hot" or "count".
        sparse: accepted as False only (glassnet has no sparse tensors).

    >>> x = np.array([[-1.5, 1.0, 3.4, .5], [0.0, 3.0, 1.3, 0.0]])
    >>> Discretization(bin_boundaries=[0., 1., 2.])(x).numpy().tolist()
    [[0, 2, 3, 1], [1, 3, 2, 1]]
    >>> layer = Discretization(num_bins=4, epsilon=0.01)
    >>> layer.adapt(x)
    >>> layer(x).numpy().tolist()
    [[0, 2, 3, 2], [1, 3, 3, 1]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, **kwargs):
        if "bins" in kwargs:  # Keras 2's name: a count of bins, or the boundaries
            bins = kwargs.pop("bins")
            if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool) \
                    and num_bins is None:
                num_bins = bins
            elif bin_boundaries is None:
                bin_boundaries = bins
            else:
                raise ValueError(f"Discretization: `bins` is the old name of `bin_boundaries`; "
                                 f"give one of them. Received: bins={bins!r}, "
                                 f"bin_boundaries={bin_boundaries!r}")
        super().__init__(**kwargs)
        self.sparse = no_sparse(sparse, "Discretization")
        if output_mode not in _MODES:
            raise ValueError(f"Unknown value for `output_mode` argument of Discretization. "
                             f"Allowed values are: {_MODES}. Received: "
                             f"output_mode={output_mode}")
        if num_bins is not None:
            if isinstance(num_bins, bool) or not isinstance(num_bins, (int, np.integer)):
                raise TypeError(f"Discretization: `num_bins` must be an integer. Received: "
                                f"num_bins={num_bins!r}")
            if num_bins < 0:
                raise ValueError(f"Discretization: `num_bins` must be greater than or equal "
                                 f"to 0. Received: `num_bins={num_bins}`")
            num_bins = int(num_bins)
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(f"Discretization: Both `num_bins` and `bin_boundaries` should not "
                             f"be set. Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: You need to set either `num_bins` or "
                             "`bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else \
            self._boundaries(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = check.number(epsilon, "epsilon", "Discretization", 0, 1, low_open=True,
                                    high_open=True)
        self.output_mode = output_mode
        self.reset_state()

    @staticmethod
    def _boundaries(values):
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"Discretization: `bin_boundaries` must be a list of numbers. "
                            f"Received: bin_boundaries={values!r}") from None
        if array.ndim != 1 or not np.isfinite(array).all() or (np.diff(array) < 0).any():
            raise ValueError(f"Discretization: `bin_boundaries` must be a flat list of finite "
                             f"numbers in increasing order. Received: "
                             f"bin_boundaries={values!r}")
        return array.tolist()

    # -- adapt --------------------------------------------------------------------------------

    def adapt(self, data, batch_size=None, steps=None):
        """Learn ``num_bins`` bins of equal mass from ``data`` (an array, a tensor, a
        ``Dataset`` of batches or an iterable of batches; ``steps`` batches at most)."""
        if self.num_bins is None or self._given_boundaries:
            raise ValueError("Discretization: Cannot adapt a Discretization layer that has "
                             "been initialized with `bin_boundaries`, use `num_bins` instead.")
        if self.num_bins == 0:
            raise ValueError("Discretization: cannot adapt with `num_bins=0`; expected at "
                             "least one bin")
        self.reset_state()
        batches, _ = numeric_batches(data, batch_size, steps, "Discretization")
        for batch in batches:
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Merge one batch into the quantile summary."""
        values = np.asarray(data.data if isinstance(data, Tensor) else data)
        if values.dtype.kind not in "fiub":
            raise TypeError(f"Discretization.adapt: expected numeric batches; received an "
                            f"array of dtype {values.dtype}")
        values = values.astype(np.float32)
        if not np.isfinite(values).all():
            raise ValueError("Discretization.adapt: the data holds NaN or infinite values")
        if values.size:
            self._summary = _merge(_summarize(values, self.epsilon), self._summary,
                                   self.epsilon)

    def finalize_state(self):
        """Set the boundaries from the summary."""
        if self.num_bins is None:
            return
        if self._summary.shape[1] == 0:
            raise ValueError("Discretization.adapt: received no data (an empty dataset or "
                             "iterable); expected at least one non-empty batch")
        self.bin_boundaries = _compress(self._summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def reset_state(self):
        """Forget the summary of the batches seen."""
        self._summary = np.zeros((2, 0), np.float32)

    @property
    def _given_boundaries(self):
        return self.num_bins is None

    # -- the map ------------------------------------------------------------------------------

    def _depth(self):
        return len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("Discretization: You need to either pass the `bin_boundaries` "
                             "argument at construction time or call `adapt(dataset)` before "
                             "you can start using the `Discretization` layer.")
        x = inputs.data
        # Compared in the input's precision, as TensorFlow's bucketize casts the boundaries.
        xp = backend.get_array_module(x)  # the boundaries are made where x is
        ids = np.digitize(x, xp.asarray(self.bin_boundaries, dtype=x.dtype))
        dtype = np.int32 if self.output_mode == "int" else self.dtype
        return Tensor._from_op(encode_categorical(ids, self.output_mode, self._depth(), dtype,
                                                  owner=f"Discretization '{self.name}'"), None)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self._depth())

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries,
                "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": self.sparse}

    @classmethod
    def from_config(cls, config):
        # An adapted layer's config holds both num_bins and the learned boundaries, which
        # __init__ refuses together: the boundaries are set after construction (Keras).
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            config = dict(config)
            boundaries = cls._boundaries(config.pop("bin_boundaries"))
            layer = cls(**config)
            layer.bin_boundaries = boundaries
            return layer
        return cls(**config)
