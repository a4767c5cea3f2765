"""Parameter routing with SciKeras's names: ``model__units`` goes to the model builder,
``optimizer__learning_rate`` to the optimizer, ``fit__``/``predict__``/``loss__``/
``callbacks__`` to theirs.

A routed value overrides the plain parameter of the same name, so
``route({"epochs": 3, "fit__epochs": 5}, "fit__")`` gives ``{"epochs": 5}`` when ``epochs`` is
one the destination accepts.

>>> route({"batch_size": 8, "model__hidden": 4, "fit__batch_size": 16}, "fit__", ["batch_size"])
{'batch_size': 16}
>>> route({"model__hidden": 4}, "model__")
{'hidden': 4}
"""

import inspect

PREFIXES = ("model__", "fit__", "predict__", "optimizer__", "loss__", "callbacks__")


def route(params, prefix, passthrough=()):
    """The parameters meant for one destination: plain ones named in ``passthrough``, then
    every ``prefix``-ed one with the prefix removed (these win)."""
    routed = {name: params[name] for name in passthrough if name in params}
    routed.update({name[len(prefix):]: value for name, value in params.items()
                   if name.startswith(prefix)})
    return routed


def is_routed(name):
    """Whether ``name`` is a routed parameter (``model__units``) rather than a plain one."""
    return name.startswith(PREFIXES)


def call_with_accepted(fn, wanted, extras):
    """``fn(**wanted, **extras that fn names)``: ``meta``/``compile_kwargs``/``params`` are given
    only to a builder that asks for them by name (or takes ``**kwargs``)."""
    signature = inspect.signature(fn)
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    chosen = {name: value for name, value in extras.items()
              if takes_any or name in signature.parameters}
    return fn(**wanted, **chosen)
