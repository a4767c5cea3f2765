"""``Progbar``: Keras's hand-driven progress bar (``keras.utils.Progbar``).

Custom training loops and downloads drive it step by step::

    bar = Progbar(target=100)
    for step in range(100):
        bar.update(step + 1, values=[("loss", loss)])

which draws, redrawn in place on a terminal (a new line per update elsewhere)::

    50/100 ━━━━━━━━━━━━━━━━━━━━ 1s 10ms/step - loss: 0.4321

A value named in ``stateful_metrics`` is shown as given; any other is averaged over the steps
it covered (weighted by how many steps each update advanced), as Keras does:
``avg = sum(v_i * n_i) / sum(n_i)``. ``fit``'s own display is ``ProgbarLogger`` (tqdm); this
class is the public utility with Keras's update protocol.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np


def _duration(seconds, unit):
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def _eta(seconds):
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """A progress bar updated by hand.

    Args:
        target: total number of steps, None if unknown.
        width: bar width in characters (Keras 3: 20).
        verbose: 0 silent, 1 a bar redrawn at most every ``interval`` seconds, 2 one line
            when the target is reached.
        interval: minimum seconds between redraws.
        stateful_metrics: names shown as given (not averaged). Exclusive with
            ``stateless_metrics``, the names to average when all others are shown as given.
        unit_name: what a step is called (``"step"``, ``"sample"``).

    >>> bar = Progbar(None, verbose=0)
    >>> bar.update(1, [("loss", 1.0)]); bar.add(2, [("loss", 4.0)])
    >>> bar._values["loss"]  # (1*1 + 4*2) / 3 is shown
    [9.0, 3]
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError("Progbar: give at most one of stateful_metrics and "
                             "stateless_metrics. Received both")
        if target is not None and (isinstance(target, bool) or not isinstance(
                target, (int, np.integer)) or target < 0):
            raise ValueError(f"Progbar: target must be a non-negative integer or None. "
                             f"Received: target={target!r}")
        self.target, self.width, self.verbose = target, width, verbose
        self.interval, self.unit_name = interval, unit_name
        self.stateful_metrics = set(stateful_metrics or ()) if stateless_metrics is None \
            else None
        self.stateless_metrics = None if stateless_metrics is None else set(stateless_metrics)
        self._dynamic_display = ((hasattr(sys.stdout, "isatty") and sys.stdout.isatty())
                                 or "ipykernel" in sys.modules or "posix" in sys.modules
                                 or "PYCHARM_HOSTED" in os.environ)
        self._seen_so_far = 0
        self._values, self._values_order = {}, []
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _averaged(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Move the bar to step ``current``.

        Args:
            current: the step reached.
            values: ``[(name, value), ...]`` for the steps since the last update.
            finalize: whether this is the last update; default ``current >= target``.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            if not self._averaged(name) or finalize:
                # a final update carries the epoch's value: shown as given
                self._values[name] = [value, 1]
                continue
            steps = max(current - self._seen_so_far, 1)
            total, count = self._values.get(name, [0.0, 0])
            self._values[name] = [total + value * steps, count + steps]
        self._seen_so_far = current
        now = time.time()
        per_unit = self._step_duration(current, now)
        if self.verbose == 1:
            if now - self._last_update < self.interval and not finalize:
                return
            self._draw(current, now, per_unit, finalize)
        elif self.verbose == 2 and finalize and self.target:
            digits = int(math.log10(self.target)) + 1
            line = f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s -"
            line += _duration(per_unit, self.unit_name) + self._metrics() + "\n"
            sys.stdout.write(line)
            sys.stdout.flush()
        self._last_update = now

    def add(self, n, values=None):
        """Advance the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    def _metrics(self):
        text = ""
        for name in self._values_order:
            total, count = self._values[name]
            avg = float(np.mean(total)) / max(1, count)
            text += f" - {name}: {avg:.4f}" if abs(avg) > 1e-3 else f" - {name}: {avg:.4e}"
        return text

    def _draw(self, current, now, per_unit, finalize):
        prefix = "\b" * self._prev_total_width + "\r" if self._dynamic_display else "\n"
        if self.target:
            digits = int(math.log10(self.target)) + 1
            done = int(self.width * current / self.target)
            count = f"{current:{digits}d}/{self.target}"
            bar = f"\x1b[1m{count}\x1b[0m "
            hidden = 8  # the escape codes take no columns
            if done > 0:
                bar += f"\x1b[32m{'━' * done}\x1b[0m"
                hidden += 9
            bar += f"\x1b[37m{'━' * (self.width - done)}\x1b[0m"
            hidden += 9
        else:
            bar, hidden = f"{current:7d}/Unknown", 0
        if self.target and not finalize:
            info = f" \x1b[1m{_eta(per_unit * (self.target - current))}\x1b[0m"
        else:
            info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
        hidden += 8
        info += _duration(per_unit, self.unit_name) + self._metrics()
        width = len(bar) + len(info) - hidden
        message = prefix + bar + info + " " * max(self._prev_total_width - width, 0)
        sys.stdout.write(message + ("\n" if finalize else ""))
        sys.stdout.flush()
        self._prev_total_width = width

    def _step_duration(self, current, now):
        """Seconds per step, leaving out the first step (compilation, warm-up) once there
        are others."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            duration = (now - self._time_after_first_step) / (current - 1)
        else:
            duration = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return duration
