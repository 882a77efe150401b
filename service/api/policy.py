"""GET /v1/policy and /v1/tables/{name}: the tables in force, as data."""
from __future__ import annotations

from flask import Blueprint, current_app, request
from marshmallow import ValidationError

from ..case_schema import flatten_errors
from ..policy.registry import UnknownPayer, today
from .auth import require
from .errors import Problem, invalid
from .schemas import PolicyQuerySchema, TableQuerySchema

bp = Blueprint("policy", __name__)


def _query(schema):
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(flatten_errors(exc.messages), "The query does not follow the contract.") from None


def _chosen(payer_id: str, on):
    require("read", payer_id)
    try:
        return current_app.extensions["policy_registry"].chosen(payer_id, on)
    except UnknownPayer:
        raise Problem(404, "Not found", "There is no such payer.", [{"field": "payer_id", "message": "Unknown payer."}],
                      "not-found") from None


@bp.get("/v1/policy")
def get_policy():
    query = _query(PolicyQuerySchema())
    when = query.get("date") or today()
    chosen = _chosen(query["payer_id"], when)
    tables = {v.name: {"version": v.label, "title": v.document.get("title", ""),
                       "hit_policy": v.document.get("hit_policy"), "rules": len(v.document.get("rules", [])),
                       "effective_from": v.effective_from.isoformat()}
              for v in chosen if v.kind == "table"}
    return current_app.json.response({"payer_id": query["payer_id"], "date": when.isoformat(), "tables": tables,
                                      "value_sets": sorted(v.name for v in chosen if v.kind == "value_set")})


@bp.get("/v1/tables/<name>")
def get_table(name: str):
    query = _query(TableQuerySchema())
    when = query.get("date") or today()
    version = next((v for v in _chosen(query["payer_id"], when) if v.kind == "table" and v.name == name), None)
    if version is None:
        raise Problem(404, "Not found", "The payer's policy has no such table.", kind="not-found")
    return current_app.json.response({"payer_id": query["payer_id"], "version": version.label,
                                      "effective_from": version.effective_from.isoformat(), "table": version.document})
