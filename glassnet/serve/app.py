"""The HTTP app (FastAPI): the Open Inference Protocol v2 and TensorFlow Serving's REST API
over a ``ModelRepository``.

Open Inference Protocol v2 (KServe, Triton, MLServer; ``tritonclient.http`` works against
it, binary tensors included)::

    GET  /v2/health/live   /v2/health/ready   /v2
    GET  /v2/models/{name}[/versions/{v}]            metadata
    GET  /v2/models/{name}[/versions/{v}]/ready
    POST /v2/models/{name}[/versions/{v}]/infer
    POST /v2/repository/index   /v2/repository/models/{name}/load|unload
    GET  /v2/models/{name}[/versions/{v}]/drift      data drift (glassnet.serve.drift)

TensorFlow Serving::

    POST /v1/models/{name}[/versions/{v}]:predict    {"instances": [...]} or {"inputs": ...}
    GET  /v1/models/{name}[/versions/{v}]            status
    GET  /v1/models/{name}[/versions/{v}]/metadata

Errors are ``{"error": "..."}``: 400 for a bad request, 404 for an unknown model or version,
413 for a body over ``max_body_bytes``, 415 for a content type that is not JSON. Inference
runs on ``workers`` threads, never in the event loop, with the BLAS at ``blas_threads`` per
call (``workers.InferenceWorkers``: by default one worker per core, one BLAS thread each);
on shutdown the predicts in flight finish first.

Drift: a model version with a drift reference beside its file gets a ``DriftMonitor`` of
its last ``drift_window`` inputs (its first input) and outputs (its first output). A
successful predict only copies them into the monitor's ring buffers; the statistics are
computed in a worker thread when ``/drift`` or ``/metrics`` is read (and then only if new
samples came). ``/drift`` of a version without a reference is a 404 whose error says how
to store one, as for an unknown model.
"""

from __future__ import annotations

import contextlib
import json
import time

import numpy as np

from glassnet.serve.batching import BatchQueue
from glassnet.serve.drift import DriftMonitor
from glassnet.serve.metrics import ServerMetrics
from glassnet.serve.middleware import RequestMetrics
from glassnet.serve.protocol import (
    HEADER_LENGTH,
    ProtocolError,
    decode_request,
    encode_tensor,
    split_body,
)
from glassnet.serve.repository import ModelRepository
from glassnet.serve.workers import InferenceWorkers

try:
    from fastapi import FastAPI, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.responses import JSONResponse, Response
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError("glassnet.serve needs FastAPI and uvicorn: pip install "
                      "'glassnet[serve]'") from error


def _error(message, status=400):
    return JSONResponse({"error": message}, status_code=status)


