"""Turning names into objects: each module keeps a table of its known names, and an unknown
name is answered with the list of known ones (and the closest match)."""

from __future__ import annotations

import difflib


def lookup(table, name, kind):
    """``table[name]`` (case-insensitive), or a ValueError listing the known names."""
    if not isinstance(name, str):
        raise TypeError(f"expected the name of a {kind} (a string). Received: {name!r}")
    key = name.lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, table, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ValueError(
        f"Unknown {kind}: '{name}'.{hint} Known {kind}s: {', '.join(sorted(table))}"
    )


def snake_case(name):
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i and (not name[i - 1].isupper() or
                                  (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(c.lower())
    return "".join(out)
