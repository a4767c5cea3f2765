"""The models a server holds: one model file, or a repository folder laid out as Triton's and
TensorFlow Serving's are, ``{name}/{version}/model.keras`` (or ``model.onnx``, run by ONNX
Runtime), the highest version served by default. Models load and unload while the server
runs. A drift reference beside a model file (``model.reference.npz`` beside ``model.keras``,
see ``glassnet.serve.drift``) loads with it, as ``ServedModel.reference``.

>>> # repo = ModelRepository("models/"); repo.get("fashion").predict({"input": x})
"""

from __future__ import annotations

import os
import re
import threading
import time

import numpy as np

from glassnet.serve.drift import load_reference, reference_path
from glassnet.serve.protocol import ProtocolError, datatype_of

MODEL_FILES = ("model.keras", "model.h5", "model.onnx")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


class ServedModel:
    """One version of a model, ready to run: its input and output names, shapes and
    datatypes, and ``predict({name: array}) -> {name: array}`` (thread-safe).

    ``reference`` is the drift reference stored beside the model file (a
    ``drift.Reference`` of its first input and first output), or None; a reference that
    does not fit the model stops the load with a ``drift.ReferenceFileError`` naming it."""

    reference = None

    def __init__(self, name, version, path, threads=None):
        self.name, self.version, self.path = name, str(version), path
        self.threads = threads  # ONNX Runtime's threads per run (None: its default)
        started = time.perf_counter()
        if path.endswith(".onnx"):
            self._load_onnx(path)
        else:
            self._load_glassnet(path)
        reference = reference_path(path)
        if os.path.isfile(reference):
            self.reference = load_reference(reference, self.inputs[0][1], self.outputs[0][1])
        self.load_seconds = time.perf_counter() - started

    def _load_glassnet(self, path):
        from glassnet.io import load_model

        model = load_model(path, compile=False)
        self.platform = "glassnet"
        self._model = model
        shapes = model.input_shape if len(model.input_names) > 1 else [model.input_shape]
        outputs = model.output_shape if len(model.output_names) > 1 else [model.output_shape]
        self.inputs = [(n, [-1 if d is None else int(d) for d in s], "FP32")
                       for n, s in zip(model.input_names, shapes)]
        self.outputs = [(n, [-1 if d is None else int(d) for d in s], "FP32")
                        for n, s in zip(model.output_names, outputs)]

    def _load_onnx(self, path):
        try:
            import onnxruntime as ort
        except ImportError as error:
            raise ImportError("serving .onnx models needs onnxruntime: pip install "
                              "'glassnet[onnx]'") from error
        options = ort.SessionOptions()
        if self.threads is not None:  # a server runs several at once: one core each
            options.intra_op_num_threads = options.inter_op_num_threads = self.threads
        self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.platform = "onnxruntime_onnx"
        as_dim = lambda d: d if isinstance(d, int) else -1
        kinds = {"tensor(float)": "FP32", "tensor(double)": "FP64", "tensor(int64)": "INT64",
                 "tensor(int32)": "INT32"}
        self.inputs = [(i.name, [as_dim(d) for d in i.shape], kinds.get(i.type, "FP32"))
                       for i in self._session.get_inputs()]
        self.outputs = [(o.name, [as_dim(d) for d in o.shape], kinds.get(o.type, "FP32"))
                        for o in self._session.get_outputs()]

    def metadata(self):
        tensor = lambda name, shape, dtype: {"name": name, "datatype": dtype, "shape": shape}
        return {"name": self.name, "versions": [self.version], "platform": self.platform,
                "inputs": [tensor(*i) for i in self.inputs],
                "outputs": [tensor(*o) for o in self.outputs]}

    def check(self, arrays):
        """The inputs as the model takes them (float32, in the model's order), or a
        ProtocolError naming the input and the expected vs received shape."""
        names = [n for n, _, _ in self.inputs]
        if len(arrays) == 1 and len(names) == 1 and names[0] not in arrays:
            given = next(iter(arrays))
            raise ProtocolError(f"unknown input '{given}'; the model's input is "
                                f"'{names[0]}'")
        missing, extra = set(names) - set(arrays), set(arrays) - set(names)
        if missing or extra:
            raise ProtocolError(f"the model's inputs are {names}; the request has "
                                f"{list(arrays)}")
        out = []
        for name, shape, dtype in self.inputs:
            array = arrays[name]
            if array.dtype.kind not in "biuf":
                raise ProtocolError(f"input '{name}': expected numbers ({dtype}), received "
                                    f"{datatype_of(array.dtype)}")
            if array.ndim != len(shape) or any(e not in (-1, r) for e, r in
                                               zip(shape[1:], array.shape[1:])):
                raise ProtocolError(f"input '{name}': expected shape {shape}, received "
                                    f"{list(array.shape)}")
            array = array.astype(np.float32 if dtype == "FP32" else array.dtype, copy=False)
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise ProtocolError(f"input '{name}': the data holds NaN or infinity")
            out.append(array)
        return out

    def predict(self, inputs):
        """``{output name: array}`` for the checked ``inputs`` (a list, in input order)."""
        if hasattr(self, "_session"):
            feed = {n: x for (n, _, _), x in zip(self.inputs, inputs)}
            results = self._session.run(None, feed)
        else:
            results = self._model.predict_on_batch(inputs[0] if len(inputs) == 1 else inputs)
            results = results if isinstance(results, list) else [results]
        return {n: np.asarray(r) for (n, _, _), r in zip(self.outputs, results)}


