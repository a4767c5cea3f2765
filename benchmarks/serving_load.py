"""Load test of the model server: throughput, latency and error handling under a fixed mix of
valid and invalid requests, for glassnet models beside the same network in ONNX Runtime and
in PyTorch, behind the same FastAPI app, with adaptive batching off and on.

    python3 benchmarks/serving_load.py [--requests 10000] [--concurrency 1,8,64]
        [--only mlp,cnn,onnx,torch] [--batching off,on] [--threads 1] [--max-seconds 300]
        [--json out.json]

Models, prepared once in a temporary folder:

- ``mlp``: the Fashion-MNIST MLP (Flatten -> Dense 128 relu -> Dense 10 softmax), trained one
  epoch (``--train-samples``) and saved as ``model.keras``;
- ``cnn``: the tutorial CNN of ``cnn_training.py`` (Conv2D 32 -> pool -> Conv2D 64 -> pool ->
  Dense 128 -> Dense 10), trained one epoch on ``--cnn-train-samples`` images only: serving
  speed does not depend on accuracy;
- ``onnx``: the MLP exported with ``model.export(path, format="onnx")``, served from a
  ``model.onnx`` by ONNX Runtime;
- ``torch``: the MLP as a PyTorch ``nn.Module`` with the glassnet weights copied in, served as
  a ``FunctionModel`` added to a ``ModelRepository``.

The four are first checked to give the same outputs. Each (model, batching) pair gets its own
server process (uvicorn on 127.0.0.1, a free port; ``create_app(repository, max_batch_size,
max_batch_delay_ms, max_body_bytes=1 MiB)``; batching off is ``max_batch_size=1``, on is
``--batch-size``/``--batch-delay-ms``), with request logs off as with uvicorn's access log.
Each server runs its predicts on the server's worker threads (one per CPU) with
``--threads`` threads per predict (default 1, the server's default): ``blas_threads`` for
glassnet, ``torch.set_num_threads``, ONNX Runtime's intra-op pool (``ModelRepository``'s
``threads``).

The client is one ``httpx.AsyncClient`` whose requests an ``asyncio.Semaphore`` holds to 1, 8
and 64 in flight. Each run sends the same seeded mix of ``--requests`` requests: 50% one
sample (Open Inference Protocol v2 ``/v2/models/{name}/infer``), 20% one sample (TF Serving
``/v1/models/{name}:predict``), 10% a batch of 16 (v2), and 20% invalid: malformed JSON, a
wrong shape (v2 and TF), a bad datatype, NaN, an unknown model, a wrong content type and a few
bodies of 2 MiB (declared and chunked) over the 1 MiB limit. Reported per run: requests/s,
samples/s (samples answered by valid requests per second of wall time), p50/p99 latency of the
valid requests, the mean batch the server ran (from ``/metrics``), the CPU time per request
of the server process and of the client, and the invariants: every
valid request answered 200 with the model's own outputs (compared with its local predict), no
5xx, every invalid request a 4xx with an error message, no transport error, and the server
alive and ready at the end. The exit status is 1 when an invariant fails. Client and server
share the machine's cores, so the client's own time is part of every number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
MODELS = {"mlp": ("glassnet MLP", "fashion_mlp"), "cnn": ("glassnet CNN", "fashion_cnn"),
          "onnx": ("onnxruntime MLP", "fashion_mlp_onnx"),
          "torch": ("PyTorch MLP", "fashion_mlp_torch")}
MAX_BODY = 1 << 20
BATCH = 16  # samples in a batched request
# kind -> (share of the requests, the status an invalid request should get; None: valid)
MIX = {"v2_single": (0.50, None), "tf_single": (0.20, None), "v2_batch": (0.10, None),
       "malformed_json": (0.04, 400), "wrong_shape": (0.04, 400), "tf_wrong_shape": (0.02, 400),
       "bad_datatype": (0.02, 400), "nan": (0.02, 400), "unknown_model": (0.035, 404),
       "content_type": (0.02, 415), "huge_body": (0.0025, 413), "huge_chunked": (0.0025, 413)}


# -- models --------------------------------------------------------------------------------

def load_images(train_samples):
    """``(x_train, y_train, x_test, y_test, note)``: Fashion-MNIST as float32 in [0, 1], else
    the MNIST sample in ../shared/datasets, else random data."""
    sys.path.insert(0, ROOT)
    from glassnet.datasets import fashion_mnist as fm

    if fm.find_files() is not None:
        (x, y), (xt, yt) = fm.load_data()
        note = "Fashion-MNIST"
    else:
        sample = os.path.join(ROOT, "..", "shared", "datasets", "mnist10k.npz")
        if os.path.exists(sample):
            with np.load(sample, allow_pickle=False) as f:
                x, y = f["x"][:8000], f["y"][:8000]
                xt, yt = f["x"][8000:], f["y"][8000:]
            note = "MNIST sample (Fashion-MNIST not found)"
        else:
            rng = np.random.default_rng(0)
            x, xt = rng.integers(0, 256, (2, 2000, 28, 28), dtype=np.uint8)
            y, yt = rng.integers(0, 10, (2, 2000))
            note = "random data (no data set found): accuracy means nothing"
    scale = lambda a: (a / 255.0).astype(np.float32)
    return scale(x[:train_samples]), y[:train_samples].astype(np.int64), scale(xt), \
        yt.astype(np.int64), note


def torch_mlp(weights, threads):
    """The MLP in PyTorch with the glassnet weights (kernels are (in, out), Linear's (out,
    in))."""
    import torch

    torch.set_num_threads(threads)
    k1, b1, k2, b2 = (torch.from_numpy(np.ascontiguousarray(w)) for w in weights)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 128), torch.nn.ReLU(),
                              torch.nn.Linear(128, 10), torch.nn.Softmax(dim=1))
    with torch.no_grad():
        net[1].weight.copy_(k1.T)
        net[1].bias.copy_(b1)
        net[3].weight.copy_(k2.T)
        net[3].bias.copy_(b2)
    net.eval()

    def run(x):
        with torch.inference_mode():
            return net(torch.from_numpy(np.ascontiguousarray(x, np.float32))).numpy()

    return run


def onnx_session(path, threads):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def prepare(folder, keys, threads, train_samples=60000, cnn_train_samples=2048, log=print):
    """Train, save and export the models of ``keys`` into ``folder``; returns the test images
    and ``{key: local predict function}``, after checking the MLP's three runtimes agree."""
    sys.path.insert(0, ROOT)
    sys.path.insert(0, HERE)
    from glassnet import keras

    x, y, xt, yt, note = load_images(max(train_samples, cnn_train_samples))
    log(f"data: {note}; {len(x)} training images")
    local = {}
    if {"mlp", "onnx", "torch"} & set(keys):
        keras.utils.set_random_seed(0)
        mlp = keras.Sequential([keras.Input((28, 28), name="image"), keras.layers.Flatten(),
                                keras.layers.Dense(128, activation="relu"),
                                keras.layers.Dense(10, activation="softmax", name="probs")])
        mlp.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
        n = min(train_samples, len(x))
        if n:
            mlp.fit(x[:n], y[:n], batch_size=128, epochs=1, verbose=0)
        accuracy = float(np.mean(mlp.predict_on_batch(xt[:2000]).argmax(1) == yt[:2000]))
        log(f"MLP: trained 1 epoch on {n} images, test accuracy {accuracy:.3f}")
        os.makedirs(os.path.join(folder, "fashion_mlp", "1"), exist_ok=True)
        mlp.save(os.path.join(folder, "fashion_mlp", "1", "model.keras"))
        np.savez(os.path.join(folder, "torch_mlp.npz"),
                 **{f"w{i}": w for i, w in enumerate(mlp.get_weights())})
        local["mlp"] = mlp.predict_on_batch
        if "onnx" in keys:
            path = os.path.join(folder, "fashion_mlp_onnx", "1", "model.onnx")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            mlp.export(path, format="onnx")
            session = onnx_session(path, threads)
            name = session.get_inputs()[0].name
            local["onnx"] = lambda a, s=session, name=name: s.run(None, {name: a})[0]
        if "torch" in keys:
            local["torch"] = torch_mlp(mlp.get_weights(), threads)
        probe = xt[:8]
        reference = local["mlp"](probe)
        for key in ("onnx", "torch"):
            if key in local:
                diff = float(np.max(np.abs(local[key](probe) - reference)))
                log(f"{MODELS[key][0]} vs glassnet MLP on 8 test images: max abs diff "
                    f"{diff:.2e}")
                if diff > 1e-4:
                    raise SystemExit(f"{MODELS[key][0]} disagrees with the glassnet MLP")
    if "cnn" in keys:
        from cnn_training import glassnet_cnn

        cnn = glassnet_cnn()
        n = min(cnn_train_samples, len(x))
        if n:
            cnn.fit(x[:n, ..., None], y[:n], batch_size=64, epochs=1, verbose=0)
        accuracy = float(np.mean(cnn.predict_on_batch(xt[:500, ..., None]).argmax(1)
                                 == yt[:500]))
        log(f"CNN: trained 1 epoch on {n} images only (serving speed does not depend on "
            f"accuracy), test accuracy {accuracy:.3f}")
        os.makedirs(os.path.join(folder, "fashion_cnn", "1"), exist_ok=True)
        cnn.save(os.path.join(folder, "fashion_cnn", "1", "model.keras"))
        local["cnn"] = lambda a, m=cnn: m.predict_on_batch(a[..., None])
    if "mlp" not in keys:
        local.pop("mlp", None)
    return xt, local


