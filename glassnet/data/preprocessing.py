"""Array preprocessing: scaling with fitted statistics, splits and folds, sequence padding."""

from __future__ import annotations

import numpy as np

from glassnet import backend, checks


class Standardizer:
    """x -> (x - mean) / std with mean and std fitted on training data (per feature).

    >>> s = Standardizer().fit(np.array([[0.0], [2.0]]))
    >>> s.transform(np.array([[1.0], [4.0]])).ravel().tolist()
    [0.0, 3.0]
    """

    def __init__(self, axis=0, epsilon=1e-7):
        self.axis, self.epsilon = axis, epsilon
        self.mean = self.std = None

    def fit(self, x):
        x = _nonempty(x, "Standardizer.fit")
        self.mean = x.mean(axis=self.axis, keepdims=True)
        self.std = x.std(axis=self.axis, keepdims=True)
        return self

    def transform(self, x):
        if self.mean is None:
            raise ValueError("Standardizer: call fit(x) on training data before transform")
        return (np.asarray(x, dtype=np.float64) - self.mean) / np.maximum(self.std, self.epsilon)

    def fit_transform(self, x):
        return self.fit(x).transform(x)

    def inverse_transform(self, x):
        return np.asarray(x) * np.maximum(self.std, self.epsilon) + self.mean


class MinMaxScaler:
    """x -> low + (x - min) / (max - min) * (high - low), min and max fitted per feature."""

    def __init__(self, feature_range=(0.0, 1.0), axis=0):
        low, high = feature_range
        if not low < high:
            raise ValueError(f"MinMaxScaler: feature_range must be (low, high) with low < high. "
                             f"Received: {feature_range}")
        self.feature_range, self.axis = (float(low), float(high)), axis
        self.min = self.max = None

    def fit(self, x):
        x = _nonempty(x, "MinMaxScaler.fit")
        self.min = x.min(axis=self.axis, keepdims=True)
        self.max = x.max(axis=self.axis, keepdims=True)
        return self

    def transform(self, x):
        if self.min is None:
            raise ValueError("MinMaxScaler: call fit(x) on training data before transform")
        low, high = self.feature_range
        span = np.where(self.max > self.min, self.max - self.min, 1.0)
        return low + (np.asarray(x, dtype=np.float64) - self.min) / span * (high - low)

    def fit_transform(self, x):
        return self.fit(x).transform(x)


def _nonempty(x, what):
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError(f"{what}: received empty data of shape {x.shape}")
    return x


def _rng(random_state):
    if random_state is None:
        return backend.generator()
    return np.random.default_rng(random_state)


def train_test_split(*arrays, test_size=None, train_size=None, shuffle=True, stratify=None,
                     random_state=None):
    """Split aligned arrays into train and test parts (scikit-learn's signature):
    ``x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2)``.

    ``test_size``/``train_size``: a fraction in (0, 1) or a count (default test 0.25).
    ``stratify``: labels whose class proportions both parts keep.
    """
    if not arrays:
        raise ValueError("train_test_split: at least one array is required")
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"train_test_split: arrays of different lengths "
                         f"{[len(a) for a in arrays]}")
    n_test, n_train = _split_sizes(n, test_size, train_size)
    rng = _rng(random_state)
    if stratify is not None:
        if not shuffle:
            raise ValueError("train_test_split: stratify requires shuffle=True")
        test_idx, train_idx = _stratified(np.asarray(stratify), n_test, n_train, rng)
    elif shuffle:
        order = rng.permutation(n)
        test_idx, train_idx = order[:n_test], order[n_test:n_test + n_train]
    else:
        train_idx, test_idx = np.arange(n_train), np.arange(n_train, n_train + n_test)
    out = []
    for a in arrays:
        out += [a[train_idx], a[test_idx]]
    return out


def _split_sizes(n, test_size, train_size):
    def count(size, name):
        if size is None:
            return None
        if isinstance(size, float) and 0 < size < 1:
            return size
        if isinstance(size, (int, np.integer)) and 0 < size < n:
            return int(size)
        raise ValueError(f"train_test_split: {name} must be a fraction in (0, 1) or a count in "
                         f"[1, {n}). Received: {name}={size!r}")

    test, train = count(test_size, "test_size"), count(train_size, "train_size")
    if test is None and train is None:
        test = 0.25
    if isinstance(test, float):
        test = int(np.ceil(test * n))
    if isinstance(train, float):
        train = int(np.floor(train * n))
    if test is None:
        test = n - train
    if train is None:
        train = n - test
    if train + test > n or train == 0 or test == 0:
        raise ValueError(f"train_test_split: with {n} samples, train {train} + test {test} "
                         f"must be positive and at most {n}")
    return test, train


