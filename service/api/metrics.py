"""Prometheus metrics: requests and latency per endpoint, decisions per classification, policy versions.

Under gunicorn every worker writes to PROMETHEUS_MULTIPROC_DIR (set by deploy/gunicorn.conf.py)
and /metrics adds them up; without it (tests, the CLI) the process's own registry is served.
"""
from __future__ import annotations

import os
import time

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

REQUESTS = Counter("massage_rules_requests_total", "HTTP requests", ["method", "endpoint", "status"])
LATENCY = Histogram("massage_rules_request_seconds", "HTTP request latency", ["endpoint"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
DECISIONS = Counter("massage_rules_decisions_total", "Decisions made", ["payer_id", "classification"])
DECISION_FAILURES = Counter("massage_rules_decision_failures_total",
                            "Valid cases the policy could not decide (engine error or out-of-contract decision)",
                            ["payer_id"])
POLICY_VERSION = Gauge("massage_rules_policy_table_version", "Version of each table in force",
                       ["payer_id", "table", "origin"], multiprocess_mode="mostrecent")
POLICY_LOAD_FAILED = Gauge("massage_rules_policy_load_failed", "1 when the last policy load failed",
                           multiprocess_mode="max")

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def record_policy(registry) -> None:
    """After every reload: the versions each payer is served, and whether any payer is degraded."""
    for payer in registry.payers():
        if payer in registry.unavailable:
            continue
        for version in registry.chosen(payer, registry.today(payer)):
            if version.kind == "table":
                POLICY_VERSION.labels(payer, version.name, version.payer_id).set(version.version)
    POLICY_LOAD_FAILED.set(1 if registry.degraded or registry.unavailable else 0)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.before_request
    def _start():
        g.started = time.perf_counter()

    @app.after_request
    def _observe(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(endpoint).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        return response
