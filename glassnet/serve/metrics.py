"""The server's Prometheus metrics (``prometheus_client``), on ``GET /metrics``.

==========================================  =========================================
``glassnet_requests_total``                 requests by model, version, endpoint, status
``glassnet_request_duration_seconds``       whole request, by model and endpoint
``glassnet_queue_duration_seconds``         waiting for a batch (or a worker thread)
``glassnet_inference_duration_seconds``     the predict a request was part of
``glassnet_batch_size``                     samples per predict
``glassnet_requests_in_flight``             requests being answered now
``glassnet_model_load_seconds``             how long each model version took to load
``glassnet_drift_detected``                 1 when inputs or predictions drift, else 0
``glassnet_drift_window_samples``           samples in the drift window
``glassnet_drift_statistic``                KS statistic D by model, version, feature
``glassnet_drift_p_value``                  its Bonferroni-corrected p-value
``glassnet_drift_features_drifting_ratio``  the fraction of features that drift
``glassnet_prediction_drift_statistic``     chi-square (classes) or KS (one output)
``glassnet_prediction_drift_p_value``       its p-value
==========================================  =========================================

Each app has its own registry, so several apps (tests, or two servers in one process) do
not share counts.

The drift gauges exist for model versions with a drift reference (``glassnet.serve.drift``)
once they have been asked for a prediction, a drift report or these metrics, and hold the
statistics of the last report, refreshed when ``/metrics`` is read. To bound the number of
series, ``feature`` is ``"max"`` (the most drifting feature: the largest D, the smallest
p-value) for every model, and names each feature only when a model has at most
``MAX_NAMED_FEATURES``: so a 784-pixel input gives one series, an image's summaries
(``mean``, ``std``, ``dark_fraction``) three more. The statistics are absent while the
window holds fewer than its minimum of samples (``glassnet_drift_detected`` is then 0).
"""

from __future__ import annotations

import threading

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
MAX_NAMED_FEATURES = 16


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
        drift = ["model", "version"]
        self.drift_detected = Gauge("glassnet_drift_detected", "1 when the inputs or the "
                                    "predictions drift from the reference, else 0.", drift,
                                    registry=r)
        self.drift_samples = Gauge("glassnet_drift_window_samples",
                                   "Samples in the drift window.", drift, registry=r)
        self.drift_statistic = Gauge("glassnet_drift_statistic", "Kolmogorov-Smirnov "
                                     "statistic of an input feature against the reference.",
                                     [*drift, "feature"], registry=r)
        self.drift_p_value = Gauge("glassnet_drift_p_value", "Bonferroni-corrected p-value "
                                   "of an input feature's KS test.", [*drift, "feature"],
                                   registry=r)
        self.drift_ratio = Gauge("glassnet_drift_features_drifting_ratio",
                                 "Fraction of input features that drift.", drift, registry=r)
        self.prediction_statistic = Gauge("glassnet_prediction_drift_statistic",
                                          "Chi-square (classes) or KS (one output) statistic "
                                          "of the predictions against the reference.", drift,
                                          registry=r)
        self.prediction_p_value = Gauge("glassnet_prediction_drift_p_value",
                                        "p-value of the prediction drift test.", drift,
                                        registry=r)
        self._drift_features = {}  # (model, version) -> the feature labels set
        self._drift_lock = threading.Lock()

    def set_drift(self, model, version, report):
        """The drift gauges of one model version from its ``DriftMonitor.report()``; series
        that no longer apply are removed, the others overwritten in place."""
        inputs, predictions = report["inputs"], report["predictions"]
        values = []
        if inputs is not None:
            named = [] if inputs["features"] > MAX_NAMED_FEATURES else inputs["top"]
            values = [("max", inputs["max_statistic"], inputs["min_p_value_corrected"])]
            values += [(f["feature"], f["statistic"], f["p_value_corrected"]) for f in named]
        predicted = predictions is not None and predictions.get("status") == "ok"
        with self._drift_lock:
            self._remove_drift(model, version, keep={v[0] for v in values},
                               keep_inputs=inputs is not None, keep_predictions=predicted)
            self.drift_detected.labels(model, version).set(1 if report["drift"] else 0)
            self.drift_samples.labels(model, version).set(report["samples"])
            for feature, statistic, p_value in values:
                self.drift_statistic.labels(model, version, feature).set(statistic)
                self.drift_p_value.labels(model, version, feature).set(p_value)
            self._drift_features[(model, version)] = {v[0] for v in values}
            if inputs is not None:
                self.drift_ratio.labels(model, version).set(inputs["drifting_fraction"])
            if predicted:
                self.prediction_statistic.labels(model, version).set(predictions["statistic"])
                self.prediction_p_value.labels(model, version).set(predictions["p_value"])

    def clear_drift(self, model, version):
        """Remove every drift series of a model version (unloaded or reloaded)."""
        with self._drift_lock:
            self._remove_drift(model, version, set(), False, False)
            for gauge in (self.drift_detected, self.drift_samples):
                _remove(gauge, model, version)

    def _remove_drift(self, model, version, keep, keep_inputs, keep_predictions):
        for feature in self._drift_features.pop((model, version), set()) - keep:
            for gauge in (self.drift_statistic, self.drift_p_value):
                _remove(gauge, model, version, feature)
        if not keep_inputs:
            _remove(self.drift_ratio, model, version)
        if not keep_predictions:
            for gauge in (self.prediction_statistic, self.prediction_p_value):
                _remove(gauge, model, version)

    def export(self):
        return generate_latest(self.registry)


def _remove(gauge, *labels):
    try:
        gauge.remove(*labels)
    except KeyError:  # never set
        pass
