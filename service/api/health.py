"""Liveness and readiness.

Ready: every payer can be answered. Degraded (still 200, so traffic keeps flowing): some payer is
served from an older generation because its newest stored policy does not compile, named here.
Not ready (503): the store is unreachable, or no generation of some payer compiles.
"""
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
    status = "not ready" if not ready else "degraded" if registry.degraded else "ready"
    body = {"status": status, "generation": registry.generation, "payers": registry.payers()}
    if not store_ok:
        body["store"] = "unreachable"
    if registry.degraded or registry.unavailable:
        body["degraded"] = {**registry.degraded, **registry.unavailable}
    return jsonify(body), (200 if ready else 503)
