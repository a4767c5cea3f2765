"""Data drift: how far the inputs a served model receives, and the predictions it makes, have
moved from a reference sample of its training data.

The reference is ``{stem}.reference.npz`` beside the model file (``mlp/1/model.reference.npz``
beside ``mlp/1/model.keras``; ``fashion.reference.npz`` beside ``fashion.onnx``): ``x``, a
random sample of the training inputs, and ``predictions``, the model's outputs on them
(optional). ``save_reference`` or ``glassnet export MODEL --reference DATA.npz`` writes it;
the server loads it with the model and keeps a ``DriftMonitor`` of the last ``window``
inputs and outputs.

Inputs. Samples of one axis (tabular rows, or images flattened to 784 values: each value is
a feature, however many) are compared feature by feature. Samples of two or more axes
(images such as (28, 28, 1), sequences) are compared through three summaries of each
sample, not pixel by pixel: its ``mean``, its ``std`` and its ``dark_fraction`` (the share of
its values at or below the reference's 10th percentile of all values). Either way each
feature gets a two-sample Kolmogorov-Smirnov test, reference values ``a`` (n of them)
against window values ``b`` (m)::

    D = max_z |F_a(z) - F_b(z)|        p = P(D_N >= D),  N = round(n m / (n + m))

(``F`` the empirical distribution functions; ``p`` from ``scipy.stats.kstwo``, as scipy's
``ks_2samp(method="asymp")``; D for all features at once, in NumPy: 784 features against a
window of 1000 in about 0.15 s). With k features,
Bonferroni's correction ``p_k = min(1, k p)``: a feature drifts when ``p_k < p_value``, the
inputs drift when any feature does, so same-distribution data flags input drift with a
probability of at most ``p_value`` however many features there are.

Predictions. Classifier outputs (N, K), K > 1, whether or not rows sum to 1: the window's
counts ``o_c`` of predicted classes (the largest output) against the reference's class
shares, smoothed so no class has zero, ``s_c = (r_c + 1/2) / (n + K/2)``::

    chi2 = sum_c (o_c - e_c)^2 / e_c,   e_c = m s_c,   K - 1 degrees of freedom

with the mean probability vectors of both beside it. One output per sample, (N,) or (N, 1):
the KS test above. ``drift`` is true when the inputs or the predictions drift.

>>> rng = np.random.default_rng(0)
>>> monitor = DriftMonitor(rng.normal(size=(1000, 4)), window=500)
>>> monitor.update(rng.normal(size=(500, 4)) + [0.0, 0.0, 0.5, 0.0])
>>> report = monitor.report()
>>> report["drift"], report["inputs"]["drifting"]
(True, ['2'])
"""

from __future__ import annotations

import copy
import os
import threading
import zipfile
from typing import NamedTuple

import numpy as np

SUMMARIES = ("mean", "std", "dark_fraction")
MEMBERS = ("x.npy", "predictions.npy")
MAX_REFERENCE_BYTES = 256 << 20  # per array, as the file declares it, checked before reading
MAX_REFERENCE_SAMPLES = 100_000


class ReferenceFileError(ValueError):
    """A drift reference file that cannot be used: the message names the file."""


class Reference(NamedTuple):
    """A loaded reference: its file, the inputs sample, the predictions on it (or None)."""

    path: str
    inputs: np.ndarray
    predictions: np.ndarray | None


def _stats():
    try:
        from scipy import stats
    except ImportError:
        raise ImportError("drift statistics need scipy: pip install 'glassnet[serve]'") from None
    return stats


def reference_path(model_path):
    """Where the reference of the model file ``model_path`` lives: ``{stem}.reference.npz``
    beside it."""
    return os.path.splitext(os.fspath(model_path))[0] + ".reference.npz"