def serve(args):
    """The server process: one model of ``args.folder`` behind ``create_app``."""
    sys.path.insert(0, ROOT)
    import uvicorn

    from glassnet import kernels
    from glassnet.serve import FunctionModel, ModelRepository, create_app

    kernels.set_num_threads(args.threads)
    key, name = args.serve, MODELS[args.serve][1]
    if key == "torch":
        with np.load(os.path.join(args.folder, "torch_mlp.npz"), allow_pickle=False) as f:
            weights = [f[f"w{i}"] for i in range(4)]
        repository = ModelRepository()
        repository.add(FunctionModel(name, 1, torch_mlp(weights, args.threads),
                                     [("image", [-1, 28, 28], "FP32")],
                                     [("probs", [-1, 10], "FP32")], platform="pytorch"))
    else:
        file = "model.onnx" if key == "onnx" else "model.keras"
        repository = ModelRepository(os.path.join(args.folder, name, "1", file), name=name,
                                     threads=args.threads)
    app = create_app(repository, max_batch_size=args.batch_size,
                     max_batch_delay_ms=args.batch_delay_ms, max_body_bytes=MAX_BODY,
                     blas_threads=args.threads)
    # As glassnet serve: idle connections outlive httpx's 5 s keep-alive expiry, so the
    # server never closes one the client is reusing at that moment
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                timeout_keep_alive=75)


