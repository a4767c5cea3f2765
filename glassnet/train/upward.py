"""The one call that goes up the layers: ``Model.save``, ``save_weights``, ``load_weights``
and ``export`` are Keras's methods, but saving lives in ``glassnet.io``, above ``train`` (io
builds models from files, so it imports train). This module is the only place in ``train``
that reaches io, on first use, so the import contract (``lint-imports``) holds everywhere
else and importing the training loop never loads the file formats."""

from __future__ import annotations

import importlib


def io():
    """The ``glassnet.io`` package."""
    return importlib.import_module("glassnet.io")