def ks_2samp_features(a, b):
    """The two-sample Kolmogorov-Smirnov statistic and p-value of every column: ``a`` (n,
    k) against ``b`` (m, k), compared as float32, as ``scipy.stats.ks_2samp(a[:, j],
    b[:, j], method="asymp")`` gives them, for all k columns in one sort.

    Each value becomes an integer key that sorts as the float does, with its sample in the
    lowest bit, so one ``sort`` (no argsort) orders both samples. Integer steps (+m for a
    value of ``a``, -n for one of ``b``) keep ``n m (F_a - F_b)`` exact; only the last of
    tied values counts, where both ECDFs have taken their steps. The p-value depends on D
    alone (n and m are the same for every column), so it is computed once per distinct D."""
    n, m = len(a), len(b)
    one = np.uint64(1)
    data = np.concatenate([_sort_keys(a) << one, (_sort_keys(b) << one) | one], axis=1)
    data.sort(axis=1)
    diff = np.cumsum(np.where(data & one, np.int64(-n), np.int64(m)), axis=1)
    value = data >> one
    diff[:, :-1][value[:, 1:] == value[:, :-1]] = 0
    statistic = np.abs(diff).max(axis=1) / float(n * m)
    distinct, where = np.unique(statistic, return_inverse=True)
    p_value = _stats().kstwo.sf(distinct, max(1, round(n * m / (n + m))))[where]
    return statistic, np.clip(p_value, 0.0, 1.0)


def _sort_keys(x):
    """(k, n) uint64 keys of the (n, k) values ``x`` that sort as the float32 values do: the
    sign bit flipped for positives, all bits for negatives (-0.0 made 0.0 first)."""
    u = (np.asarray(x, dtype=np.float32).T + np.float32(0.0)).view(np.uint32)
    return np.where(u >> 31, ~u, u | np.uint32(0x80000000)).astype(np.uint64)


class _Ring:
    """The last ``window`` rows appended, in a buffer allocated once."""

    def __init__(self, window, width):
        self.rows = np.zeros((window, width), np.float32)
        self.next = self.filled = 0

    def append(self, rows):
        window = len(self.rows)
        rows = rows[-window:]
        k = len(rows)
        first = min(k, window - self.next)
        self.rows[self.next:self.next + first] = rows[:first]
        self.rows[:k - first] = rows[first:]
        self.next = (self.next + k) % window
        self.filled = min(window, self.filled + k)

    def snapshot(self):
        return self.rows[:self.filled].copy()