class Server:
    """A server process for one model, started and ready inside ``with``."""

    def __init__(self, key, folder, batch_size, batch_delay_ms, threads, log_path):
        self.key, self.name = key, MODELS[key][1]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, os.path.abspath(__file__), "--serve", key, "--folder",
                        folder, "--port", str(self.port), "--batch-size", str(batch_size),
                        "--batch-delay-ms", str(batch_delay_ms), "--threads", str(threads)]
        self.env = {**os.environ, **{v: str(threads) for v in THREAD_VARS}}
        self.log_path = log_path

    def __enter__(self):
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.command, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=self.env)
        deadline = time.time() + 120
        while not self.ready():
            if self.proc.poll() is not None or time.time() > deadline:
                self.__exit__()
                with open(self.log_path) as f:
                    raise RuntimeError(f"the server for {self.key} did not start:\n{f.read()}")
            time.sleep(0.2)
        return self

    def alive(self):
        return self.proc.poll() is None

    def ready(self):
        import httpx

        try:
            with httpx.Client(base_url=self.base, timeout=10) as c:
                return (c.get("/v2/health/ready").status_code == 200
                        and c.get(f"/v2/models/{self.name}/ready").status_code == 200)
        except httpx.HTTPError:
            return False

    def get(self, path):
        import httpx

        return httpx.get(self.base + path, timeout=30)

    def mean_batch(self):
        """(predicts, samples) so far, from the ``glassnet_batch_size`` histogram."""
        count = total = 0.0
        for line in self.get("/metrics").text.splitlines():
            if line.startswith("glassnet_batch_size_count"):
                count += float(line.rsplit(" ", 1)[1])
            elif line.startswith("glassnet_batch_size_sum"):
                total += float(line.rsplit(" ", 1)[1])
        return count, total

    def cpu_seconds(self):
        """The server process's CPU time so far (Linux's /proc; None elsewhere)."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


# -- requests ------------------------------------------------------------------------------

class Request:
    __slots__ = ("kind", "path", "body", "headers", "expected", "samples")

    def __init__(self, kind, path, body, headers=None, expected=None, samples=0):
        self.kind, self.path, self.body, self.headers = kind, path, body, headers
        self.expected, self.samples = expected, samples


def v2_body(name, x, datatype="FP32"):
    return json.dumps({"inputs": [{"name": name, "shape": list(x.shape), "datatype": datatype,
                                   "data": x.ravel().tolist()}]}).encode()


def build_plan(count, name, input_name, images, predict, sample_shape, seed=0, pool=128):
    """The seeded mix of ``count`` requests for the served model ``name``: the valid ones
    carry the model's local outputs, the invalid ones the status they should get."""
    rng = np.random.default_rng(seed)
    x = images[:pool].reshape((pool, *sample_shape))
    expected = predict(images[:pool])
    v2, tf = f"/v2/models/{name}/infer", f"/v1/models/{name}:predict"
    json_type = {"content-type": "application/json"}
    singles = [Request("v2_single", v2, v2_body(input_name, x[i:i + 1]), json_type,
                       expected[i:i + 1], 1) for i in range(pool)]
    tf_singles = [Request("tf_single", tf, json.dumps({"instances": x[i:i + 1].tolist()})
                          .encode(), json_type, expected[i:i + 1], 1) for i in range(pool)]
    batches = []
    for _ in range(16):
        idx = rng.choice(pool, BATCH, replace=False)
        batches.append(Request("v2_batch", v2, v2_body(input_name, x[idx]), json_type,
                               expected[idx], BATCH))
    wrong = np.zeros((1, 27, *sample_shape[1:]), np.float32)
    nan = x[:1].copy()
    nan[0].flat[100] = np.nan
    huge = b'{"inputs": [{"name": "%s", "shape": [1], "datatype": "FP32", "data": [' % (
        input_name.encode()) + b"0," * (MAX_BODY) + b"0]}]}"
    invalid = {
        "malformed_json": [Request("malformed_json", v2, singles[0].body[:200], json_type),
                           Request("malformed_json", v2, b'{"inputs": [1, 2', json_type),
                           Request("malformed_json", tf, b"\xff\xfe not json", json_type)],
        "wrong_shape": [Request("wrong_shape", v2, v2_body(input_name, wrong), json_type),
                        Request("wrong_shape", v2, v2_body(input_name, x[0]), json_type)],
        "tf_wrong_shape": [Request("tf_wrong_shape", tf,
                                   json.dumps({"instances": wrong.tolist()}).encode(),
                                   json_type)],
        "bad_datatype": [Request("bad_datatype", v2, v2_body(input_name, x[:1], "FP33"),
                                 json_type),
                         Request("bad_datatype", v2, json.dumps({"inputs": [
                             {"name": input_name, "shape": [1, 2], "datatype": "BYTES",
                              "data": ["a", "b"]}]}).encode(), json_type)],
        "nan": [Request("nan", v2, v2_body(input_name, nan), json_type)],
        "unknown_model": [Request("unknown_model", "/v2/models/no_such_model/infer",
                                  singles[0].body, json_type)],
        "content_type": [Request("content_type", v2, singles[0].body,
                                 {"content-type": "text/plain"})],
        "huge_body": [Request("huge_body", v2, huge, json_type)],
        "huge_chunked": [Request("huge_chunked", v2, huge, json_type)],
    }
    kinds = list(MIX)
    shares = np.array([MIX[k][0] for k in kinds])
    picks = rng.choice(len(kinds), count, p=shares / shares.sum())
    if count >= len(kinds):  # every kind at least once, however short the run
        picks[:len(kinds)] = np.arange(len(kinds))
        rng.shuffle(picks)
    plan = []
    for pick in picks:
        kind = kinds[pick]
        options = {"v2_single": singles, "tf_single": tf_singles, "v2_batch": batches}.get(
            kind) or invalid[kind]
        plan.append(options[rng.integers(len(options))])
    return plan


