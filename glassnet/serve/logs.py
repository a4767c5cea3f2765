"""Structured request logs: one JSON object per line on the ``glassnet.serve`` logger, each
with the request's id (the client's ``X-Request-ID`` header, else a new one, sent back in
the response's ``X-Request-ID``).

    {"time": "2026-12-02T15:40:01.123Z", "request_id": "5f0c...", "method": "POST",
     "path": "/v2/models/mlp/infer", "model": "mlp", "version": "", "status": 200,
     "duration_ms": 1.9}
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

LOGGER = logging.getLogger("glassnet.serve")
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")  # a client's id is echoed only if plain


def request_id(headers):
    """The client's ``X-Request-ID`` when it is a plain token, else a new UUID."""
    given = headers.get("x-request-id")
    return given if given and _ID.match(given) else uuid.uuid4().hex


class JsonLines(logging.Formatter):
    """A record's fields as one JSON line (for handlers of the ``glassnet.serve`` logger)."""

    def format(self, record):
        fields = getattr(record, "fields", None) or {"message": record.getMessage()}
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return json.dumps({"time": f"{stamp}.{int(record.msecs):03d}Z",
                           "level": record.levelname.lower(), **fields})


def log_request(fields):
    LOGGER.info("request", extra={"fields": fields})


def install_handler(stream=None):
    """Send the ``glassnet.serve`` logger's lines to ``stream`` (stderr) as JSON lines, once."""
    if not any(isinstance(h.formatter, JsonLines) for h in LOGGER.handlers):
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonLines())
        LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
