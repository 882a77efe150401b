"""POST /v1/decisions and /v1/decisions/batch: thin views over the policy engines.

A valid case the policy cannot decide (the engine raises, or the decision breaks the response
contract) is that case's own failure: a 500 problem for it alone, logged without case facts and
counted, while the rest of a batch is answered.
"""
from __future__ import annotations

import logging

from flask import Blueprint, current_app, request

from ..case_schema import CaseInvalid, load_case
from ..contract import DEFAULT_PAYER
from ..engine.facts import CaseFactError
from ..policy.checks import contract_violations, failure_location
from ..policy.registry import PayerUnavailable, UnknownPayer
from ..tables.errors import PolicyError
from .auth import require
from .body import check_depth, read_json
from .errors import Problem, invalid
from .metrics import DECISION_FAILURES, DECISIONS

bp = Blueprint("decisions", __name__)
log = logging.getLogger("massage_rules.api")

CASE_DEPTH = 4          # case -> service -> regions -> [regions]
BATCH_DEPTH = 32        # a deeper case in a batch gets its own problem; this only bounds the parse


def decide(data, trace: bool = True) -> dict:
    """One case's decision, with the date it was decided for, or a Problem naming the fields that are wrong."""
    check_depth(data, CASE_DEPTH)
    try:
        case = load_case(data)
    except CaseInvalid as exc:
        raise invalid(exc.errors) from None
    payer = case.get("payer_id", DEFAULT_PAYER)
    require("decide", payer)
    registry = current_app.extensions["policy_registry"]
    on = case.get("date_of_service") or registry.today(payer)
    try:
        engine = registry.engine(payer, on)
    except UnknownPayer:
        raise Problem(404, "Not found", "There is no such payer.", [{"field": "payer_id", "message": "Unknown payer."}],
                      "not-found") from None
    except PayerUnavailable:
        raise Problem(503, "Payer unavailable", "No stored version of this payer's policy can be served.",
                      kind="payer-unavailable") from None
    except PolicyError:
        raise invalid([{"field": "date_of_service", "message": "No complete policy is in force on this date."}]) from None
    try:
        decision = engine.decide(case, today=on)
    except CaseInvalid as exc:         # its extensions against the facts the payer declares on that date
        raise invalid(exc.errors) from None
    except CaseFactError as exc:
        raise invalid([{"field": exc.path, "message": exc.message}]) from None
    except Exception as exc:  # noqa: BLE001 - the policy failed this valid case; the service goes on
        raise decision_failed(payer, type(exc).__name__, failure_location(exc, engine.policy)[0]) from None
    violations = contract_violations(decision, engine.policy)
    if violations:
        raise decision_failed(payer, "ContractViolation", violations[0].table)
    DECISIONS.labels(payer, decision["classification"]).inc()
    if not trace:
        del decision["trace"]
    return decision


def trace_wanted() -> bool:
    """`?trace=false` leaves the trace out (smaller answers); anything but true or false is a 422."""
    value = request.args.get("trace", "true")
    if value not in ("true", "false"):
        raise invalid([{"field": "trace", "message": "Must be true or false."}])
    return value == "true"


def decision_failed(payer: str, error_type: str, table: str | None) -> Problem:
    """Log (payer, error type, table: never a case fact or an error's text) and count the failure."""
    DECISION_FAILURES.labels(payer).inc()
    log.error("decision failed", extra={"payer_id": payer, "error_type": error_type, "table": table})
    return Problem(500, "Decision failed", "The policy could not decide this case; the failure is logged and counted.",
                   kind="decision-failed")


@bp.post("/v1/decisions")
def post_decision():
    settings = current_app.config["SETTINGS"]
    trace = trace_wanted()
    return current_app.json.response(decide(read_json(request, settings.max_body_bytes, CASE_DEPTH), trace))


@bp.post("/v1/decisions/batch")
def post_batch():
    settings = current_app.config["SETTINGS"]
    trace = trace_wanted()
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
            results.append(decide(case, trace))
        except Problem as problem:
            results.append(problem.as_dict())
    return current_app.json.response({"results": results})
