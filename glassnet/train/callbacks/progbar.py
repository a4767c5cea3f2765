"""``ProgbarLogger``: Keras's progress display, drawn by tqdm.

On a terminal, ``verbose=1`` (and ``"auto"``) shows one bar per epoch, redrawn by tqdm a few
times a second (tqdm keeps the rate, the remaining time and the metrics in its postfix)::

    Epoch 1/5
     412/1688 ███████▍            00:03 2ms/step - accuracy: 0.7712 - loss: 0.6551

and when the epoch ends, a closing line with every metric, the validation ones included,
broken at its `` - `` separators where it is wider than the terminal (never cut off)::

    1688/1688 ████████████████████ 4s 2ms/step - accuracy: 0.8243 - loss: 0.5029 - val_accuracy: ...

``verbose=2``, and any verbose when the output is not a terminal (a pipe, a log file, CI),
prints only the closing line of each epoch: no carriage returns in logs. Without tqdm (the
``[progress]`` extra) the bar is left out and the closing lines are printed. ``verbose=0``
prints nothing (fit does not add the callback).
"""

from __future__ import annotations

import os
import sys
import time

from glassnet.train.callbacks.base import Callback

try:
    import tqdm as _tqdm
except ImportError:  # optional extra
    _tqdm = None

BAR = "{n_fmt}/{total_fmt} {bar:20}"  # Keras 3's bar is 20 characters wide too


def _format_logs(logs):
    parts = []
    for k, v in sorted((logs or {}).items()):
        if isinstance(v, float) or getattr(v, "ndim", None) == 0:  # NumPy scalars too
            parts.append(f"{k}: {float(v):.4f}")
    return " - ".join(parts)


def _per_step(seconds):
    return f"{seconds * 1e3:.0f}ms/step" if seconds >= 1e-3 else f"{seconds * 1e6:.0f}us/step"


def _is_terminal(stream):
    """Whether redrawing a line with ``\\r`` shows as a bar (a terminal or a notebook)."""
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty()) or "ipykernel" in sys.modules
    except ValueError:  # a closed stream
        return False


def _columns(stream):
    """The terminal's width: ``COLUMNS`` when set (as ``shutil.get_terminal_size``), else the
    size of the terminal behind ``stream``, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return columns
    except ValueError:
        pass
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
        return columns if columns > 0 else 80
    except (AttributeError, OSError, ValueError):
        return 80


def _wrap(line, width):
    """Break ``line`` at its `` - `` separators so that each piece fits in ``width``."""
    if len(line) <= width:
        return line
    lines, current = [], ""
    for part in line.split(" - "):
        if current and len(current) + 3 + len(part) > width:
            lines.append(current)
            current = "    " + part
        else:
            current = f"{current} - {part}" if current else part
    return "\n".join([*lines, current])


if _tqdm is not None:
    class _Bar(_tqdm.tqdm):
        """tqdm with Keras's time per step (``{per_step}``, from tqdm's smoothed rate) and
        the metrics after `` - `` (``{metrics}``, from the postfix)."""

        @property
        def format_dict(self):
            d = super().format_dict
            d["per_step"] = _per_step(1 / d["rate"]) if d["rate"] else "?/step"
            d["metrics"] = f" - {d['postfix']}" if d["postfix"] else ""
            return d


class ProgbarLogger(Callback):
    """Prints progress and metrics (added by fit/evaluate/predict when verbose is not 0).

    Args:
        stream: where to write; ``sys.stdout`` (at the time of writing) by default.
    """

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream
        self._bar = None

    def _out(self):
        return self.stream or sys.stdout

    def _verbose(self):
        """1 (bar) or 2 (closing lines only) for where the output goes now; 0 silent."""
        verbose = self.params.get("verbose", 1)
        if not verbose:
            return 0
        if verbose == 2 or _tqdm is None or not _is_terminal(self._out()):
            return 2
        return 1  # 1 or "auto" on a terminal

    def _open(self, total):
        self._start = time.perf_counter()
        self._seen = 0
        self._total = total
        self._bar = None
        if self._verbose() == 1:
            out = self._out()
            self._bar = _Bar(total=total, file=out, leave=False, ncols=_columns(out),
                             mininterval=0.1, unit="step",
                             bar_format=BAR + " {remaining} {per_step}{metrics}")

    def _advance(self, logs):
        self._seen += 1
        bar = self._bar
        if bar is None:
            return
        # Format the metrics only when tqdm is about to redraw (so a step costs almost nothing).
        if (logs and bar.n + 1 - bar.last_print_n >= bar.miniters
                and time.time() - bar.last_print_t >= bar.mininterval):
            bar.set_postfix_str(_format_logs(logs), refresh=False)
        bar.update(1)

    def _close(self, logs):
        elapsed = time.perf_counter() - self._start
        total = self._total or self._seen
        metrics = _format_logs(logs)
        tail = f"{elapsed:.0f}s {_per_step(elapsed / max(self._seen, 1))}"
        if metrics:
            tail += f" - {metrics}"
        out = self._out()
        if self._bar is not None:
            self._bar.close()  # leave=False: the live bar makes way for the closing line
            self._bar = None
            full = _tqdm.tqdm.format_meter(self._seen, total, elapsed, bar_format=BAR)
            print(_wrap(f"{full} {tail}", _columns(out)), file=out, flush=True)
        else:
            print(f"{self._seen}/{total} - {tail}", file=out, flush=True)

    # training
    def on_epoch_begin(self, epoch, logs=None):
        if self._verbose():
            print(f"Epoch {epoch + 1}/{self.params['epochs']}", file=self._out(), flush=True)
        self._open(self.params.get("steps"))

    def on_train_batch_end(self, batch, logs=None):
        self._advance(logs)

    def on_epoch_end(self, epoch, logs=None):
        self._close(logs)

    def on_train_end(self, logs=None):
        if self._bar is not None:  # training stopped inside an epoch
            self._bar.close()
            self._bar = None

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