class DriftMonitor:
    """Drift of a sliding window of inputs (and outputs) from a reference sample.

    Args:
        reference_inputs: (n, ...) samples of the training inputs.
        reference_predictions: the model's outputs on them, (n', K) or (n',), or None.
        window: how many of the latest samples are compared.
        p_value: the threshold for the Bonferroni-corrected p-values.
        min_samples: below this many samples in the window, ``report`` says "not enough
            data" (default: ``min(100, window)``).
        mode: ``"features"`` (a KS test per value of a sample), ``"summary"`` (per-sample
            mean, std, dark_fraction) or ``"auto"``: features for samples of one axis,
            summary for more.
        max_listed: how many features ``report`` lists, the most drifting first.

    ``update`` only copies into ring buffers (a lock: predicts run in worker threads);
    ``report`` computes the statistics, once per new data, outside the lock. Until the
    window holds ``min_samples``, the report's ``status`` is "not enough data" and its
    ``drift`` None.
    """

    def __init__(self, reference_inputs, reference_predictions=None, window=1000,
                 p_value=0.01, min_samples=None, mode="auto", max_listed=20):
        ref = _numbers(reference_inputs, "reference_inputs")
        if ref.ndim == 1:
            ref = ref[:, None]
        if len(ref) < 1 or ref[0].size < 1:
            raise ValueError(f"reference_inputs: expected at least one sample of at least "
                             f"one value. Received shape {list(ref.shape)}")
        if isinstance(window, bool) or not isinstance(window, (int, np.integer)) or window < 1:
            raise ValueError(f"window: expected a positive integer. Received {window!r}")
        if not 0.0 < float(p_value) < 1.0:
            raise ValueError(f"p_value: expected a number in (0, 1). Received {p_value!r}")
        min_samples = min(100, window) if min_samples is None else int(min_samples)
        if not 1 <= min_samples <= window:
            raise ValueError(f"min_samples: expected 1 to window={window}. Received "
                             f"{min_samples}")
        if mode == "auto":
            mode = "features" if ref.ndim == 2 else "summary"
        if mode not in ("features", "summary"):
            raise ValueError(f"mode: expected 'auto', 'features' or 'summary'. Received "
                             f"{mode!r}")
        self.window, self.p_value, self.min_samples = int(window), float(p_value), min_samples
        self.mode, self.max_listed = mode, int(max_listed)
        self.sample_shape = ref.shape[1:]
        self._reference_samples = len(ref)
        if mode == "summary":
            self._dark = np.float32(np.percentile(ref, 10))
            self.feature_names = list(SUMMARIES)
        else:
            self.feature_names = [str(i) for i in range(int(np.prod(ref.shape[1:])))]
        self._ref = self._features(ref)
        self._inputs = _Ring(self.window, self._ref.shape[1])
        self._lock = threading.Lock()
        self._seen = self._skipped = 0
        self._cache = None
        self._outputs = self._prediction_kind = None
        if reference_predictions is not None:
            self._init_predictions(_numbers(reference_predictions, "reference_predictions"))

    def _init_predictions(self, p):
        if len(p) < 1:
            raise ValueError("reference_predictions: expected at least one sample")
        if p.ndim == 1 or (p.ndim == 2 and p.shape[1] == 1):
            self._prediction_kind, self._ref_p = "values", p.reshape(-1, 1).astype(np.float32)
            width = 1
        elif p.ndim == 2:
            self._prediction_kind, width = "classes", p.shape[1]
            self._ref_counts = np.bincount(p.argmax(axis=1), minlength=width)
            self._ref_mean = p.mean(axis=0, dtype=np.float64)
        else:
            raise ValueError(f"reference_predictions: expected (N, K) or (N,) outputs. "
                             f"Received shape {list(p.shape)}")
        self._outputs = _Ring(self.window, width)

    def _features(self, x):
        """(n, k) float32 features of the samples ``x``: their values, or their summaries."""
        flat = x.reshape(len(x), -1)
        if self.mode == "features":
            return flat.astype(np.float32)
        return np.stack([flat.mean(axis=1, dtype=np.float64), flat.std(axis=1, dtype=np.float64),
                         (flat <= self._dark).mean(axis=1)], axis=1).astype(np.float32)

    def update(self, inputs, outputs=None):
        """Add a batch: ``inputs`` (N, ...) as the model took them, ``outputs`` its (N, K) or
        (N,) outputs. A batch whose samples differ in shape from the reference's (a model
        with free dimensions) is counted as skipped in features mode."""
        x = np.asarray(inputs)
        if x.ndim == 1 and self.sample_shape == (1,):  # (N,) for one value per sample
            x = x[:, None]
        if x.ndim < 2 or not len(x):
            shape_ok = False
        else:
            shape_ok = x.shape[1:] == self.sample_shape or (self.mode == "summary"
                                                             and x[0].size > 0)
        rows = self._features(x[-self.window:]) if shape_ok else None  # older ones drop out
        out = None
        if self._outputs is not None and outputs is not None:
            y = np.asarray(outputs)
            y = y.reshape(len(y), -1) if y.ndim >= 1 else None
            if y is not None and len(y) == len(x) and y.shape[1] == self._outputs.rows.shape[1]:
                out = y[-self.window:]
        with self._lock:
            self._seen += len(x)
            if rows is None:
                self._skipped += len(x)
                return
            self._inputs.append(rows)
            if out is not None:
                self._outputs.append(out)

    def report(self):
        """The drift statistics of the window, JSON-ready (see the module's docstring)."""
        with self._lock:
            if self._cache is not None and self._cache[0] == self._seen:
                return copy.deepcopy(self._cache[1])
            seen, skipped = self._seen, self._skipped
            window = self._inputs.snapshot()
            outputs = None if self._outputs is None else self._outputs.snapshot()
        report = {"samples": len(window), "window": self.window,
                  "min_samples": self.min_samples, "seen": seen, "skipped": skipped,
                  "reference_samples": self._reference_samples, "p_value": self.p_value,
                  "correction": "bonferroni", "status": "not enough data", "drift": None,
                  "inputs": None, "predictions": None}
        if len(window) >= self.min_samples:
            report["inputs"] = self._input_drift(window)
            report["status"] = "ok"
            report["drift"] = report["inputs"]["drift"]
        if outputs is not None:
            report["predictions"] = self._prediction_drift(outputs)
            if report["drift"] is not None and report["predictions"].get("drift"):
                report["drift"] = True
        with self._lock:
            self._cache = (seen, report)
        return copy.deepcopy(report)

    def _input_drift(self, window):
        statistic, p = ks_2samp_features(self._ref, window)
        corrected = np.minimum(1.0, p * len(p))
        drifting = corrected < self.p_value
        order = np.lexsort((np.arange(len(p)), -statistic))  # the most drifting first
        top = [{"feature": self.feature_names[i], "statistic": float(statistic[i]),
                "p_value": float(p[i]), "p_value_corrected": float(corrected[i]),
                "drift": bool(drifting[i])} for i in order[:self.max_listed]]
        return {"test": "ks", "mode": self.mode, "features": len(p),
                "drift": bool(drifting.any()),
                "drifting": [self.feature_names[i] for i in np.flatnonzero(drifting)],
                "drifting_fraction": float(drifting.mean()),
                "max_statistic": float(statistic.max()),
                "min_p_value_corrected": float(corrected.min()), "top": top}

    def _prediction_drift(self, outputs):
        if len(outputs) < self.min_samples:
            return {"status": "not enough data", "samples": len(outputs), "drift": None}
        if self._prediction_kind == "values":
            statistic, p = ks_2samp_features(self._ref_p, outputs)
            return {"status": "ok", "samples": len(outputs), "test": "ks",
                    "statistic": float(statistic[0]), "p_value": float(p[0]),
                    "drift": bool(p[0] < self.p_value)}
        k = outputs.shape[1]
        counts = np.bincount(outputs.argmax(axis=1), minlength=k)
        shares = (self._ref_counts + 0.5) / (self._ref_counts.sum() + 0.5 * k)
        expected = len(outputs) * shares
        result = _stats().chisquare(counts, expected)
        window_shares = counts / len(outputs)
        reference_shares = self._ref_counts / self._ref_counts.sum()
        return {"status": "ok", "samples": len(outputs), "test": "chi-square",
                "statistic": float(result.statistic), "p_value": float(result.pvalue),
                "drift": bool(result.pvalue < self.p_value),
                "distance": float(0.5 * np.abs(window_shares - reference_shares).sum()),
                "classes": {"reference": reference_shares.round(6).tolist(),
                            "window": window_shares.round(6).tolist()},
                "mean_probability": {
                    "reference": self._ref_mean.round(6).tolist(),
                    "window": outputs.mean(axis=0, dtype=np.float64).round(6).tolist()}}


