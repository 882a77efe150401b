"""POST /v1/decisions and /v1/decisions/batch: thin views over the policy engines."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from ..case_schema import CaseInvalid, load_case
from ..engine.facts import CaseFactError
from ..policy.registry import UnknownPayer, today
from ..tables.errors import PolicyError
from .auth import require
from .body import check_depth, read_json
from .errors import Problem, invalid
from .metrics import DECISIONS

bp = Blueprint("decisions", __name__)

CASE_DEPTH = 4          # case -> service -> regions -> [regions]
BATCH_DEPTH = 32        # a deeper case in a batch gets its own problem; this only bounds the parse


def decide(data) -> dict:
    """One case's decision, or a Problem naming the fields that are wrong."""
    check_depth(data, CASE_DEPTH)
    try:
        case = load_case(data)
    except CaseInvalid as exc:
        raise invalid(exc.errors) from None
    payer = case.get("payer_id", "default")
    require("decide", payer)
    on = case.get("date_of_service") or today()
    try:
        engine = current_app.extensions["policy_registry"].engine(payer, on)
    except UnknownPayer:
        raise Problem(404, "Not found", "There is no such payer.", [{"field": "payer_id", "message": "Unknown payer."}],
                      "not-found") from None
    except PolicyError:
        raise invalid([{"field": "date_of_service", "message": "No complete policy is in force on this date."}]) from None
    try:
        decision = engine.decide(case, today=on)
    except CaseFactError as exc:
        raise invalid([{"field": exc.path, "message": exc.message}]) from None
    DECISIONS.labels(payer, decision["classification"]).inc()
    return decision


@bp.post("/v1/decisions")
def post_decision():
    settings = current_app.config["SETTINGS"]
    return current_app.json.response(decide(read_json(request, settings.max_body_bytes, CASE_DEPTH)))


@bp.post("/v1/decisions/batch")
def post_batch():
    settings = current_app.config["SETTINGS"]
    data = read_json(request, settings.max_batch_body_bytes, BATCH_DEPTH)
    if not isinstance(data, dict):
        raise invalid([{"field": "$", "message": "A batch is a JSON object with `cases`."}])
    unknown = [key for key in data if key != "cases"]
    if unknown:
        raise invalid([{"field": key, "message": "Unknown field."} for key in unknown])
    cases = data.get("cases")
    if not isinstance(cases, list):
        raise invalid([{"field": "cases", "message": "Missing data for required field." if cases is None
                        else "Not a valid list."}])
    if len(cases) > settings.max_batch_cases:
        raise invalid([{"field": "cases", "message": f"At most {settings.max_batch_cases} cases in one batch."}])
    results = []
    for case in cases:
        try:
            results.append(decide(case))
        except Problem as problem:
            results.append(problem.as_dict())
    return current_app.json.response({"results": results})
