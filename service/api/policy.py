"""GET /v1/policy and the documents in force (tables, value sets, test suites, fact declarations), as
data, each with an ETag that a change can send back as If-Match."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from ..contract import EXTRA_DOCUMENTS, EXTRA_REASON_CODES
from ..declared_facts import describe, extensions_schema
from ..policy.source import BASE, effective, file_of, parse
from ..tables.overlay import is_overlay
from .auth import require
from .errors import Problem, invalid
from .schemas import PolicyQuerySchema, TableQuerySchema
from .services import KIND_OF_URL, load, registry, today_for

bp = Blueprint("policy", __name__)


def _query(schema):
    try:
        return load(schema, request.args.to_dict())
    except Problem as problem:
        raise invalid(problem.errors, "The query does not follow the contract.") from None


def _chosen(payer_id: str, on):
    require("read", payer_id)
    return registry().chosen(payer_id, on)


@bp.get("/v1/policy")
def get_policy():
    query = _query(PolicyQuerySchema())
    payer = query["payer_id"]
    when = query.get("date") or today_for(payer)
    chosen = _chosen(payer, when)
    revision = registry().revision(payer)

    def summary(v) -> dict:
        return {"version": v.label, "effective_from": v.effective_from.isoformat(), "content_hash": v.content_hash,
                "author_key_id": v.author_key_id, "change_id": v.change_id}
    tables = {}
    for v in chosen:
        if v.kind == "table":
            table = effective(registry().served_versions(payer), v.kind, v.document, when)   # an overlay: applied
            tables[v.name] = {**summary(v), "title": table.get("title", ""), "hit_policy": table.get("hit_policy"),
                              "rules": len(table.get("rules", []))}
    value_sets = {v.name: {**summary(v), "title": v.document.get("title", ""), "codes": len(v.document.get("codes", []))}
                  for v in chosen if v.kind == "value_set"}
    declared = {v.name: v.document.get("codes", []) for v in chosen
                if v.kind == "value_set" and v.name in (EXTRA_REASON_CODES, EXTRA_DOCUMENTS)}
    facts = [(v, fact) for v in chosen if v.kind == "facts"
             for fact in parse("facts", v.document, file_of(v), v.payer_id)]
    settings = registry().settings_of(payer)
    response = current_app.json.response({
        "payer_id": payer, "date": when.isoformat(), "revision": revision,
        "settings": {"four_eyes": settings.four_eyes or payer == BASE, "time_zone": settings.time_zone},
        "tables": tables, "value_sets": value_sets,
        "tests": sorted(v.name for v in registry().served_versions(payer) if v.kind == "tests"
                        and v.payer_id in (payer, BASE)),
        "declared_codes": {"reason_codes": declared.get(EXTRA_REASON_CODES, []),
                           "documents": declared.get(EXTRA_DOCUMENTS, [])},
        "facts": {fact.name: {**describe(fact), "document": v.name, "version": v.label} for v, fact in facts},
        "extensions_schema": extensions_schema(tuple(fact for _, fact in facts))})
    response.set_etag(revision)
    return response


@bp.get('/v1/<any(tables, "value-sets", tests, facts):kinds>/<name>')
def get_document(kinds: str, name: str):
    query = _query(TableQuerySchema())
    payer = query["payer_id"]
    when = query.get("date") or today_for(payer)
    kind = KIND_OF_URL[kinds]
    version = next((v for v in _chosen(payer, when) if v.kind == kind and v.name == name), None) if kind != "tests" \
        else next((v for v in reversed(registry().served_versions(payer)) if v.kind == kind and v.name == name
                   and v.payer_id in (payer, BASE)), None)
    if version is None:
        raise Problem(404, "Not found", f"The payer's policy has no such {kind.replace('_', ' ')}.", kind="not-found")
    body = {"payer_id": payer, "kind": kind, "name": name, "version": version.label,
            "effective_from": version.effective_from.isoformat(), "content_hash": version.content_hash,
            "table" if kind == "table" else "document": version.document}
    if kind == "table" and is_overlay(version.document):
        body["effective"] = effective(registry().served_versions(payer), kind, version.document, when)
    response = current_app.json.response(body)
    response.set_etag(version.content_hash)
    return response