def _numbers(array, what):
    array = np.asarray(array)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{what}: expected numbers. Received dtype {array.dtype}")
    if array.ndim < 1:
        raise ValueError(f"{what}: expected an array of samples. Received a scalar")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise ValueError(f"{what}: the data holds NaN or infinity")
    return array


def save_reference(model_path, x, predictions=None, max_samples=1000, seed=0, model=None):
    """Store a reference for drift monitoring beside the model file ``model_path``: up to
    ``max_samples`` samples of the training inputs ``x``, drawn at random (``seed``), and
    the predictions on them. Returns the path written (``reference_path(model_path)``).

    ``predictions`` (the outputs for all of ``x``) are subsampled alike. Without them the
    reference predictions come from ``model`` (a glassnet model) when given, else from the
    model file itself when it is a glassnet one (.keras, .h5); an .onnx file without either
    gets a reference of inputs only (no prediction drift).

    >>> # save_reference("models/mlp/1/model.keras", x_train)
    """
    x = _numbers(x, "x")
    if predictions is not None:
        predictions = _numbers(predictions, "predictions")
        if len(predictions) != len(x):
            raise ValueError(f"predictions: expected one per sample of x ({len(x)}). "
                             f"Received {len(predictions)}")
    if len(x) < 1:
        raise ValueError("x: expected at least one sample")
    max_samples = int(max_samples)
    if not 1 <= max_samples <= MAX_REFERENCE_SAMPLES:
        raise ValueError(f"max_samples: expected 1 to {MAX_REFERENCE_SAMPLES}. Received "
                         f"{max_samples}")
    rows = np.sort(np.random.default_rng(seed).choice(len(x), min(max_samples, len(x)),
                                                      replace=False))
    arrays = {"x": x[rows].astype(np.float32)}
    path = os.fspath(model_path)
    if predictions is None and model is None and path.endswith((".keras", ".h5")):
        from glassnet.io import load_model

        model = load_model(path, compile=False)
    if predictions is not None:
        arrays["predictions"] = predictions[rows].astype(np.float32)
    elif model is not None:
        expected = tuple(model.input_shape[1:])
        if len(expected) != x.ndim - 1 or any(e not in (None, r) for e, r in
                                              zip(expected, x.shape[1:])):
            raise ValueError(f"x: the model expects samples of shape {expected}. Received "
                             f"{tuple(x.shape[1:])}")
        out = model.predict(arrays["x"], verbose=0)
        arrays["predictions"] = np.asarray(out[0] if isinstance(out, list) else out,
                                           dtype=np.float32)
    from glassnet.files import atomic_write

    target = reference_path(path)
    with atomic_write(target) as f:
        np.savez_compressed(f, **arrays)
    return target


