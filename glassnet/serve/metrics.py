"""The server's Prometheus metrics (``prometheus_client``), on ``GET /metrics``.

==========================================  =========================================
``glassnet_requests_total``                 requests by model, version, endpoint, status
``glassnet_request_duration_seconds``       whole request, by model and endpoint
``glassnet_queue_duration_seconds``         waiting for a batch (or a worker thread)
``glassnet_inference_duration_seconds``     the predict a request was part of
``glassnet_batch_size``                     samples per predict
``glassnet_requests_in_flight``             requests being answered now
``glassnet_model_load_seconds``             how long each model version took to load
==========================================  =========================================

Each app has its own registry, so several apps (tests, or two servers in one process) do
not share counts.
"""

from __future__ import annotations

try:
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        CollectorRegistry,
        Counter,
        Gauge,
        Histogram,
        generate_latest,
    )
except ImportError as error:  # pragma: no cover - the message is the point
    raise ImportError("the server's metrics need prometheus-client: pip install "
                      "'glassnet[serve]'") from error

# Latency buckets from 0.1 ms to 10 s: a small model answers in well under a millisecond.
SECONDS = (1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1.0,
           2.5, 5.0, 10.0)
SAMPLES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


class ServerMetrics:
    """The metrics of one app."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self):
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("glassnet_requests", "Requests answered.",
                                ["model", "version", "endpoint", "status"], registry=r)
        self.duration = Histogram("glassnet_request_duration_seconds",
                                  "Time to answer a request.", ["model", "endpoint"],
                                  buckets=SECONDS, registry=r)
        self.queue = Histogram("glassnet_queue_duration_seconds",
                               "Time a request waited before its predict started.", ["model"],
                               buckets=SECONDS, registry=r)
        self.inference = Histogram("glassnet_inference_duration_seconds",
                                   "Time of the predict a request was part of.", ["model"],
                                   buckets=SECONDS, registry=r)
        self.batch_size = Histogram("glassnet_batch_size", "Samples per predict.", ["model"],
                                    buckets=SAMPLES, registry=r)
        self.in_flight = Gauge("glassnet_requests_in_flight", "Requests being answered.",
                               registry=r)
        self.load_seconds = Gauge("glassnet_model_load_seconds",
                                  "Seconds a model version took to load.",
                                  ["model", "version"], registry=r)

    def export(self):
        return generate_latest(self.registry)
