"""X-Request-Id: the client's id when it is sane, else a new one; on every response, every problem
and every log line of the request, so an integrator's report can be found in our logs."""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-Id"
SANE = re.compile(r"[A-Za-z0-9._-]{1,128}")    # nothing a log line or a header could be abused with


def current() -> str | None:
    return g.get("request_id") if has_request_context() else None


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record logged while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current()
        if request_id:
            record.request_id = request_id
        return True


def init_app(app: Flask) -> None:
    """Registered first, so that every later hook, error and response sees the id."""
    @app.before_request
    def _assign():
        given = request.headers.get(HEADER, "")
        g.request_id = given if SANE.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _echo(response):
        response.headers[HEADER] = g.request_id
        return response