def outputs_of(kind, body):
    reply = json.loads(body)
    if kind == "tf_single":
        return np.asarray(reply["predictions"], np.float32)
    out = reply["outputs"][0]
    return np.asarray(out["data"], np.float32).reshape(out["shape"])


async def run_load(base, plan, concurrency, max_seconds, timeout=60.0):
    """Send ``plan`` with at most ``concurrency`` requests in flight; returns the per-request
    records ``(request, status, seconds, problem)`` and the wall time."""
    import httpx

    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    records = []

    async def chunks(body, size=1 << 16):
        for i in range(0, len(body), size):
            yield body[i:i + size]

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client:
        started = time.perf_counter()
        deadline = started + max_seconds

        async def one(req):
            async with semaphore:
                if time.perf_counter() > deadline:
                    return
                content = chunks(req.body) if req.kind == "huge_chunked" else req.body
                t0 = time.perf_counter()
                try:
                    response = await client.post(req.path, content=content,
                                                 headers=req.headers)
                    status, body = response.status_code, response.content
                except httpx.HTTPError as err:
                    records.append((req, None, time.perf_counter() - t0,
                                    f"{type(err).__name__}: {err}"))
                    return
                seconds = time.perf_counter() - t0
            records.append((req, status, seconds, check(req, status, body)))

        await asyncio.gather(*(one(r) for r in plan))
        wall = time.perf_counter() - started
    return records, wall


