"""Adaptive (dynamic) batching: requests that arrive together run as one predict.

Each model version has a ``BatchQueue``. A request's checked inputs wait until the queue
holds ``max_batch_size`` samples or the first waiting request is ``max_batch_delay_ms``
old; then the waiting requests (up to ``max_batch_size`` samples, whole requests only) are
concatenated along the batch axis, predicted once in a worker thread, and each gets its own
rows back. Requests whose samples have other shapes than the first's (a model with free
dimensions) wait for the next batch. A lone request waits at most ``max_batch_delay_ms``.

The rows a request gets back are the rows the model computes for it inside the batch; a
model's outputs for one sample do not depend on the other samples (inference mode), so
they equal the outputs of a request predicted alone, up to the rounding of a different
GEMM size.
"""

from __future__ import annotations

import asyncio

import numpy as np


class BatchQueue:
    """The waiting requests of one served model."""

    def __init__(self, model, max_batch_size=32, max_batch_delay_ms=2.0, run=None,
                 observe=None):
        self.model = model
        # observe(samples, queue_seconds_per_request, inference_seconds): for the metrics
        self._observe = observe
        self.max_batch_size = int(max_batch_size)
        self.delay = float(max_batch_delay_ms) / 1000.0
        self._run = run  # how to run a blocking call off the event loop
        self._waiting = []  # (inputs, samples, future)
        self._timer = None
        self.batch_sizes = []  # samples per predict, for the metrics and the tests

    async def predict(self, inputs):
        """The outputs for ``inputs`` (a list of arrays, batch axis first)."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        future.enqueued = loop.time()
        self._waiting.append((inputs, len(inputs[0]), future))
        if sum(n for _, n, _ in self._waiting) >= self.max_batch_size:
            self._flush_now()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._flush_now)
        return await future

    def _flush_now(self):
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._waiting:
            batch, rest, samples = [], [], 0
            shapes = [x.shape[1:] for x in self._waiting[0][0]]
            for item in self._waiting:
                same = [x.shape[1:] for x in item[0]] == shapes
                if same and (not batch or samples + item[1] <= self.max_batch_size):
                    batch.append(item)
                    samples += item[1]
                else:
                    rest.append(item)
            self._waiting = rest
            asyncio.ensure_future(self._predict(batch))
            if sum(n for _, n, _ in rest) < self.max_batch_size:
                break
        if self._waiting and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._flush_now)

    async def _predict(self, batch):
        inputs = [np.concatenate(parts) if len(parts) > 1 else parts[0]
                  for parts in zip(*(item[0] for item in batch))]
        self.batch_sizes.append(len(inputs[0]))
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            outputs = await self._run(self.model.predict, inputs)
        except Exception as err:  # noqa: BLE001 - every waiting request gets the error
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(err)
            return
        if self._observe is not None:
            self._observe(len(inputs[0]), [started - f.enqueued for _, _, f in batch],
                          loop.time() - started)
        start = 0
        for _, n, future in batch:
            if not future.done():
                future.set_result({k: v[start:start + n] for k, v in outputs.items()})
            start += n
