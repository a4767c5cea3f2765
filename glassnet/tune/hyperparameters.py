"""``HyperParameters``: a search space and the current values in it, with KerasTuner's names.

A model-building function asks for each value where it needs it (define-by-run): ``hp.Int``,
``hp.Float``, ``hp.Choice``, ``hp.Boolean`` and ``hp.Fixed`` register a hyperparameter and
return its value for this trial. Outside a search the value is the default (the smallest
number, the first choice, ``False``), so the function can be tried on its own. In a search the
tuner hands the function a ``HyperParameters`` whose new entries are drawn by the search's
engine (an Optuna trial); the draw happens once per name and is then remembered.

A hyperparameter registered inside ``conditional_scope(parent, values)`` is active only while
the parent's value is one of ``values``; an inactive one has no value (``None``), as in
KerasTuner, so no trial depends on a value it did not use.

>>> hp = HyperParameters()
>>> hp.Int("units", min_value=32, max_value=512, step=32)
32
>>> hp.Float("lr", 1e-4, 1e-2, sampling="log"), hp.Choice("act", ["relu", "tanh"])
(0.0001, 'relu')
>>> with hp.conditional_scope("act", ["tanh"]):
...     print(hp.Boolean("scale"))
None
>>> hp.values
{'units': 32, 'lr': 0.0001, 'act': 'relu'}
"""

from __future__ import annotations

import contextlib
import numbers

OWNER = "HyperParameters"
SAMPLINGS = ("linear", "log")


def _check_name(name):
    if not isinstance(name, str) or not name:
        raise TypeError(f"{OWNER}: a hyperparameter's `name` must be a non-empty string. "
                        f"Received: name={name!r}")
    return name


def _number(value, arg, name, kind):
    ok = (numbers.Integral if kind is int else numbers.Real)
    if isinstance(value, bool) or not isinstance(value, ok):
        expected = "an int" if kind is int else "a number"
        raise TypeError(f"{OWNER}: `{arg}` of {name!r} must be {expected}. "
                        f"Received: {arg}={value!r}")
    return kind(value)


class HyperParameter:
    """One entry of the space: its name, default, and the conditions under which it is active
    (a list of ``(parent_name, parent_values)``)."""

    kind = "HyperParameter"

    def __init__(self, name, default, conditions=()):
        self.name = _check_name(name)
        self.default = default
        self.conditions = list(conditions)

    def grid_values(self):
        """Every value a grid search visits, in order (the default first when it is one)."""
        raise ValueError(f"GridSearch: {self.kind} {self.name!r} has no finite set of "
                         f"values; give it a `step` (or use another tuner)")

    def get_config(self):
        return {"name": self.name, "default": self.default,
                "conditions": [{"name": p, "values": list(v)} for p, v in self.conditions]}

    def __repr__(self):
        return f"{self.kind}({self.get_config()})"


class _Range(HyperParameter):
    """``Int`` and ``Float``: ``[min_value, max_value]``, walked in steps of ``step`` (added;
    multiplied under ``sampling="log"``, as KerasTuner), or continuously without one."""

    number = float

    def __init__(self, name, min_value, max_value, step=None, sampling="linear", default=None,
                 conditions=()):
        name = _check_name(name)
        self.min_value = _number(min_value, "min_value", name, self.number)
        self.max_value = _number(max_value, "max_value", name, self.number)
        if self.min_value > self.max_value:
            raise ValueError(f"{OWNER}: {self.kind} {name!r} needs min_value <= max_value. "
                             f"Received: min_value={min_value!r}, max_value={max_value!r}")
        if sampling not in SAMPLINGS:
            raise ValueError(f"{OWNER}: `sampling` of {name!r} must be one of {SAMPLINGS}. "
                             f"Received: sampling={sampling!r}")
        if sampling == "log" and self.min_value <= 0:
            raise ValueError(f"{OWNER}: sampling='log' needs min_value > 0 for {name!r}. "
                             f"Received: min_value={min_value!r}")
        if step is not None:
            step = _number(step, "step", name, self.number)
            if step <= 0 or (sampling == "log" and step <= 1):
                need = "> 1 (a factor, under sampling='log')" if sampling == "log" else "> 0"
                raise ValueError(f"{OWNER}: `step` of {name!r} must be {need}. "
                                 f"Received: step={step!r}")
        elif self.number is int and sampling == "linear":
            step = 1
        self.step, self.sampling = step, sampling
        if default is None:
            default = self.min_value
        else:
            default = _number(default, "default", name, self.number)
            if not self.min_value <= default <= self.max_value:
                raise ValueError(f"{OWNER}: the default of {name!r} must be in [min_value, "
                                 f"max_value] = [{self.min_value}, {self.max_value}]. "
                                 f"Received: default={default!r}")
        super().__init__(name, default, conditions)

    def grid_values(self):
        if self.step is None:
            return super().grid_values()
        return list(self.steps())

    def steps(self):
        """The stepped values: min, min+step, ... (or min, min*step, ... under log)."""
        value, out = self.min_value, []
        while value <= self.max_value * (1 + 1e-12):
            out.append(self.number(value))
            value = value * self.step if self.sampling == "log" else value + self.step
            if self.number is float:  # no accumulated rounding: min + k*step exactly
                k = len(out)
                value = (self.min_value * self.step ** k if self.sampling == "log"
                         else self.min_value + k * self.step)
        return out

    def get_config(self):
        return {**super().get_config(), "min_value": self.min_value,
                "max_value": self.max_value, "step": self.step, "sampling": self.sampling}


