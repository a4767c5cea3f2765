"""``HyperModel``: how a trial builds and trains its model, as KerasTuner defines it.

Subclass it and override ``build(hp)`` (return a compiled model) and, to tune training too,
``fit(hp, model, *args, **kwargs)`` (pass ``**kwargs`` on to ``model.fit``: it carries the
tuner's callback). A plain function ``build(hp)`` is wrapped in one.
"""

from __future__ import annotations


class HyperModel:
    """A tunable model: ``build(hp)`` returns a compiled model; ``fit`` trains it."""

    def __init__(self, name=None, tunable=True):
        self.name, self.tunable = name, tunable

    def build(self, hp):
        raise NotImplementedError(f"{type(self).__name__}.build(hp) must return a model")

    def fit(self, hp, model, *args, **kwargs):
        """Train ``model``; return its History (or a dict of metrics, or the objective's
        value)."""
        return model.fit(*args, **kwargs)


class _FunctionHyperModel(HyperModel):
    def __init__(self, build):
        super().__init__(name=getattr(build, "__name__", None))
        self._build = build

    def build(self, hp):
        return self._build(hp)


def as_hypermodel(hypermodel):
    """A ``HyperModel`` from a ``HyperModel`` or a ``build(hp)`` function."""
    if isinstance(hypermodel, HyperModel):
        return hypermodel
    if callable(hypermodel):
        return _FunctionHyperModel(hypermodel)
    raise TypeError(f"hypermodel: expected a HyperModel or a function build(hp). Received: "
                    f"{type(hypermodel).__name__}")
