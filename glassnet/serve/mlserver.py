"""A runtime for Seldon's MLServer (and so KServe, which runs MLServer), for those who serve
their models there already: ``GlassnetRuntime`` serves a ``.keras``, ``.h5`` or ``.onnx``
file (``.onnx`` through ONNX Runtime) behind MLServer's REST and gRPC endpoints and its
metrics. Install MLServer beside glassnet: ``pip install "glassnet[serve,mlserver]"``.

A folder per model holds its ``model-settings.json``; ``parameters.uri`` is the model file,
or a folder holding ``model.keras`` (``model.h5``, ``model.onnx``), relative to that json::

    models/
      settings.json              {"http_port": 8080, "grpc_port": 8081}
      fashion/
        model-settings.json      {"name": "fashion",
                                  "implementation": "glassnet.serve.mlserver.GlassnetRuntime",
                                  "parameters": {"uri": "./model.keras", "version": "1"}}
        model.keras

    mlserver start models/
    curl -X POST localhost:8080/v2/models/fashion/infer -H 'Content-Type: application/json' \\
         -d '{"inputs": [{"name": "x", "shape": [1, 784], "datatype": "FP32", "data": [...]}]}'

Inputs are checked as ``glassnet serve`` checks them (names, shapes, numbers, no NaN); a
request that breaks the model's contract is a 400 naming the input and the expected and
received shape. Outputs carry the model's output names.

MLServer 1.7.1's inference worker processes do not start with uvloop 0.22 or newer (they
stop with "There is no current event loop"): either run the models in the server's own
process, ``"parallel_workers": 0`` in ``settings.json``, or ``pip install "uvloop<0.22"``.
"""

from __future__ import annotations

import asyncio
import math
import os

import numpy as np

from glassnet.serve.protocol import ProtocolError
from glassnet.serve.repository import MODEL_FILES, ServedModel

try:
    from mlserver import MLModel
    from mlserver.codecs import NumpyCodec
    from mlserver.codecs.numpy import to_dtype
    from mlserver.errors import InferenceError, InvalidModelURI, MLServerError
    from mlserver.types import InferenceRequest, InferenceResponse, MetadataTensor
    from mlserver.utils import get_model_uri
    _MISSING = None
except ImportError as error:
    # The module imports without MLServer (for the docs and doctests); its runtime's name
    # then raises the ImportError, so MLServer's import of it says what to install
    _MISSING, MLModel = error, object


class GlassnetRuntime(MLModel):
    """An MLServer model runtime over a glassnet ``ServedModel``: the model file named by the
    model settings' ``parameters.uri``, its inputs decoded with MLServer's ``NumpyCodec``
    and its outputs encoded under the model's output names."""

    async def load(self) -> bool:
        path = await get_model_uri(self._settings, wellknown_filenames=list(MODEL_FILES))
        if not os.path.isfile(path):
            # a remote URI, or a folder without a model file: MLServer gives either back
            raise InvalidModelURI(self.name, f"expected a model file or a folder holding one "
                                             f"of {list(MODEL_FILES)}, found {path}")
        # Loading reads and builds the model: off the event loop, which serves health checks
        self._model = await asyncio.to_thread(ServedModel, self.name, self.version or "1", path)
        # Metadata the settings do not declare comes from the model itself
        self._settings.platform = self._settings.platform or self._model.platform
        if not self.inputs:
            self.inputs = [MetadataTensor(name=n, datatype=d, shape=s)
                           for n, s, d in self._model.inputs]
        if not self.outputs:
            self.outputs = [MetadataTensor(name=n, datatype=d, shape=s)
                            for n, s, d in self._model.outputs]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        arrays = {}
        for tensor in payload.inputs:
            if tensor.name in arrays:
                raise InferenceError(f"input '{tensor.name}' is given twice")
            arrays[tensor.name] = _decode(tensor)
        try:
            inputs = self._model.check(arrays)
        except ProtocolError as err:
            raise MLServerError(str(err), err.status) from None
        # MLServer awaits predict in its own event loop: the computation runs in a thread so
        # that loop keeps answering while a batch is computed
        results = await asyncio.to_thread(self._model.predict, inputs)
        if payload.outputs:
            wanted = [out.name for out in payload.outputs]
            unknown = sorted(set(wanted) - set(results))
            if unknown:
                raise InferenceError(f"unknown outputs {unknown}; the model's outputs are "
                                     f"{list(results)}")
            results = {name: results[name] for name in wanted}
        return InferenceResponse(
            model_name=self.name, model_version=self.version, id=payload.id,
            outputs=[NumpyCodec.encode_output(name, array) for name, array in results.items()])


def _decode(tensor):
    """The array of one request input, or an InferenceError naming the input (NumpyCodec's
    own errors are NumPy's, which name neither the input nor the shapes)."""
    try:
        return NumpyCodec.decode_input(tensor)
    except (ValueError, TypeError, OverflowError):
        pass
    shape = list(tensor.shape)
    try:
        data = np.asarray(getattr(tensor.data, "root", tensor.data), dtype=to_dtype(tensor))
    except (ValueError, TypeError, OverflowError):
        raise InferenceError(f"input '{tensor.name}': `data` is not a (nested) list of "
                             f"{tensor.datatype} values") from None
    raise InferenceError(f"input '{tensor.name}': shape {shape} needs {math.prod(shape)} "
                         f"values, `data` holds {data.size}")


if _MISSING is not None:
    del GlassnetRuntime


def __getattr__(name):
    if name == "GlassnetRuntime" and _MISSING is not None:
        raise ImportError("glassnet.serve.mlserver.GlassnetRuntime needs MLServer: pip install "
                          "'glassnet[serve,mlserver]'") from _MISSING
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