def check(req, status, body):
    """What is wrong with the answer to ``req``, or None."""
    if req.expected is not None:
        if status != 200:
            return f"status {status}: {body[:300]!r}"
        try:
            got = outputs_of(req.kind, body)
        except (ValueError, KeyError, TypeError) as err:
            return f"unreadable reply ({err}): {body[:300]!r}"
        if got.shape != req.expected.shape or not np.allclose(got, req.expected, rtol=1e-4,
                                                              atol=1e-5):
            return f"outputs differ from the local predict: {body[:300]!r}"
        return None
    if not 400 <= status < 500:
        return f"status {status} for an invalid request: {body[:300]!r}"
    try:
        if "error" not in json.loads(body):
            return f"no error message: {body[:300]!r}"
    except (ValueError, UnicodeDecodeError):
        return f"the error is not JSON: {body[:300]!r}"
    return None


def summarise(records, wall, planned):
    valid = [r for r in records if r[0].expected is not None]
    latencies = np.array([s for req, status, s, _ in valid if status == 200]) * 1e3
    statuses = defaultdict(Counter)
    for req, status, _, _ in records:
        statuses[req.kind][str(status)] += 1
    problems = [(req.kind, req.path, status, problem) for req, status, _, problem in records
                if problem]
    return {
        "planned": planned, "sent": len(records), "wall_s": wall,
        "requests_per_s": len(records) / wall,
        "samples_per_s": sum(req.samples for req, status, _, _ in valid if status == 200) / wall,
        "p50_ms": float(np.percentile(latencies, 50)) if len(latencies) else None,
        "p99_ms": float(np.percentile(latencies, 99)) if len(latencies) else None,
        "valid": len(valid),
        "valid_5xx": sum(1 for _, status, _, _ in valid if status and status >= 500),
        "valid_failed": sum(1 for _, status, _, p in valid if status is not None and p),
        "invalid_not_4xx": sum(1 for req, status, _, _ in records if req.expected is None
                               and status is not None and not 400 <= status < 500),
        "invalid_unexplained": sum(1 for req, status, _, p in records if req.expected is None
                                   and status is not None and 400 <= status < 500 and p),
        "transport_errors": sum(1 for _, status, _, _ in records if status is None),
        "statuses": {k: dict(v) for k, v in sorted(statuses.items())},
        "unexpected_4xx": {k: dict(v) for k, v in sorted(statuses.items())
                           if MIX[k][1] is not None and set(v) - {str(MIX[k][1])}},
        "problems": problems[:5],
    }


def failed(result):
    return (result["valid_5xx"] or result["valid_failed"] or result["invalid_not_4xx"]
            or result["invalid_unexplained"] or result["transport_errors"]
            or not result["server_alive"] or not result["server_ready"])


