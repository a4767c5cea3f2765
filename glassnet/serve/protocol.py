"""The Open Inference Protocol v2's tensors (KServe, Triton, MLServer) as NumPy arrays, both
ways, checked before anything is computed.

A request tensor is ``{"name", "shape", "datatype", "data"}`` with ``data`` flat or nested
in row-major order, or, with Triton's binary extension, ``parameters.binary_data_size``
bytes that follow the JSON header in the body (its length in the
``Inference-Header-Content-Length`` HTTP header). Every declared size (the element count of
``shape``, the byte count of a binary tensor) is checked against the body and the limits
before an array is made.

>>> decode_tensor({"name": "x", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]})
('x', array([[1., 2.]], dtype=float32))
>>> encode_tensor("y", np.array([[0.5, 1.5]], np.float32))
{'name': 'y', 'shape': [1, 2], 'datatype': 'FP32', 'data': [0.5, 1.5]}
"""

from __future__ import annotations

import json
import math

import numpy as np

DATATYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32,
             "UINT64": np.uint64, "INT8": np.int8, "INT16": np.int16, "INT32": np.int32,
             "INT64": np.int64, "FP16": np.float16, "FP32": np.float32, "FP64": np.float64,
             "BYTES": np.object_}
NAMES = {np.dtype(v).str: k for k, v in DATATYPES.items() if k != "BYTES"}
HEADER_LENGTH = "inference-header-content-length"


class ProtocolError(ValueError):
    """A request that breaks the protocol or the model's contract: a 400 with this message
    (404 when ``status`` says so)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def datatype_of(dtype):
    """The protocol's name for a NumPy dtype (``FP32`` for float32)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "OUS":
        return "BYTES"
    return NAMES[dtype.str if dtype.byteorder != ">" else dtype.newbyteorder("<").str]


def split_body(body, header_length=None):
    """The JSON header of a request body and its binary part (empty without the
    extension)."""
    if header_length is None:
        return _json(body), b""
    try:
        n = int(header_length)
    except ValueError:
        raise ProtocolError(f"the {HEADER_LENGTH} header must be an integer. Received: "
                            f"{header_length!r}") from None
    if not 0 <= n <= len(body):
        raise ProtocolError(f"{HEADER_LENGTH} is {n}, but the body holds {len(body)} bytes")
    return _json(body[:n]), body[n:]


def _json(raw):
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ProtocolError(f"the request body is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise ProtocolError("the request body must be a JSON object")
    return value


def _shape(tensor, name):
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ProtocolError(f"input '{name}': `shape` must be a list of non-negative "
                            f"integers. Received: {shape!r}")
    return shape


def decode_tensor(tensor, binary=None, max_elements=1 << 26):
    """``(name, array)`` from one request tensor; ``binary``: the bytes after the JSON header,
    consumed from the front (a ``memoryview`` holder: ``[view]``) for a binary tensor."""
    if not isinstance(tensor, dict):
        raise ProtocolError(f"each input must be a JSON object. Received: {tensor!r}"[:200])
    name = tensor.get("name")
    if not isinstance(name, str) or not name:
        raise ProtocolError("each input needs a `name` (a string)")
    shape = _shape(tensor, name)
    datatype = tensor.get("datatype")
    if datatype not in DATATYPES:
        raise ProtocolError(f"input '{name}': `datatype` must be one of {sorted(DATATYPES)}. "
                            f"Received: {datatype!r}")
    count = math.prod(shape)
    if count > max_elements:
        raise ProtocolError(f"input '{name}': shape {shape} holds {count} elements, more than "
                            f"the server's limit of {max_elements}", status=413)
    size = (tensor.get("parameters") or {}).get("binary_data_size")
    if size is not None:
        return name, _binary_tensor(name, shape, datatype, size, count, binary)
    if "data" not in tensor:
        raise ProtocolError(f"input '{name}': no `data` (and no binary_data_size)")
    dtype = DATATYPES[datatype]
    try:
        array = np.asarray(tensor["data"], dtype=dtype)
    except (ValueError, TypeError, OverflowError):
        raise ProtocolError(f"input '{name}': `data` is not a (nested) list of {datatype} "
                            f"values") from None
    if array.size != count:
        raise ProtocolError(f"input '{name}': shape {shape} needs {count} values, `data` "
                            f"holds {array.size}")
    return name, array.reshape(shape)


def _binary_tensor(name, shape, datatype, size, count, binary):
    if datatype == "BYTES":
        raise ProtocolError(f"input '{name}': binary BYTES tensors are not supported; send "
                            f"them as JSON strings")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ProtocolError(f"input '{name}': binary_data_size must be a non-negative "
                            f"integer. Received: {size!r}")
    dtype = np.dtype(DATATYPES[datatype]).newbyteorder("<")
    if size != count * dtype.itemsize:
        raise ProtocolError(f"input '{name}': shape {shape} of {datatype} is "
                            f"{count * dtype.itemsize} bytes, binary_data_size says {size}")
    view = binary[0] if binary else memoryview(b"")
    if size > len(view):
        raise ProtocolError(f"input '{name}': binary_data_size {size} is more than the "
                            f"{len(view)} bytes left in the body")
    binary[0] = view[size:]
    return np.frombuffer(view[:size], dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def decode_request(header, binary=b"", max_elements=1 << 26):
    """``{name: array}`` of a request's ``inputs``, in order, and the names of the requested
    outputs with whether each wants binary data."""
    inputs = header.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise ProtocolError("the request needs `inputs`: a non-empty list of tensors")
    rest = [memoryview(binary)]
    arrays = {}
    for tensor in inputs:
        name, array = decode_tensor(tensor, rest, max_elements)
        if name in arrays:
            raise ProtocolError(f"input '{name}' is given twice")
        arrays[name] = array
    if len(rest[0]):
        raise ProtocolError(f"{len(rest[0])} bytes of binary data follow the inputs unused")
    default_binary = bool((header.get("parameters") or {}).get("binary_data_output", False))
    outputs = header.get("outputs")
    if outputs is not None and not isinstance(outputs, list):
        raise ProtocolError("`outputs` must be a list of {\"name\": ...} objects")
    wanted = None
    if outputs:
        wanted = {}
        for out in outputs:
            if not isinstance(out, dict) or not isinstance(out.get("name"), str):
                raise ProtocolError("each requested output needs a `name`")
            params = out.get("parameters") or {}
            wanted[out["name"]] = bool(params.get("binary_data", default_binary))
    return arrays, wanted, default_binary


def encode_tensor(name, array, binary=False):
    """One response tensor; with ``binary``, ``(tensor, bytes)`` for Triton's extension."""
    array = np.asarray(array)
    datatype = datatype_of(array.dtype)
    tensor = {"name": name, "shape": list(array.shape), "datatype": datatype}
    if binary and datatype != "BYTES":
        raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
        tensor["parameters"] = {"binary_data_size": len(raw)}
        return tensor, raw
    if datatype == "BYTES":
        data = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                for v in array.reshape(-1)]
    else:
        data = array.reshape(-1).tolist()
    tensor["data"] = data
    return (tensor, b"") if binary else tensor