def _stratified(labels, n_test, n_train, rng):
    classes, y = np.unique(labels, return_inverse=True)
    if np.bincount(y).min() < 2:
        raise ValueError("train_test_split: stratify needs at least 2 samples of every class")
    n = len(y)
    # Per class, as close to the overall proportion as whole samples allow.
    test_per_class = np.floor(np.bincount(y) * n_test / n).astype(int)
    remaining = n_test - test_per_class.sum()
    fractions = np.bincount(y) * n_test / n - test_per_class
    test_per_class[np.argsort(-fractions, kind="stable")[:remaining]] += 1
    test_idx, train_idx = [], []
    for k in range(len(classes)):
        members = rng.permutation(np.flatnonzero(y == k))
        test_idx.append(members[:test_per_class[k]])
        train_idx.append(members[test_per_class[k]:])
    test_idx = rng.permutation(np.concatenate(test_idx))
    train_idx = rng.permutation(np.concatenate(train_idx))[:n_train]
    return test_idx, train_idx


def k_fold(n_samples, n_splits=5, shuffle=False, random_state=None):
    """(train_index, test_index) for each of ``n_splits`` folds, as scikit-learn's KFold: the
    first ``n_samples % n_splits`` folds hold one sample more."""
    if n_splits < 2 or n_splits > n_samples:
        raise ValueError(f"k_fold: n_splits must be in [2, {n_samples}]. Received: "
                         f"n_splits={n_splits}")
    order = _rng(random_state).permutation(n_samples) if shuffle else np.arange(n_samples)
    sizes = np.full(n_splits, n_samples // n_splits)
    sizes[:n_samples % n_splits] += 1
    start = 0
    for size in sizes:
        test = order[start:start + size]
        yield np.concatenate([order[:start], order[start + size:]]), test
        start += size


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Keras's ``pad_sequences``: a list of sequences as one (n, maxlen) array, padded with
    ``value`` and truncated at the front ("pre") or back ("post").

    >>> pad_sequences([[1, 2], [3, 4, 5]]).tolist()
    [[0, 1, 2], [3, 4, 5]]
    """
    if padding not in ("pre", "post") or truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding and truncating must be 'pre' or 'post'. "
                         f"Received: padding={padding!r}, truncating={truncating!r}")
    maxlen = checks.integer(maxlen, "maxlen", "pad_sequences", 0, allow_none=True)
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__iter__"):
        raise ValueError(f"pad_sequences: `sequences` must be a list of sequences. Received: "
                         f"{type(sequences).__name__}")
    converted = []
    for i, s in enumerate(sequences):
        try:
            a = np.asarray(s)
        except ValueError:
            raise ValueError(f"pad_sequences: sequence {i} is ragged (its entries have "
                             f"different shapes)") from None
        if a.ndim == 0:
            raise ValueError(f"pad_sequences: `sequences` must be a list of sequences; "
                             f"entry {i} is a scalar ({s!r})")
        converted.append(a)
    sequences = converted
    lengths = [len(s) for s in sequences]
    maxlen = max(lengths, default=0) if maxlen is None else int(maxlen)
    sample_shape = next((s.shape[1:] for s in sequences if len(s)), ())
    for i, s in enumerate(sequences):
        if len(s) and s.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: every sequence must hold elements of one shape; "
                             f"sequence {i} has elements of shape {s.shape[1:]}, an earlier "
                             f"one {sample_shape}")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"pad_sequences: `dtype` is not a data type. Received: "
                        f"dtype={dtype!r}") from None
    try:
        np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise ValueError(f"pad_sequences: `value` {value!r} cannot be stored in an array of "
                         f"dtype {dtype}") from None
    out = np.full((len(sequences), maxlen, *sample_shape), value, dtype=dtype)
    for i, s in enumerate(sequences):  # one slice assignment per sequence
        if not len(s) or not maxlen:
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        try:
            if padding == "post":
                out[i, :len(kept)] = kept
            else:
                out[i, maxlen - len(kept):] = kept
        except (TypeError, ValueError):
            raise ValueError(f"pad_sequences: sequence {i} (dtype {s.dtype}) cannot be stored "
                             f"in an array of dtype {dtype}") from None
    return out
