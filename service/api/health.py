"""Liveness and readiness."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    registry = current_app.extensions["policy_registry"]
    store_ok = current_app.extensions["policy_store"].ping()
    ready = registry.ready and store_ok
    body = {"status": "ready" if ready else "not ready", "payers": registry.payers()}
    if not store_ok:
        body["store"] = "unreachable"
    if registry.error:
        body["last_load_error"] = "the last policy load failed; serving the previous policy"
    return jsonify(body), (200 if ready else 503)
