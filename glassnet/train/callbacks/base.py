"""``Callback``: hooks into the training loop, with Keras's names; ``History``."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Whether this process reports progress and writes checkpoints: in a data-parallel job
# (glassnet.distributed.init) only rank 0 does, the others train silently.
_chief = True


def set_chief(flag):
    """Make this process the one that prints progress and writes checkpoint files (True, the
    default) or one that trains silently (False: the other ranks of a distributed job)."""
    global _chief
    _chief = bool(flag)


def is_chief():
    """Whether this process prints progress and writes checkpoints (see ``set_chief``)."""
    return _chief


def warn(message, category=UserWarning):
    """``warnings.warn`` attributed to the first frame outside glassnet: the user's
    ``fit``/``evaluate`` call, not the callback machinery."""
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level if frame is not None else 2)


class Callback:
    """Override any hook; ``self.model`` is the model being trained, ``self.params`` holds
    ``epochs``, ``steps`` and ``verbose``."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)  # Keras 2 callbacks define on_batch_begin

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    # Keras 2 names, called by the default on_train_batch_begin/end
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


class History(Callback):
    """Records each epoch's logs: ``history.history["loss"]`` is the loss per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.model.history = self  # also for a fit of 0 epochs

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def _overrides(callback, hook):
    """Whether ``callback`` does anything in ``hook`` (so empty hooks cost nothing)."""
    if hook in vars(callback):  # set on the instance (LambdaCallback)
        return True
    method = getattr(type(callback), hook, None)
    if hook in ("on_train_batch_begin", "on_train_batch_end"):
        keras2 = "on_batch_begin" if hook.endswith("begin") else "on_batch_end"
        if getattr(type(callback), keras2) is not getattr(Callback, keras2):
            return True
    return method is not getattr(Callback, hook)


class CallbackList:
    """The callbacks of one fit/evaluate/predict call; each hook calls only the callbacks
    that define it."""

    HOOKS = [name for name in vars(Callback) if name.startswith("on_")]

    def __init__(self, callbacks=None, model=None, add_history=False, add_progbar=False,
                 verbose=1, epochs=1, steps=None, mode="train"):
        from glassnet.train.callbacks.progbar import ProgbarLogger

        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be Callback instances; received "
                                f"{type(cb).__name__}")
        # Keras's order: the progress bar first, History last (it records what the user's
        # callbacks added to the logs, such as the learning rate).
        if add_progbar and _chief and not any(isinstance(c, ProgbarLogger)
                                              for c in self.callbacks):
            self.callbacks.insert(0, ProgbarLogger())
        if add_history:
            self.callbacks.append(History())
        params = {"verbose": verbose, "epochs": epochs, "steps": steps, "mode": mode}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        self._active = {hook: [getattr(cb, hook) for cb in self.callbacks if _overrides(cb, hook)]
                        for hook in self.HOOKS}

    def has_hook(self, hook) -> bool:
        """Whether any callback does something in ``hook``."""
        return bool(self._active[hook])

    def _call(self, hook, *args):
        fns = self._active[hook]
        if fns and args[-1] is None:  # Keras hands every hook a dict: `logs.keys()` works
            args = (*args[:-1], {})
        for fn in fns:
            fn(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call("on_test_batch_end", batch, logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call("on_predict_batch_end", batch, logs)
