"""``ProgbarLogger``: Keras's progress display, drawn with tqdm.

verbose=1: one bar per epoch, ``step/steps [bar] ETA - ms/step - metrics``, redrawn a few
times a second (tqdm decides when, so a step costs almost nothing); verbose=2: one line per
epoch. Without tqdm installed (the ``[progress]`` extra), verbose=1 prints the verbose=2 line.
"""

from __future__ import annotations

import sys
import time

from glassnet.train.callbacks.base import Callback

try:
    import tqdm as _tqdm
except ImportError:  # optional extra
    _tqdm = None


def _format_logs(logs):
    parts = []
    for k, v in sorted((logs or {}).items()):
        if isinstance(v, float):
            parts.append(f"{k}: {v:.4f}")
    return " - ".join(parts)


def _per_step(seconds, steps):
    per = seconds / max(steps, 1)
    return f"{per * 1e3:.0f}ms/step" if per >= 1e-3 else f"{per * 1e6:.0f}us/step"


class ProgbarLogger(Callback):
    """Prints progress and metrics (added by fit/evaluate/predict when verbose > 0)."""

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream

    def _out(self):
        return self.stream or sys.stdout

    def _open(self, total):
        self._start = time.perf_counter()
        self._seen = 0
        self._bar = None
        if self.params.get("verbose") == 1 and _tqdm is not None:
            self._bar = _tqdm.tqdm(total=total, file=self._out(), leave=True, ascii=False,
                                   bar_format="{n_fmt}/{total_fmt} {bar:20} {desc}",
                                   dynamic_ncols=False, mininterval=0.1)
            self._next_refresh = self._start + 0.05

    def _advance(self, logs):
        self._seen += 1
        if self._bar is None:
            return
        now = time.perf_counter()
        if now >= self._next_refresh:  # format metrics only when tqdm will redraw
            elapsed = now - self._start
            total = self._bar.total or self._seen
            eta = elapsed / self._seen * max(total - self._seen, 0)
            self._bar.set_description_str(f"{eta:.0f}s {_per_step(elapsed, self._seen)}"
                                          + (f" - {_format_logs(logs)}" if logs else ""),
                                          refresh=False)
            self._next_refresh = now + 0.1
        self._bar.update(1)

    def _close(self, logs):
        elapsed = time.perf_counter() - self._start
        summary = f"{elapsed:.0f}s {_per_step(elapsed, self._seen)}"
        metrics = _format_logs(logs)
        if metrics:
            summary += f" - {metrics}"
        if self._bar is not None:
            self._bar.set_description_str(summary, refresh=False)
            self._bar.close()
        else:
            total = self.params.get("steps") or self._seen
            print(f"{self._seen}/{total} - {summary}", file=self._out(), flush=True)

    # training
    def on_epoch_begin(self, epoch, logs=None):
        if self.params.get("verbose"):
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self._out(), flush=True)
        self._open(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self._advance(logs)
        self._last = logs

    def on_epoch_end(self, epoch, logs=None):
        self._close(logs)

    # evaluate and predict
    def on_test_begin(self, logs=None):
        if self.params.get("mode") == "test":
            self._open(self.params.get("steps"))

    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("mode") == "test":
            self._advance(logs)

    def on_test_end(self, logs=None):
        if self.params.get("mode") == "test":
            self._close(logs)

    def on_predict_begin(self, logs=None):
        self._open(self.params.get("steps"))

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(None)

    def on_predict_end(self, logs=None):
        self._close(None)
