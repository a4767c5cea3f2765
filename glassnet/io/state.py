"""Training state beside the weights: the optimizer's arrays and the shuffling generator,
each checked against the model before it is used (shapes and dtypes must match; nothing is
broadcast)."""

from __future__ import annotations

import re

import numpy as np

from glassnet.io.errors import UnsafeFileError

_SLOT_KEY = re.compile(r"(0|[1-9][0-9]{0,8})/([A-Za-z_][A-Za-z0-9_]{0,63})\Z")


def check_optimizer_headers(headers, model, optimizer, label):
    """Refuse optimizer state (``{key: NpyHeader}``) that does not fit ``model``'s trainable
    weights and ``optimizer``'s slots, before any of it is read."""
    trainable = model.trainable_weights
    slots = set(optimizer.slot_names)
    extra = {k: np.asarray(v) for k, v in optimizer.extra_state().items()}
    for key, header in headers.items():
        where = f"{label}: '{key}'"
        if key == "iterations":
            if header.shape != () or header.dtype.kind not in "iu":
                raise UnsafeFileError(f"{where} should be one integer; it declares shape "
                                      f"{header.shape} and dtype {header.dtype}; refused")
            continue
        if key in extra:
            if header.shape != extra[key].shape or header.dtype.kind != "f":
                raise UnsafeFileError(f"{where} declares shape {header.shape} and dtype "
                                      f"{header.dtype}; {type(optimizer).__name__} keeps "
                                      f"{extra[key].shape} floats; refused")
            continue
        match = _SLOT_KEY.match(key)
        if not match or match.group(2) not in slots:
            raise UnsafeFileError(f"{where} is not state that {type(optimizer).__name__} keeps "
                                  f"(its slots: {', '.join(sorted(slots)) or 'none'}); refused")
        index = int(match.group(1))
        if index >= len(trainable):
            raise UnsafeFileError(f"{where} is state for trainable weight {index}, but the "
                                  f"model has {len(trainable)}; refused")
        weight = trainable[index]
        # Scaled slots are exported in float64 (see Optimizer.state_dict): either is the
        # model's dtype here.
        dtypes = {weight.data.dtype.str[1:], "f8"}
        if header.shape != weight.data.shape or header.dtype.str[1:] not in dtypes:
            raise UnsafeFileError(
                f"{where} declares shape {header.shape} and dtype {header.dtype}, but trainable "
                f"weight {index} ('{weight.name}') has shape {weight.data.shape} and dtype "
                f"{weight.data.dtype}; refused (optimizer state is never broadcast)")
    if "iterations" not in headers:
        raise UnsafeFileError(f"{label} lacks 'iterations'; refused")


# -- the shuffling generator ---------------------------------------------------------------

def shuffle_state(model):
    """``model._shuffle_rng``'s state as JSON-able data, or None before the first fit."""
    rng = getattr(model, "_shuffle_rng", None)
    if rng is None:
        return None
    state = rng.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        return None  # only PCG64 is restored on loading
    return {"bit_generator": "PCG64",
            "state": {"state": int(state["state"]["state"]), "inc": int(state["state"]["inc"])},
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def _is_int(value, bits):
    return type(value) is int and 0 <= value < (1 << bits)


def restore_shuffle_state(model, state, label):
    """Set ``model._shuffle_rng`` to a PCG64 generator in ``state`` (checked strictly: it
    comes from a file)."""
    ok = (isinstance(state, dict) and set(state) == {"bit_generator", "state", "has_uint32",
                                                     "uinteger"}
          and state["bit_generator"] == "PCG64"
          and isinstance(state["state"], dict) and set(state["state"]) == {"state", "inc"}
          and _is_int(state["state"]["state"], 128) and _is_int(state["state"]["inc"], 128)
          and state["state"]["inc"] % 2 == 1
          and state["has_uint32"] in (0, 1) and type(state["has_uint32"]) is int
          and _is_int(state["uinteger"], 32))
    if not ok:
        raise UnsafeFileError(f"{label}: 'shuffle_rng' is not the state of a PCG64 generator "
                              f"({{bit_generator, state: {{state, inc}}, has_uint32, "
                              f"uinteger}}); refused")
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = state
    model._shuffle_rng = rng