class FunctionModel(ServedModel):
    """A model given as a function of NumPy arrays, for what is not a model file: a PyTorch
    module, a scikit-learn estimator. ``inputs`` and ``outputs`` are ``(name, shape,
    datatype)`` triples, -1 for a free dimension; ``fn(*arrays)`` returns an array or a list
    of arrays, one per output. Serve it with ``ModelRepository.add``.

    >>> # repo.add(FunctionModel("torch_mlp", 1, lambda x: net(torch.from_numpy(x)).numpy(),
    >>> #                        [("x", [-1, 784], "FP32")], [("probs", [-1, 10], "FP32")]))
    """

    def __init__(self, name, version, fn, inputs, outputs, platform="python"):
        self.name, self.version, self.path = name, str(version), None
        self._fn, self.platform, self.load_seconds = fn, platform, 0.0
        self.inputs = [(n, list(s), d) for n, s, d in inputs]
        self.outputs = [(n, list(s), d) for n, s, d in outputs]

    def predict(self, inputs):
        results = self._fn(*inputs)
        results = results if isinstance(results, (list, tuple)) else [results]
        return {n: np.asarray(r) for (n, _, _), r in zip(self.outputs, results)}


class ModelRepository:
    """Models by name and version, from a model file (served as its file stem, or ``name``)
    or a repository folder; ``load`` / ``unload`` while serving. ``ModelRepository()`` starts
    empty, for models given with ``add``. ``threads``: ONNX Runtime's threads per run of an
    ``.onnx`` model (default: its own, every core)."""

    def __init__(self, path=None, name=None, threads=None):
        self.path = None if path is None else os.fspath(path)
        self.threads = threads
        self._models = {}  # name -> {version: ServedModel}
        self._lock = threading.Lock()
        self._single = None
        if self.path is None:
            return
        if os.path.isfile(self.path):
            stem = name or os.path.splitext(os.path.basename(self.path))[0]
            self._single = (stem, self.path)
            self.load(stem)
        elif os.path.isdir(self.path):
            for entry in self.index():
                self.load(entry["name"])
        else:
            raise FileNotFoundError(f"no model file or repository folder at {self.path}")

    def add(self, model):
        """Serve ``model`` (a ``ServedModel``, such as a ``FunctionModel``) beside the others,
        under its name and version."""
        if not isinstance(model, ServedModel):
            raise TypeError(f"model: expected a ServedModel (such as a FunctionModel), received "
                            f"{type(model).__name__}")
        if not _NAME.match(model.name):
            raise ValueError(f"model name {model.name!r}: expected letters, digits, '_', '.' "
                             f"or '-'")
        with self._lock:
            self._models.setdefault(model.name, {})[model.version] = model

    def _versions_on_disk(self, name):
        if self.path is None:
            return {}
        if self._single is not None:
            return {"1": self._single[1]} if name == self._single[0] else {}
        if not _NAME.match(name):  # never a path: no "..", no slashes
            return {}
        folder = os.path.join(self.path, name)
        found = {}
        if os.path.isdir(folder):
            for version in os.listdir(folder):
                if version.isdigit():
                    for file in MODEL_FILES:
                        candidate = os.path.join(folder, version, file)
                        if os.path.isfile(candidate):
                            found[str(int(version))] = candidate
                            break
        return found

    def index(self):
        """The models on disk (Triton's repository index): name, and whether loaded."""
        if self._single is not None:
            names = [self._single[0]]
        elif self.path is None:
            names = self.names()
        else:
            names = sorted(set(self.names()) | {n for n in os.listdir(self.path)
                                                if _NAME.match(n) and self._versions_on_disk(n)})
        return [{"name": n, "state": "READY" if n in self._models else "UNAVAILABLE"}
                for n in names]

    def load(self, name):
        """Load (or reload) every version of ``name`` found on disk."""
        versions = self._versions_on_disk(name)
        if not versions:
            raise ProtocolError(f"no model named '{name}' in the repository", status=404)
        loaded = {v: ServedModel(name, v, p, self.threads) for v, p in versions.items()}
        with self._lock:
            self._models[name] = loaded

    def unload(self, name):
        with self._lock:
            if self._models.pop(name, None) is None:
                raise ProtocolError(f"model '{name}' is not loaded", status=404)

    def names(self):
        with self._lock:
            return sorted(self._models)

    def get(self, name, version=None):
        """The served model ``name`` at ``version`` (default: the highest), or a 404."""
        with self._lock:
            versions = self._models.get(name)
        if not versions:
            raise ProtocolError(f"unknown model '{name}'; serving {self.names()}", status=404)
        if version is None:
            return versions[max(versions, key=int)]
        if str(version) not in versions:
            raise ProtocolError(f"model '{name}' has no version {version!r}; versions "
                                f"{sorted(versions, key=int)}", status=404)
        return versions[str(version)]