async def _body(request, limit):
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(f"the body is {declared} bytes, over the limit of {limit}", 413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(f"the body is over the limit of {limit} bytes", 413)
        chunks.append(chunk)
    return b"".join(chunks)


def _content_type_ok(request):
    kind = request.headers.get("content-type", "application/json").split(";")[0].strip()
    return kind in ("application/json", "application/octet-stream", "")


def create_app(repository, max_body_bytes=64 << 20, max_elements=1 << 26, max_batch_size=1,
               max_batch_delay_ms=2.0, drift_window=1000, drift_p_value=0.01, workers=None,
               blas_threads=None):
    """The FastAPI app serving ``repository`` (a ``ModelRepository`` or a path to one).

    ``max_batch_size`` > 1 turns on adaptive batching (``batching.BatchQueue``): concurrent
    requests to one model run as one predict of up to that many samples, gathered for at
    most ``max_batch_delay_ms``. ``drift_window`` and ``drift_p_value`` are the
    ``DriftMonitor``'s window and threshold. ``workers`` threads run the predicts, the BLAS
    at ``blas_threads`` per call (see ``workers.InferenceWorkers``)."""
    pool = InferenceWorkers(workers, blas_threads)
    if not isinstance(repository, ModelRepository):
        repository = ModelRepository(repository, threads=pool.blas_threads)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        pool.start()
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(title="glassnet", version=_version(), lifespan=lifespan)
    app.state.workers = pool
    app.state.repository = repository
    metrics = app.state.metrics = ServerMetrics()
    queues = {}  # (name, version, the ServedModel's id) -> BatchQueue
    monitors = app.state.drift_monitors = {}  # the same keys -> (ServedModel, DriftMonitor)

    async def monitor_for(model):
        """The model's drift monitor, made on first use; None without a reference."""
        reference = getattr(model, "reference", None)
        if reference is None:
            return None
        key = (model.name, model.version, id(model))
        entry = monitors.get(key)
        if entry is None:
            made = await run_in_threadpool(DriftMonitor, reference.inputs,
                                           reference.predictions, window=drift_window,
                                           p_value=drift_p_value)
            entry = monitors.setdefault(key, (model, made))
        return entry[1]

    def refresh_drift():
        """The drift gauges from fresh reports; monitors of versions no longer served go."""
        for key, (model, _) in list(monitors.items()):
            try:
                current = repository.get(model.name, model.version)
            except ProtocolError:
                current = None
            if current is not model:
                monitors.pop(key, None)
                if not any(k[:2] == key[:2] for k in monitors):
                    metrics.clear_drift(model.name, model.version)
        for model, monitor in list(monitors.values()):
            metrics.set_drift(model.name, model.version, monitor.report())

    def observer(model):
        def observe(samples, queued, seconds):
            metrics.batch_size.labels(model.name).observe(samples)
            for wait in queued:
                metrics.queue.labels(model.name).observe(wait)
                metrics.inference.labels(model.name).observe(seconds)
        return observe

    async def run_model(model, inputs):
        metrics.load_seconds.labels(model.name, model.version).set(model.load_seconds)
        if max_batch_size <= 1:
            queued = time.perf_counter()

            def timed():
                started = time.perf_counter()
                out = model.predict(inputs)
                observer(model)(len(inputs[0]), [started - queued],
                                time.perf_counter() - started)
                return out

            results = await pool.run(timed)
        else:
            key = (model.name, model.version, id(model))
            if key not in queues:
                queues[key] = BatchQueue(model, max_batch_size, max_batch_delay_ms,
                                         run=pool.run, observe=observer(model))
            results = await queues[key].predict(inputs)
        monitor = await monitor_for(model)
        if monitor is not None:
            monitor.update(inputs[0], next(iter(results.values()), None))
        return results

    app.add_middleware(RequestMetrics, metrics=metrics)

    @app.get("/metrics")
    async def prometheus_metrics():
        if monitors:
            await run_in_threadpool(refresh_drift)
        return Response(metrics.export(), media_type=metrics.content_type)

    app.state.batch_queues = queues

    @app.exception_handler(ProtocolError)
    async def protocol_error(request, err):
        return _error(str(err), err.status)

    @app.get("/v2")
    async def server_metadata():
        return {"name": "glassnet", "version": _version(),
                "extensions": ["binary_tensor_data", "model_repository"]}

    @app.get("/v2/health/live")
    async def live():
        return Response(status_code=200)

    @app.get("/v2/health/ready")
    async def ready():
        return Response(status_code=200 if repository.names() else 503)

    @app.get("/v2/models/{name}")
    @app.get("/v2/models/{name}/versions/{version}")
    async def model_metadata(name, version=None):
        return repository.get(name, version).metadata()

    @app.get("/v2/models/{name}/ready")
    @app.get("/v2/models/{name}/versions/{version}/ready")
    async def model_ready(name, version=None):
        repository.get(name, version)
        return Response(status_code=200)

    @app.get("/v2/models/{name}/drift")
    @app.get("/v2/models/{name}/versions/{version}/drift")
    async def drift(name, version=None):
        model = repository.get(name, version)
        monitor = await monitor_for(model)
        if monitor is None:
            return _error(f"model '{model.name}' version {model.version} has no drift "
                          f"reference; store one with `glassnet export MODEL --reference "
                          f"DATA.npz` (or glassnet.serve.drift.save_reference): "
                          f"{{stem}}.reference.npz beside the model file", 404)
        report = await run_in_threadpool(monitor.report)
        return {"model_name": model.name, "model_version": model.version, **report}

    @app.post("/v2/models/{name}/infer")
    @app.post("/v2/models/{name}/versions/{version}/infer")
    async def infer(name, request: Request, version=None):
        model = repository.get(name, version)
        if not _content_type_ok(request):
            return _error(f"expected application/json. Received: "
                          f"{request.headers.get('content-type')}", 415)
        header, binary = split_body(await _body(request, max_body_bytes),
                                    request.headers.get(HEADER_LENGTH))
        arrays, wanted, default_binary = decode_request(header, binary, max_elements)
        inputs = model.check(arrays)
        results = await run_model(model, inputs)
        if wanted is not None:
            unknown = set(wanted) - set(results)
            if unknown:
                raise ProtocolError(f"unknown outputs {sorted(unknown)}; the model's outputs "
                                    f"are {list(results)}")
            results = {k: results[k] for k in wanted}
        tensors, blobs = [], []
        for out_name, array in results.items():
            as_binary = wanted[out_name] if wanted is not None else default_binary
            tensor, raw = encode_tensor(out_name, array, binary=True) if as_binary else (
                encode_tensor(out_name, array), b"")
            tensors.append(tensor)
            blobs.append(raw)
        body = {"model_name": model.name, "model_version": model.version, "outputs": tensors}
        if "id" in header:
            body["id"] = header["id"]
        if not any(blobs):
            return JSONResponse(body)
        head = json.dumps(body).encode()
        return Response(head + b"".join(blobs), media_type="application/octet-stream",
                        headers={"Inference-Header-Content-Length": str(len(head))})

    @app.post("/v2/repository/index")
    async def repository_index():
        return repository.index()

    @app.post("/v2/repository/models/{name}/load")
    async def load(name):
        await run_in_threadpool(repository.load, name)
        return Response(status_code=200)

    @app.post("/v2/repository/models/{name}/unload")
    async def unload(name):
        repository.unload(name)
        return Response(status_code=200)

    _tf_serving_routes(app, repository, max_body_bytes, max_elements, run_model)
    return app


def _tf_serving_routes(app, repository, max_body_bytes, max_elements, run_model):
    """TensorFlow Serving's REST API: ``:predict`` with ``instances`` (row format) or
    ``inputs`` (columnar format), and the status and metadata of a model."""

    def target(name_and_verb):
        name, _, verb = name_and_verb.partition(":")
        return name, verb

    async def predict(request, name, version):
        model = repository.get(name, version)
        if not _content_type_ok(request):
            return _error("expected application/json", 415)
        header, _ = split_body(await _body(request, max_body_bytes))
        if ("instances" in header) == ("inputs" in header):
            raise ProtocolError('the body needs exactly one of "instances" or "inputs"')
        data = header.get("instances", header.get("inputs"))
        names = [n for n, _, _ in model.inputs]
        if isinstance(data, dict):
            arrays = {k: _tf_array(v, k, max_elements) for k, v in data.items()}
        elif len(names) == 1:
            arrays = {names[0]: _tf_array(data, names[0], max_elements)}
        else:
            raise ProtocolError(f"the model has inputs {names}: send them by name")
        outputs = await run_model(model, model.check(arrays))
        key = "predictions" if "instances" in header else "outputs"
        if len(outputs) == 1:
            return {key: next(iter(outputs.values())).tolist()}
        return {key: {k: v.tolist() for k, v in outputs.items()}}

    def status(name, version):
        model = repository.get(name, version)
        return {"model_version_status": [{"version": model.version, "state": "AVAILABLE",
                                          "status": {"error_code": "OK",
                                                     "error_message": ""}}]}

    @app.post("/v1/models/{name_and_verb}")
    async def tf_predict(name_and_verb, request: Request):
        name, verb = target(name_and_verb)
        if verb != "predict":
            raise ProtocolError(f"unknown method ':{verb}'; this server answers :predict", 404)
        return await predict(request, name, None)

    @app.post("/v1/models/{name}/versions/{version_and_verb}")
    async def tf_predict_version(name, version_and_verb, request: Request):
        version, verb = target(version_and_verb)
        if verb != "predict":
            raise ProtocolError(f"unknown method ':{verb}'; this server answers :predict", 404)
        return await predict(request, name, version)

    @app.get("/v1/models/{name}")
    @app.get("/v1/models/{name}/versions/{version}")
    async def tf_status(name, version=None):
        return status(name, version)

    @app.get("/v1/models/{name}/metadata")
    @app.get("/v1/models/{name}/versions/{version}/metadata")
    async def tf_metadata(name, version=None):
        model = repository.get(name, version)
        signature = {"inputs": {n: {"dtype": d, "tensor_shape": s} for n, s, d in model.inputs},
                     "outputs": {n: {"dtype": d, "tensor_shape": s}
                                 for n, s, d in model.outputs}}
        return {"model_spec": {"name": model.name, "version": model.version},
                "metadata": {"signature_def": {"serving_default": signature}}}


def _tf_array(data, name, max_elements):
    try:
        array = np.asarray(data, dtype=np.float32)
    except (ValueError, TypeError):
        raise ProtocolError(f"input '{name}': the data must be a (nested) list of numbers, "
                            f"with rows of one length") from None
    if array.size > max_elements:
        raise ProtocolError(f"input '{name}': {array.size} values, over the limit of "
                            f"{max_elements}", 413)
    return array


def _version():
    from glassnet import __version__

    return __version__
