"""The compile settings of a saved model (optimizer, loss, metrics, loss weights) as JSON, and
back.

A loss or metric object is saved by its class name and config, as Keras does; a function by
its name. Loading resolves a name among glassnet's own losses and metrics or in
``custom_objects``, never by importing it.
"""

from __future__ import annotations

import inspect

FUNCTION = "function"  # Keras's class_name for a function saved by name


def is_serialized_object(value):
    return (isinstance(value, dict) and set(value) == {"class_name", "config"}
            and isinstance(value["class_name"], str))


def _function_ref(fn, module, kind):
    name = getattr(fn, "__name__", None)
    if isinstance(name, str) and getattr(module, name, None) is fn:
        return name  # a glassnet function: its name is what compile understands
    if not (isinstance(name, str) and name.isidentifier()):
        code = getattr(fn, "__code__", None)
        at = f" (defined at {code.co_filename}:{code.co_firstlineno})" if code else ""
        what = ("a lambda" if name == "<lambda>" else
                f"a callable {type(fn).__name__} object with no function name")
        raise TypeError(
            f"cannot save the model: it was compiled with the {kind} {fn!r}{at}, which is "
            f"{what}; a model file names its {kind} functions, and this one cannot be found "
            f"by a name when loading. Define it with def (def my_{kind}(y_true, y_pred): ...), "
            f"compile with it, and pass it back when loading: load_model(path, "
            f"custom_objects={{'my_{kind}': my_{kind}}})")
    return {"class_name": FUNCTION, "config": name}


def serialize_loss(loss):
    from glassnet import losses

    if isinstance(loss, (list, tuple)):
        return [serialize_loss(x) for x in loss]
    if isinstance(loss, dict):
        return {str(k): serialize_loss(v) for k, v in loss.items()}
    if isinstance(loss, type) and issubclass(loss, losses.Loss):
        loss = loss()
    if isinstance(loss, losses.LossFunctionWrapper) and type(loss).__name__ == "FunctionLoss":
        return _function_ref(type(loss).fn, losses, "loss")
    if isinstance(loss, losses.Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if callable(loss):
        return _function_ref(loss, losses, "loss")
    return loss


def serialize_metrics(spec):
    from glassnet import metrics

    if isinstance(spec, (list, tuple)):
        return [serialize_metrics(x) for x in spec]
    if isinstance(spec, dict):
        return {str(k): serialize_metrics(v) for k, v in spec.items()}
    if isinstance(spec, type) and issubclass(spec, metrics.Metric):
        spec = spec()
    if isinstance(spec, metrics.MeanMetricWrapper) and type(spec).__name__ == "FunctionMetric":
        return _function_ref(type(spec).fn, metrics, "metric")
    if isinstance(spec, metrics.Metric):
        return {"class_name": type(spec).__name__, "config": spec.get_config()}
    if callable(spec):
        return _function_ref(spec, metrics, "metric")
    return spec


def _deserialize(value, kind, module, table, base, custom_objects, source):
    from glassnet.naming import lookup

    if isinstance(value, list):
        return [_deserialize(v, kind, module, table, base, custom_objects, source)
                for v in value]
    if isinstance(value, dict) and not is_serialized_object(value):
        return {k: _deserialize(v, kind, module, table, base, custom_objects, source)
                for k, v in value.items()}
    if not isinstance(value, dict):
        if value is None or isinstance(value, str):
            return value  # a name: compile resolves it (and refuses unknown ones)
        raise ValueError(f"{source}: config.json: the {kind} is {value!r}; expected a name "
                         f"or a {{class_name, config}} object")
    name, config = value["class_name"], value["config"]
    custom_objects = custom_objects or {}
    if name == FUNCTION:
        if not isinstance(config, str):
            raise ValueError(f"{source}: config.json names a {kind} function by {config!r}, "
                             f"not by a name")
        if config in custom_objects:
            return custom_objects[config]
        fn = getattr(module, config, None)
        if inspect.isfunction(fn):
            return fn
        raise ValueError(
            f"{source}: the model was compiled with the {kind} function '{config}', which is "
            f"not part of glassnet; pass it when loading: load_model(path, custom_objects="
            f"{{'{config}': {config}}}) (or load_model(path, compile=False)). Nothing from "
            f"the file is imported or executed.")
    if name in custom_objects:
        cls = custom_objects[name]
    else:
        cls = lookup(table, name, kind)
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"{source}: config.json names the {kind} '{name}', but "
                         f"custom_objects gives {cls!r}, which is not a {base.__name__} class")
    if not isinstance(config, dict):
        raise ValueError(f"{source}: config.json: the config of the {kind} '{name}' is "
                         f"{config!r}; expected an object")
    try:
        return cls.from_config(config)
    except ValueError as err:
        raise ValueError(f"{source}: config.json: the {kind} '{name}': {err}") from None
    except TypeError as err:
        raise ValueError(f"{source}: config.json: the {kind} '{name}' cannot be made from its "
                         f"config {config!r} ({err})") from None


def deserialize_loss(value, custom_objects, source):
    from glassnet import losses

    return _deserialize(value, "loss", losses, losses.LOSSES, losses.Loss, custom_objects,
                        source)


def deserialize_metrics(value, custom_objects, source):
    from glassnet import metrics

    return _deserialize(value, "metric", metrics, metrics.METRICS, metrics.Metric,
                        custom_objects, source)


def deserialize_optimizer(value, custom_objects, source):
    from glassnet import optim
    from glassnet.naming import lookup

    if isinstance(value, str):
        return optim.get(value)
    if not is_serialized_object(value) or not isinstance(value["config"], dict):
        raise ValueError(f"{source}: config.json: the optimizer is {value!r}; expected a "
                         f"{{class_name, config}} object")
    name = value["class_name"]
    cls = (custom_objects or {}).get(name) or lookup(optim.OPTIMIZERS, name, "optimizer")
    if not (isinstance(cls, type) and issubclass(cls, optim.Optimizer)):
        raise ValueError(f"{source}: custom_objects gives {cls!r} for the optimizer '{name}', "
                         f"which is not an Optimizer class")
    try:
        return cls.from_config(value["config"])
    except (TypeError, KeyError) as err:
        raise ValueError(f"{source}: config.json: the optimizer '{name}' cannot be made from "
                         f"its config ({type(err).__name__}: {err})") from None


def compile_config(model):
    from glassnet import optim

    return {"optimizer": optim.serialize(model.optimizer),
            "loss": serialize_loss(model._loss_spec),
            "metrics": serialize_metrics(model._metrics_spec),
            "loss_weights": model._loss_weights}


def compile_from_config(model, cc, custom_objects, source):
    if not isinstance(cc, dict) or not {"optimizer", "loss"} <= set(cc):
        raise ValueError(f"{source}: config.json: compile_config must hold at least "
                         f"'optimizer' and 'loss'")
    loss_weights = cc.get("loss_weights")
    if not _is_numbers(loss_weights):
        raise ValueError(f"{source}: config.json: loss_weights is {loss_weights!r}; expected "
                         f"numbers (a list or an object of them)")
    model.compile(optimizer=deserialize_optimizer(cc["optimizer"], custom_objects, source),
                  loss=deserialize_loss(cc["loss"], custom_objects, source),
                  metrics=deserialize_metrics(cc.get("metrics"), custom_objects, source),
                  loss_weights=loss_weights)


def _is_numbers(value):
    if value is None:
        return True
    items = value.values() if isinstance(value, dict) else value
    if not isinstance(value, (list, dict)):
        return False
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items)
