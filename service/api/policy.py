"""GET /v1/policy and /v1/tables/{name}: the tables in force, as data."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, request
from marshmallow import ValidationError

from ..case_schema import flatten_errors
from ..policy.registry import UnknownPayer
from ..tables.document import table_to_document
from .errors import Problem, invalid
from .schemas import PolicyQuerySchema, TableQuerySchema

bp = Blueprint("policy", __name__)


def _query(schema):
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise invalid(flatten_errors(exc.messages), "The query does not follow the contract.") from None


def _engine(payer_id: str):
    try:
        return current_app.extensions["policy_registry"].engine(payer_id)
    except UnknownPayer:
        raise Problem(404, "Not found", "There is no such payer.", [{"field": "payer_id", "message": "Unknown payer."}],
                      "not-found") from None


@bp.get("/v1/policy")
def get_policy():
    query = _query(PolicyQuerySchema())
    policy = _engine(query["payer_id"]).policy
    when = query.get("date") or datetime.now(timezone.utc).date()
    tables = {name: {"version": policy.tables[name].version_label, "title": policy.tables[name].title,
                     "hit_policy": policy.tables[name].hit_policy.value, "rules": len(policy.tables[name].rules)}
              for name in sorted(policy.tables)}
    return current_app.json.response({"payer_id": policy.payer_id, "date": when.isoformat(), "tables": tables,
                                      "value_sets": sorted(policy.value_sets)})


@bp.get("/v1/tables/<name>")
def get_table(name: str):
    query = _query(TableQuerySchema())
    policy = _engine(query["payer_id"]).policy
    table = policy.tables.get(name)
    if table is None:
        raise Problem(404, "Not found", "The payer's policy has no such table.", kind="not-found")
    return current_app.json.response({"payer_id": policy.payer_id, "version": table.version_label,
                                      "table": table_to_document(table)})