class Int(_Range):
    kind, number = "Int", int


class Float(_Range):
    kind, number = "Float", float


class Choice(HyperParameter):
    """One of ``values`` (all ints, all floats, all strings or all bools, as KerasTuner)."""

    kind = "Choice"

    def __init__(self, name, values, ordered=None, default=None, conditions=()):
        name = _check_name(name)
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"{OWNER}: `values` of Choice {name!r} must be a list. "
                            f"Received: values={values!r}")
        values = list(values)
        if not values:
            raise ValueError(f"{OWNER}: Choice {name!r} needs at least one value. "
                             f"Received: values=[]")
        types = {bool if isinstance(v, bool) else int if isinstance(v, numbers.Integral)
                 else float if isinstance(v, numbers.Real) else str if isinstance(v, str)
                 else type(v) for v in values}
        if len(types) > 1 or not types <= {bool, int, float, str}:
            raise TypeError(f"{OWNER}: a Choice holds values of one type: int, float, str or "
                            f"bool. Received for {name!r}: values={values!r}")
        self.values = [next(iter(types))(v) for v in values]
        self.ordered = ordered if ordered is not None else types <= {int, float}
        if default is None:
            default = self.values[0]
        elif default not in self.values:
            raise ValueError(f"{OWNER}: the default of Choice {name!r} must be one of its "
                             f"values {self.values}. Received: default={default!r}")
        super().__init__(name, default, conditions)

    def grid_values(self):
        return [self.default] + [v for v in self.values if v != self.default]

    def get_config(self):
        return {**super().get_config(), "values": list(self.values), "ordered": self.ordered}


class Boolean(Choice):
    kind = "Boolean"

    def __init__(self, name, default=False, conditions=()):
        if not isinstance(default, bool):
            raise TypeError(f"{OWNER}: the default of Boolean {name!r} must be True or False. "
                            f"Received: default={default!r}")
        super().__init__(name, [False, True], default=default, conditions=conditions)


class Fixed(HyperParameter):
    """A value that is not searched, recorded with the others."""

    kind = "Fixed"

    def __init__(self, name, value, conditions=()):
        if not isinstance(value, (bool, numbers.Real, str)):
            raise TypeError(f"{OWNER}: Fixed {name!r} holds an int, float, str or bool. "
                            f"Received: value={value!r}")
        super().__init__(name, value, conditions)

    def grid_values(self):
        return [self.default]


KINDS = {cls.kind: cls for cls in (Int, Float, Choice, Boolean, Fixed)}


