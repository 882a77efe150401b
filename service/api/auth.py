"""API keys: `Authorization: Bearer <key>` on every /v1 route; roles and payer scopes.

Keys look like `mrk_<id>_<secret>`; the store keeps sha256(secret) and the comparison is in
constant time. The key is looked up on every request, so a revoked key is refused at once by
every worker. Keys are never logged.
"""
from __future__ import annotations

import hmac
import re

from flask import Flask, current_app, g, request

from ..policy.store import BASE, Actor, ApiKey, hash_secret
from .errors import Problem

ROLES = ("integrator", "analyst", "publisher", "admin")
PERMISSIONS = {
    "decide": {"integrator", "admin"},
    "read": {"analyst", "publisher", "admin"},
    "dry_run": {"analyst", "publisher", "admin"},
    "draft": {"analyst", "publisher", "admin"},       # draft, edit, propose and withdraw change sets
    "publish": {"publisher", "admin"},                # publish, approve and reject
    "audit": {"publisher", "admin"},
    "settings": {"admin"},
    "keys": {"admin"},
}
KEY = re.compile(r"^Bearer (mrk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100}))$")
QUERY_KEYS = {"api_key", "apikey", "key", "access_token", "token"}
_DUMMY_HASH = hash_secret("no such key")


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, kind="unauthorized")


def authenticate() -> ApiKey:
    if QUERY_KEYS & {k.lower() for k in request.args}:
        raise _unauthorized("Keys in a query string are refused (they end up in logs); use the Authorization header.")
    match = KEY.match(request.headers.get("Authorization", ""))
    if not match:
        raise _unauthorized("Send `Authorization: Bearer <key>`.")
    key = current_app.extensions["policy_store"].key(match.group(2))
    given = hash_secret(match.group(3))
    if not hmac.compare_digest(given, key.key_hash if key else _DUMMY_HASH) or key is None or key.revoked_at:
        raise _unauthorized("The key is not valid.")
    return key


def require(permission: str, payer_id: str | None = None) -> ApiKey:
    """The caller's key, if its role allows `permission` for `payer_id`; 403 otherwise."""
    key: ApiKey = g.api_key
    if key.role not in PERMISSIONS[permission]:
        raise Problem(403, "Forbidden", f"The {key.role} role may not do this.", kind="forbidden")
    if payer_id is not None and "*" not in key.payers and payer_id not in key.payers:
        raise Problem(403, "Forbidden", "The key is not scoped to this payer.", kind="forbidden")
    if payer_id == BASE and permission in ("draft", "publish") and key.role != "admin":
        raise Problem(403, "Forbidden", "Changes to base move every payer: they need the admin role.",
                      kind="forbidden")
    return key


def actor() -> Actor:
    return Actor(g.api_key.id, g.api_key.name, g.api_key.owner)


def init_app(app: Flask) -> None:
    @app.before_request
    def _authenticate():
        if request.path.startswith("/v1/"):
            g.api_key = authenticate()
