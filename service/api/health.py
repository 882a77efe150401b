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
    body = {"status": "ready" if registry.ready else "not ready", "payers": registry.payers()}
    if registry.error:
        body["last_load_error"] = "the last policy load failed; serving the previous policy"
    return jsonify(body), (200 if registry.ready else 503)