class HyperParameters:
    """The space (``space``: the registered entries, in order) and the current ``values``
    (active entries only)."""

    def __init__(self):
        self.space = []
        self.values = {}
        self._by_name = {}
        self._scopes = []
        # Who picks a value for a new entry: None gives the default; a tuner sets a function
        # of the entry (drawing from its Optuna trial).
        self._propose = None

    # -- registering ----------------------------------------------------------------------
    def Int(self, name, min_value, max_value, step=None, sampling="linear", default=None,
            parent_name=None, parent_values=None):
        """An integer in ``[min_value, max_value]`` (both included)."""
        with self._maybe_scope(parent_name, parent_values):
            return self._register(Int(name, min_value, max_value, step, sampling, default,
                                      self._conditions()))

    def Float(self, name, min_value, max_value, step=None, sampling="linear", default=None,
              parent_name=None, parent_values=None):
        """A float in ``[min_value, max_value]``; ``sampling="log"`` for scales such as a
        learning rate."""
        with self._maybe_scope(parent_name, parent_values):
            return self._register(Float(name, min_value, max_value, step, sampling, default,
                                        self._conditions()))

    def Choice(self, name, values, ordered=None, default=None, parent_name=None,
               parent_values=None):
        """One of ``values``."""
        with self._maybe_scope(parent_name, parent_values):
            return self._register(Choice(name, values, ordered, default, self._conditions()))

    def Boolean(self, name, default=False, parent_name=None, parent_values=None):
        """``True`` or ``False``."""
        with self._maybe_scope(parent_name, parent_values):
            return self._register(Boolean(name, default, self._conditions()))

    def Fixed(self, name, value, parent_name=None, parent_values=None):
        """``value``, recorded but never searched."""
        with self._maybe_scope(parent_name, parent_values):
            return self._register(Fixed(name, value, self._conditions()))

    def _register(self, entry):
        known = self._by_name.get(entry.name)
        if known is None:
            self._by_name[entry.name] = entry
            self.space.append(entry)
        else:
            entry = known  # asked again (a loop, or build() then fit()): the same entry
        if not self.is_active(entry):
            self.values.pop(entry.name, None)
            return None
        if entry.name not in self.values:
            fixed = isinstance(entry, Fixed) or self._propose is None
            self.values[entry.name] = entry.default if fixed else self._propose(entry)
        return self.values[entry.name]

    # -- conditions -----------------------------------------------------------------------
    @contextlib.contextmanager
    def conditional_scope(self, parent_name, parent_values):
        """Entries registered inside are active only while ``parent_name``'s value is in
        ``parent_values`` (one value or a list)."""
        if parent_name not in self._by_name:
            raise ValueError(f"{OWNER}.conditional_scope: `parent_name` {parent_name!r} is not "
                             f"a registered hyperparameter; register it first. Known: "
                             f"{sorted(self._by_name)}")
        if isinstance(parent_values, (str, bytes)) or not hasattr(parent_values, "__iter__"):
            parent_values = [parent_values]
        self._scopes.append((parent_name, list(parent_values)))
        try:
            yield
        finally:
            self._scopes.pop()

    @contextlib.contextmanager
    def _maybe_scope(self, parent_name, parent_values):
        if parent_name is None:
            yield
        else:
            with self.conditional_scope(parent_name, parent_values):
                yield

    def _conditions(self):
        return list(self._scopes)

    def is_active(self, hyperparameter):
        """Whether an entry (or a name) is active: every condition's parent is active and has
        one of the required values."""
        entry = hyperparameter
        if isinstance(hyperparameter, str):
            entry = self._by_name.get(hyperparameter)
            if entry is None:
                return False
        for parent, allowed in entry.conditions:
            if not self.is_active(parent) or self.values.get(parent) not in allowed:
                return False
        return True

    # -- reading --------------------------------------------------------------------------
    def get(self, name):
        """The current value of ``name``; ``None`` if it is inactive."""
        if name in self.values:
            return self.values[name]
        if name in self._by_name:
            return None
        raise KeyError(f"{OWNER}.get: {name!r} is not a registered hyperparameter. Known: "
                       f"{sorted(self._by_name)}")

    def __getitem__(self, name):
        return self.get(name)

    def __contains__(self, name):
        return name in self._by_name

    def copy(self):
        return HyperParameters.from_config(self.get_config())

    def get_config(self):
        return {"space": [{"class_name": e.kind, "config": e.get_config()} for e in self.space],
                "values": dict(self.values)}

    @classmethod
    def from_config(cls, config):
        hp = cls()
        for item in config.get("space", []):
            entry = _entry_from_config(item)
            hp._by_name[entry.name] = entry
            hp.space.append(entry)
        hp.values = dict(config.get("values", {}))
        return hp

    def __repr__(self):
        return f"HyperParameters({self.values})"


def _entry_from_config(item):
    kind, config = item["class_name"], dict(item["config"])
    if kind not in KINDS:
        raise ValueError(f"{OWNER}.from_config: unknown kind {kind!r}; expected one of "
                         f"{sorted(KINDS)}")
    conditions = [(c["name"], list(c["values"])) for c in config.pop("conditions", [])]
    if kind == "Fixed":
        return Fixed(config["name"], config["default"], conditions)
    if kind == "Boolean":
        return Boolean(config["name"], config["default"], conditions)
    if kind == "Choice":
        return Choice(config["name"], config["values"], config.get("ordered"),
                      config["default"], conditions)
    return KINDS[kind](config["name"], config["min_value"], config["max_value"],
                       config.get("step"), config.get("sampling", "linear"),
                       config["default"], conditions)

