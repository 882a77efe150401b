"""CORS for the origins in MASSAGE_RULES_CORS_ORIGINS (none by default: off).

A browser's preflight carries no key, so an allowed origin's preflight to /v1 is answered here,
before authentication; a disallowed origin gets no CORS header at all. (flask-cors answers a
preflight through Flask's automatic OPTIONS, after our key check: it would still be a 401.)
"""
from __future__ import annotations

from flask import Flask, current_app, request

ALLOW_METHODS = "GET, POST, PUT"
ALLOW_HEADERS = "Authorization, Content-Type, If-Match, X-Request-Id"
EXPOSE_HEADERS = "ETag, X-Request-Id"
MAX_AGE = "600"


def _allowed_origin() -> str | None:
    origin = request.headers.get("Origin")
    return origin if origin in current_app.config["SETTINGS"].cors_allowed else None


def init_app(app: Flask) -> None:
    """Registered before authentication, so an allowed preflight never needs a key."""
    if not app.config["SETTINGS"].cors_allowed:
        return

    @app.before_request
    def _preflight():
        if (request.method == "OPTIONS" and request.path.startswith("/v1/") and _allowed_origin()
                and "Access-Control-Request-Method" in request.headers):
            response = current_app.make_response(("", 204))
            response.headers.update({"Access-Control-Allow-Methods": ALLOW_METHODS,
                                     "Access-Control-Allow-Headers": ALLOW_HEADERS,
                                     "Access-Control-Max-Age": MAX_AGE})
            return response

    @app.after_request
    def _allow(response):
        response.vary.add("Origin")        # a cache must not hand one origin's answer to another
        origin = _allowed_origin()
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response
