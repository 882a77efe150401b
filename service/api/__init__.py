"""The HTTP service: `create_app()` is what gunicorn serves."""
from __future__ import annotations

import logging

from flask import Flask
from pythonjsonlogger.json import JsonFormatter

from ..policy.bootstrap import open_store
from ..policy.registry import PolicyRegistry
from . import auth, changes, cors, decisions, errors, health, metrics, policy, publishing, request_id, spec
from .config import Settings


def configure_logging(level: str) -> None:
    """JSON lines on stderr for our own logger, each with its request's id; never a case fact, only fields
    we choose."""
    logger = logging.getLogger("massage_rules")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.addFilter(request_id.RequestIdFilter())
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level.upper())


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env()
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = max(settings.max_body_bytes, settings.max_batch_body_bytes)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    store = open_store(settings.database_url, settings.tables_dir)
    registry = PolicyRegistry(store, settings.poll_seconds, on_change=metrics.record_policy)
    registry.refresh(force=True)      # a payer that cannot be served is reported by /readyz, never a crash
    app.extensions["policy_store"] = store
    app.extensions["policy_registry"] = registry
    request_id.init_app(app)      # first: every later hook, error and log line has the id
    errors.init_app(app)
    metrics.init_app(app)
    cors.init_app(app)            # before auth: a browser's preflight carries no key
    auth.init_app(app)
    app.before_request(registry.refresh)       # polls the store at most every poll_seconds

    for blueprint in (health.bp, decisions.bp, policy.bp, publishing.bp, changes.bp, spec.bp):
        app.register_blueprint(blueprint)
    logging.getLogger("massage_rules.api").info("policy loaded", extra={"payers": registry.payers()})
    return app
