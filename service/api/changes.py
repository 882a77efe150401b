"""Change sets over HTTP: draft, edit, check, dry-run, propose, approve or reject, withdraw; and the
payer settings that say whether a payer's changes need four eyes."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from marshmallow import Schema, fields, validate

from .. import clock
from ..policy import changes
from ..policy.store import BASE, PayerSettings
from .auth import actor, require
from .body import read_json
from .errors import Problem
from .services import change_view, known_payer, load, registry, settings_of, store, today_for

bp = Blueprint("changes", __name__)
MAX_CHANGE_BYTES = 10 * 1024 * 1024
CHANGE = "/v1/payers/<payer_id>/changes/<int:change_id>"


class ChangeBody(Schema):
    documents = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1, max=changes.MAX_DOCUMENTS),
                            metadata={"description": "tables, value sets, test suites and fact declarations, as their "
                                                     "documents"})
    effective_from = fields.Date(metadata={"description": "First date of service the change applies to (default today)."})
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class ChangesQuery(Schema):
    status = fields.String(validate=validate.OneOf(["draft", "proposed", "published", "rejected", "withdrawn"]))


class DecisionBody(Schema):
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class CasesBody(Schema):
    cases = fields.List(fields.Raw(), required=True, validate=validate.Length(max=100))


class SettingsBody(Schema):
    four_eyes = fields.Boolean(required=True, metadata={"description": "changes need an approver other than their author"})
    time_zone = fields.String(load_default=clock.UTC, validate=clock.is_time_zone,
                              metadata={"description": "IANA time zone: what `today` is for this payer"})


def _body(schema: Schema, limit: int = 64 * 1024) -> dict:
    return load(schema, read_json(request, limit, 40))


def _change(payer_id: str, change_id: int, permission: str = "read"):
    require(permission, payer_id)
    known_payer(payer_id)
    change = store().change(change_id)
    if change is None or change.payer_id != payer_id:
        raise Problem(404, "Not found", "The payer has no such change.", kind="not-found")
    wanted = request.headers.get("If-Match")
    if wanted is not None and request.method != "GET" and wanted.strip().strip('"') != change.etag:
        raise Problem(412, "Precondition failed", "The change moved since you read it: read it again.",
                      kind="precondition-failed")
    return change


def _respond(change, status: int = 200, with_diff: bool = False):
    response = current_app.json.response(change_view(change, with_diff))
    response.set_etag(change.etag)
    return response, status


@bp.post("/v1/payers/<payer_id>/changes")
def post_change(payer_id: str):
    require("draft", payer_id)
    known_payer(payer_id)
    wanted = request.headers.get("If-Match")
    if wanted is not None and payer_id != BASE and wanted.strip().strip('"') != registry().revision(payer_id):
        raise Problem(412, "Precondition failed", "The payer's policy moved since you read it: read it again.",
                      kind="precondition-failed")
    body = _body(ChangeBody(), MAX_CHANGE_BYTES)
    docs = changes.read_documents(payer_id, body["documents"])
    change = changes.draft(store(), payer_id, docs, body.get("effective_from") or today_for(payer_id),
                           body["comment"], actor())
    return _respond(change, 201, with_diff=True)


@bp.get("/v1/payers/<payer_id>/changes")
def get_changes(payer_id: str):
    require("read", payer_id)
    known_payer(payer_id)
    query = load(ChangesQuery(), request.args.to_dict())
    settings = settings_of(payer_id)
    return current_app.json.response({"payer_id": payer_id, "changes": [
        change_view(c, settings=settings) for c in store().changes(payer_id, query.get("status"))]})


@bp.get(CHANGE)
def get_change(payer_id: str, change_id: int):
    return _respond(_change(payer_id, change_id), with_diff=True)


@bp.put(CHANGE)
def put_change(payer_id: str, change_id: int):
    change = _change(payer_id, change_id, "draft")
    body = _body(ChangeBody(), MAX_CHANGE_BYTES)
    docs = changes.read_documents(payer_id, body["documents"])
    return _respond(changes.edit(store(), change, docs, body.get("effective_from") or change.effective_from,
                                 body["comment"], actor()), with_diff=True)


@bp.post(f"{CHANGE}/check")
def post_check(payer_id: str, change_id: int):
    change = _change(payer_id, change_id, "dry_run")
    problems = changes.check_change(store(), change)
    return current_app.json.response({"id": change.id, "ok": not problems,
                                      "problems": [{"message": str(p), **p.as_dict()} for p in problems]})


@bp.post(f"{CHANGE}/dry-run")
def post_change_dry_run(payer_id: str, change_id: int):
    change = _change(payer_id, change_id, "dry_run")
    body = _body(CasesBody(), current_app.config["SETTINGS"].max_batch_body_bytes)
    results = changes.dry_run(registry().versions, changes.documents_of(change), change.effective_from,
                              registry().generation, body["cases"], registry().engine)
    return current_app.json.response({"id": change.id, "payer_id": payer_id, "results": results})


@bp.post(f"{CHANGE}/propose")
def post_propose(payer_id: str, change_id: int):
    change = _change(payer_id, change_id, "draft")
    return _respond(changes.propose(store(), change, actor()))


@bp.post(f"{CHANGE}/approve")
def post_approve(payer_id: str, change_id: int):
    change = _change(payer_id, change_id, "publish")
    changes.approve(store(), change, actor(), settings_of(payer_id))
    registry().refresh(force=True)
    return _respond(store().change(change.id), with_diff=False)


@bp.post(f"{CHANGE}/reject")
def post_reject(payer_id: str, change_id: int):
    change = _change(payer_id, change_id, "publish")
    body = _body(DecisionBody())
    return _respond(changes.reject(store(), change, actor(), body["comment"]))


@bp.post(f"{CHANGE}/withdraw")
def post_withdraw(payer_id: str, change_id: int):
    change = _change(payer_id, change_id, "draft")
    return _respond(changes.withdraw(store(), change, actor()))


@bp.get("/v1/payers/<payer_id>/settings")
def get_settings(payer_id: str):
    require("read", payer_id)
    known_payer(payer_id)
    s = settings_of(payer_id)
    return current_app.json.response({"payer_id": payer_id, "four_eyes": changes.four_eyes(payer_id, s),
                                      "time_zone": s.time_zone})


@bp.put("/v1/payers/<payer_id>/settings")
def put_settings(payer_id: str):
    require("settings", payer_id)
    known_payer(payer_id)
    body = _body(SettingsBody())
    store().set_settings(PayerSettings(payer_id, body["four_eyes"], body["time_zone"]), actor())
    registry().refresh(force=True)
    return get_settings(payer_id)
