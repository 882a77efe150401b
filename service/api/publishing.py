"""Payers change policy without code: one-document shorthands (PUT, rollback, dry-run) over change
sets, stored versions of tables, value sets, test suites and fact declarations, and the audit log."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from marshmallow import Schema, fields, validate

from ..policy import changes
from ..policy.source import BASE, newest
from ..tables.errors import PolicyError
from ..tables.yaml_io import load_yaml
from .auth import require
from .body import read_json
from .errors import Problem
from .errors import policy_problem
from .services import KIND_OF_URL, changed_response, known_payer, load, registry, store, today_for

bp = Blueprint("publishing", __name__)
YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml"}
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
KINDS_PATH = '<any(tables, "value-sets", tests, facts):kinds>'


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


def _document_body() -> dict:
    if request.mimetype in YAML_TYPES:
        raw = request.stream.read(MAX_DOCUMENT_BYTES + 1)
        if len(raw) > MAX_DOCUMENT_BYTES:
            raise Problem(413, "Payload too large", f"The body is larger than {MAX_DOCUMENT_BYTES} bytes.")
        try:
            return load_yaml(raw, "request body")
        except PolicyError as exc:
            raise policy_problem(exc) from None
    return read_json(request, MAX_DOCUMENT_BYTES, 32)


def _one_document(payer_id: str, kinds: str, name: str, document) -> list[dict]:
    """The body as the only document of a change, checked to be the kind and name the URL says."""
    docs = changes.read_documents(payer_id, [document])
    kind = KIND_OF_URL[kinds]
    if (docs[0]["kind"], docs[0]["name"]) != (kind, name):
        raise Problem(422, "Invalid document", "The document is not the one the URL names.",
                      [{"field": "document", "message": f"This URL takes the {kind.replace('_', ' ')} {name!r}; the "
                                                        f"body is {docs[0]['kind'].replace('_', ' ')} "
                                                        f"{docs[0]['name']!r}."}], "invalid-document")
    return docs


def _check_if_match(payer_id: str, kind: str, name: str, on) -> None:
    """If-Match names the content the caller edited: refuse (412) to overwrite a version they did not see."""
    wanted = request.headers.get("If-Match")
    if wanted is None:
        return
    current = next((v for v in registry().chosen(payer_id, on) if (v.kind, v.name) == (kind, name)), None) \
        if payer_id != BASE else newest(store().all_versions(), BASE, kind, name)
    if wanted.strip() != "*" and (current is None or wanted.strip().strip('"') != current.content_hash):
        raise Problem(412, "Precondition failed", "The document changed since you read it: read it again, "
                                                  "reapply your edit, and send the new ETag.", kind="precondition-failed")


@bp.put(f"/v1/payers/<payer_id>/{KINDS_PATH}/<name>")
def put_document(payer_id: str, kinds: str, name: str):
    require("publish", payer_id)
    known_payer(payer_id)
    query = load(PublishQuery(), request.args.to_dict())
    on = query.get("effective_from") or today_for(payer_id)
    docs = _one_document(payer_id, kinds, name, _document_body())
    _check_if_match(payer_id, KIND_OF_URL[kinds], name, on)
    return changed_response(payer_id, docs, on, query["comment"], "publish")


@bp.post(f"/v1/payers/<payer_id>/{KINDS_PATH}/<name>/rollback")
def post_rollback(payer_id: str, kinds: str, name: str):
    require("publish", payer_id)
    known_payer(payer_id)
    body = load(RollbackBody(), read_json(request, 64 * 1024, 4))
    target = next((v for v in store().versions(payer_id, KIND_OF_URL[kinds], name) if v.version == body["version"]),
                  None)
    if target is None:
        raise Problem(404, "Not found", "No such version to roll back to.", kind="not-found")
    docs = [{"payer_id": payer_id, "kind": target.kind, "name": name, "document": target.document}]
    return changed_response(payer_id, docs, body.get("effective_from") or today_for(payer_id),
                            body["comment"] or f"rollback to version {target.version}", "rollback")


@bp.post("/v1/payers/<payer_id>/tables/<name>/dry-run")
def post_dry_run(payer_id: str, name: str):
    require("dry_run", payer_id)
    known_payer(payer_id)
    body = load(DryRunBody(), read_json(request, current_app.config["SETTINGS"].max_batch_body_bytes, 32))
    docs = _one_document(payer_id, "tables", name, body["table"])
    results = changes.dry_run(registry().served_versions(payer_id), docs,
                              body.get("effective_from") or today_for(payer_id), registry().generation,
                              body["cases"], registry().engine)
    return current_app.json.response({"payer_id": payer_id, "table": name, "results": results})


def _versions(payer_id: str, kinds: str, name: str):
    require("read", payer_id)
    known_payer(payer_id)
    versions = store().versions(payer_id, KIND_OF_URL[kinds], name)
    if not versions:
        raise Problem(404, "Not found", f"{payer_id} has published no version of this document.", kind="not-found")
    return versions


@bp.get(f"/v1/payers/<payer_id>/{KINDS_PATH}/<name>/versions")
def get_versions(payer_id: str, kinds: str, name: str):
    return current_app.json.response({"payer_id": payer_id, "kind": KIND_OF_URL[kinds], "name": name, "table": name,
                                      "versions": [v.summary() for v in _versions(payer_id, kinds, name)]})


@bp.get(f"/v1/payers/<payer_id>/{KINDS_PATH}/<name>/versions/<int:number>")
def get_version(payer_id: str, kinds: str, name: str, number: int):
    version = next((v for v in _versions(payer_id, kinds, name) if v.version == number), None)
    if version is None:
        raise Problem(404, "Not found", "No such version.", kind="not-found")
    response = current_app.json.response({"payer_id": payer_id, "kind": version.kind, "name": name, "table": name,
                                          **version.summary(), "document": version.document})
    response.set_etag(version.content_hash)
    return response


@bp.get("/v1/audit")
def get_audit():
    query = load(AuditQuery(), request.args.to_dict())
    require("audit", query["payer_id"])
    return current_app.json.response({"payer_id": query["payer_id"], "entries": store().audit(query["payer_id"])})

