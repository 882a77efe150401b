"""Payers change policy without code: publish, dry-run, versions, rollback, and the audit log."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from marshmallow import Schema, ValidationError, fields, validate

from ..case_schema import flatten_errors
from ..policy import publishing
from ..policy.registry import today
from ..policy.store import StoreConflict
from ..tables.errors import PolicyError
from ..tables.yaml_io import load_yaml
from .auth import actor, require
from .body import read_json
from .errors import Problem, invalid

bp = Blueprint("publishing", __name__)
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml"}
MAX_TABLE_BYTES = 5 * 1024 * 1024


class PublishQuery(Schema):
    effective_from = fields.Date(metadata={"description": "First date of service the version applies to (default today)."})
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class DryRunBody(Schema):
    table = fields.Dict(required=True)
    cases = fields.List(fields.Raw(), required=True, validate=validate.Length(max=100))
    effective_from = fields.Date()


class RollbackBody(Schema):
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    effective_from = fields.Date()
    comment = fields.String(load_default="", validate=validate.Length(max=500))


class AuditQuery(Schema):
    payer_id = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$"))


def _load(schema: Schema, data) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise invalid(flatten_errors(exc.messages)) from None


def _services():
    ext = current_app.extensions
    return ext["policy_store"], ext["policy_registry"], current_app.config["SETTINGS"].tables_dir


def _known_payer(payer_id: str) -> None:
    if payer_id not in current_app.extensions["policy_registry"].payers():
        raise Problem(404, "Not found", "There is no such payer.", [{"field": "payer_id", "message": "Unknown payer."}],
                      "not-found")


def _policy_problem(exc: PolicyError) -> Problem:
    return Problem(422, "Invalid table", "The table was not published: fix every problem listed.",
                   [{"field": ", ".join(x for x in (p.table and f"table {p.table}", p.row and f"row {p.row}",
                                                   p.column and f"column {p.column}") if x) or (p.file or "table"),
                     "message": str(p)} for p in exc.problems], "invalid-table")


def _table_body() -> dict:
    if request.mimetype in YAML_TYPES:
        raw = request.stream.read(MAX_TABLE_BYTES + 1)
        if len(raw) > MAX_TABLE_BYTES:
            raise Problem(413, "Payload too large", f"The body is larger than {MAX_TABLE_BYTES} bytes.")
        try:
            return load_yaml(raw, "request body")
        except PolicyError as exc:
            raise _policy_problem(exc) from None
    return read_json(request, MAX_TABLE_BYTES, 32)


@bp.put("/v1/payers/<payer_id>/tables/<name>")
def put_table(payer_id: str, name: str):
    require("publish", payer_id)
    _known_payer(payer_id)
    query = _load(PublishQuery(), request.args.to_dict())
    document = _table_body()
    store, registry, tables_dir = _services()
    return _stored(payer_id, name, lambda: publishing.publish(
        store, registry, tables_dir, payer_id, name, document, query.get("effective_from") or today(),
        query["comment"], actor()))


def _stored(payer_id: str, name: str, change):
    """Run a change of policy; its failures as problems, its success as 201 with the new version."""
    try:
        version = change()
    except LookupError:
        raise Problem(404, "Not found", "No such version to roll back to.", kind="not-found") from None
    except PolicyError as exc:
        raise _policy_problem(exc) from None
    except StoreConflict:
        raise Problem(409, "Conflict", "Another version was published at the same moment; try again.") from None
    return current_app.json.response({"payer_id": payer_id, "table": name, **version.summary()}), 201


@bp.post("/v1/payers/<payer_id>/tables/<name>/dry-run")
def post_dry_run(payer_id: str, name: str):
    require("dry_run", payer_id)
    _known_payer(payer_id)
    body = _load(DryRunBody(), read_json(request, current_app.config["SETTINGS"].max_batch_body_bytes, 32))
    _, registry, _ = _services()
    try:
        results = publishing.dry_run(registry, payer_id, name, body["table"], body["cases"],
                                     body.get("effective_from") or today())
    except PolicyError as exc:
        raise _policy_problem(exc) from None
    return current_app.json.response({"payer_id": payer_id, "table": name, "results": results})


def _versions(payer_id: str, name: str):
    require("read", payer_id)
    _known_payer(payer_id)
    store, _, _ = _services()
    versions = store.versions(payer_id, "table", name)
    if not versions:
        raise Problem(404, "Not found", "The payer has published no version of this table.", kind="not-found")
    return versions


@bp.get("/v1/payers/<payer_id>/tables/<name>/versions")
def get_versions(payer_id: str, name: str):
    return current_app.json.response({"payer_id": payer_id, "table": name,
                                      "versions": [v.summary() for v in _versions(payer_id, name)]})


@bp.get("/v1/payers/<payer_id>/tables/<name>/versions/<int:number>")
def get_version(payer_id: str, name: str, number: int):
    version = next((v for v in _versions(payer_id, name) if v.version == number), None)
    if version is None:
        raise Problem(404, "Not found", "No such version.", kind="not-found")
    return current_app.json.response({"payer_id": payer_id, "table": name, **version.summary(),
                                      "document": version.document})


@bp.post("/v1/payers/<payer_id>/tables/<name>/rollback")
def post_rollback(payer_id: str, name: str):
    require("publish", payer_id)
    _known_payer(payer_id)
    body = _load(RollbackBody(), read_json(request, 64 * 1024, 4))
    store, registry, tables_dir = _services()
    return _stored(payer_id, name, lambda: publishing.rollback(
        store, registry, tables_dir, payer_id, name, body["version"], body.get("effective_from") or today(),
        body["comment"], actor()))


@bp.get("/v1/audit")
def get_audit():
    query = _load(AuditQuery(), request.args.to_dict())
    require("audit", query["payer_id"])
    store, _, _ = _services()
    return current_app.json.response({"payer_id": query["payer_id"], "entries": store.audit(query["payer_id"])})