def load_reference(path, input_shape=None, output_shape=None, max_bytes=MAX_REFERENCE_BYTES):
    """The ``Reference`` in ``path``, checked before any array is read: an .npz of numbers
    only (``x``, optional ``predictions``; no Python objects, nothing unpickled), each array's
    declared size under ``max_bytes``, ``x`` of ``input_shape`` and ``predictions`` of
    ``output_shape`` (``[-1, ...]`` lists, -1 for a free dimension), else a
    ``ReferenceFileError`` naming the file."""
    path = os.fspath(path)
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            unknown = sorted(set(names) - set(MEMBERS))
            if unknown or "x.npy" not in names:
                raise ReferenceFileError(f"{path}: expected the arrays x and (optionally) "
                                         f"predictions. Received {names}")
            shapes = {n[:-4]: _declared_shape(archive, n, path, max_bytes) for n in names}
    except (zipfile.BadZipFile, OSError) as err:
        raise ReferenceFileError(f"{path}: not a readable .npz archive ({err})") from None
    _check_shape(path, "x", shapes["x"], input_shape)
    if "predictions" in shapes:
        _check_shape(path, "predictions", shapes["predictions"], output_shape)
        if shapes["predictions"][0] != shapes["x"][0]:
            raise ReferenceFileError(f"{path}: {shapes['x'][0]} samples in x but "
                                     f"{shapes['predictions'][0]} predictions")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {name: f[name] for name in shapes}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        raise ReferenceFileError(f"{path}: cannot read the arrays ({err})") from None
    for name, array in arrays.items():
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ReferenceFileError(f"{path}: {name} holds NaN or infinity")
    return Reference(path, arrays["x"], arrays.get("predictions"))


def _declared_shape(archive, member, path, max_bytes):
    """The shape a member's .npy header declares, after checking its dtype and size."""
    fmt = np.lib.format
    with archive.open(member) as f:
        try:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ReferenceFileError(f"{path}: {member} is .npy format {version}; "
                                         f"expected 1.0 or 2.0")
        except ValueError as err:
            if isinstance(err, ReferenceFileError):
                raise
            raise ReferenceFileError(f"{path}: {member} is not a .npy array ({err})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise ReferenceFileError(f"{path}: {member} holds {dtype} values (Python objects "
                                 f"are never unpickled); expected numbers")
    size = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if size > max_bytes or (shape and shape[0] > MAX_REFERENCE_SAMPLES):
        raise ReferenceFileError(f"{path}: {member} declares shape {list(shape)} ({size} "
                                 f"bytes); the limit is {MAX_REFERENCE_SAMPLES} samples and "
                                 f"{max_bytes} bytes")
    return tuple(shape)


def _check_shape(path, name, received, expected):
    if not received or received[0] < 1:
        raise ReferenceFileError(f"{path}: {name} holds no samples (shape {list(received)})")
    if expected is None:
        return
    expected = list(expected)
    if name == "predictions" and len(received) == 1 and expected[1:] == [1]:
        return  # (N,) predictions of a single-output model
    if len(received) != len(expected) or any(e not in (-1, None, r) for e, r in
                                              zip(expected[1:], received[1:])):
        raise ReferenceFileError(f"{path}: {name}: expected shape {expected}, received "
                                 f"{list(received)}")