def measure(args, folder, images, local, log=print):
    results = []
    for key in args.only.split(","):
        label, name = MODELS[key]
        sample_shape = (28, 28, 1) if key == "cnn" else (28, 28)
        for batching in args.batching.split(","):
            size = args.batch_size if batching == "on" else 1
            log_path = os.path.join(folder, f"server_{key}_{batching}.log")
            with Server(key, folder, size, args.batch_delay_ms, args.threads,
                        log_path) as server:
                input_name = server.get(f"/v2/models/{name}").json()["inputs"][0]["name"]
                plan = build_plan(args.requests, name, input_name, images, local[key],
                                  sample_shape, seed=args.seed)
                warm = [r for r in plan if r.expected is not None][:20]
                for c in (int(c) for c in args.concurrency.split(",")):
                    asyncio.run(run_load(server.base, warm, 1, 60))
                    before, cpu = server.mean_batch(), (server.cpu_seconds(), time.process_time())
                    records, wall = asyncio.run(run_load(server.base, plan, c,
                                                         args.max_seconds))
                    cpu = (server.cpu_seconds(), time.process_time(), *cpu)
                    result = summarise(records, wall, len(plan))
                    after = server.mean_batch()
                    result["server_cpu_ms"] = None if cpu[0] is None else (
                        (cpu[0] - cpu[2]) / result["sent"] * 1e3)
                    result["client_cpu_ms"] = (cpu[1] - cpu[3]) / result["sent"] * 1e3
                    predicts = after[0] - before[0]
                    result.update(model=label, key=key, batching=batching, concurrency=c,
                                  max_batch_size=size, server_alive=server.alive(),
                                  server_ready=server.ready(),
                                  mean_batch=(after[1] - before[1]) / predicts
                                  if predicts else None)
                    results.append(result)
                    log(f"{label:16} batching {batching:3} concurrency {c:3}: "
                        f"{result['sent']} requests in {wall:6.1f} s, "
                        f"{result['requests_per_s']:7.0f} req/s, p99 "
                        f"{result['p99_ms'] or 0:7.1f} ms" + ("  FAILED" if failed(result)
                                                              else ""))
                    for problem in result["problems"]:
                        log(f"    {problem}")
    return results


def print_table(results):
    columns = ["model", "batching", "concurrency", "requests", "req/s", "samples/s", "p50 ms",
               "p99 ms", "mean batch", "CPU ms/request (server, client)", "valid 5xx",
               "valid not OK", "invalid not 4xx", "transport errors", "server ready"]
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for r in results:
        sent = f"{r['sent']}" + ("" if r["sent"] == r["planned"] else f" of {r['planned']}")
        server_cpu = "-" if r["server_cpu_ms"] is None else f"{r['server_cpu_ms']:.2f}"
        cells = [r["model"], "off" if r["batching"] == "off" else f"on ({r['max_batch_size']})",
                 r["concurrency"], sent, f"{r['requests_per_s']:.0f}",
                 f"{r['samples_per_s']:.0f}", f"{r['p50_ms'] or 0:.2f}",
                 f"{r['p99_ms'] or 0:.2f}",
                 "-" if r["mean_batch"] is None else f"{r['mean_batch']:.1f}",
                 f"{server_cpu}, {r['client_cpu_ms']:.2f}", r["valid_5xx"], r["valid_failed"],
                 r["invalid_not_4xx"], r["transport_errors"],
                 "yes" if r["server_alive"] and r["server_ready"] else "NO"]
        print("| " + " | ".join(str(c) for c in cells) + " |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--only", default="mlp,cnn,onnx,torch")
    parser.add_argument("--batching", default="off,on")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--batch-delay-ms", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-seconds", type=float, default=300.0,
                        help="stop sending new requests of a run after this long")
    parser.add_argument("--train-samples", type=int, default=60000)
    parser.add_argument("--cnn-train-samples", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--serve", choices=sorted(MODELS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = set(args.only.split(",")) - set(MODELS)
    if unknown:
        parser.error(f"--only: unknown models {sorted(unknown)}; choose from {list(MODELS)}")
    os.environ.update({v: str(args.threads) for v in THREAD_VARS})
    if args.serve:
        serve(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="glassnet-load-") as folder:
        images, local = prepare(folder, args.only.split(","), args.threads,
                                args.train_samples, args.cnn_train_samples)
        results = measure(args, folder, images, local)
    print(f"\nServing load test: {args.requests} requests per run (70% valid single, 10% "
          f"valid batch of {BATCH}, 20% invalid), {args.threads} threads, batching on = "
          f"max_batch_size {args.batch_size}, max_batch_delay_ms {args.batch_delay_ms}; "
          f"latency of valid requests\n")
    print_table(results)
    bad = [r for r in results if failed(r)]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1, default=str)
    if bad:
        print(f"\n{len(bad)} run(s) broke an invariant:")
        for r in bad:
            print(f"  {r['model']}, batching {r['batching']}, concurrency {r['concurrency']}: "
                  f"{r['problems']}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
