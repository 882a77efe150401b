"""One error shape: application/problem+json (RFC 9457), translated in one place.

Messages name fields and say what is wrong; they never repeat a submitted value.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

from ..policy.changes import ChangeRefused
from ..policy.registry import PayerUnavailable, UnknownPayer
from ..policy.store import StoreConflict
from ..tables.errors import PolicyError
from . import request_id

log = logging.getLogger("massage_rules.api")

PROBLEM = "application/problem+json"


class Problem(Exception):
    def __init__(self, status: int, title: str, detail: str, errors: list[dict] | None = None, kind: str | None = None):
        super().__init__(detail)
        self.status, self.title, self.detail, self.errors = status, title, detail, errors
        self.kind = kind or title.lower().replace(" ", "-")

    def as_dict(self) -> dict:
        body = {"type": f"https://massage-rules.example/problems/{self.kind}", "title": self.title,
                "status": self.status, "detail": self.detail}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def invalid(errors: list[dict], detail: str = "The request does not follow the contract.") -> Problem:
    return Problem(422, "Invalid request", detail, errors, "invalid-request")


def policy_problem(exc: PolicyError) -> Problem:
    """Every problem of a refused change, each located as `table T, row R, column C` (or the
    document it is in) and never by a path on the server."""
    return Problem(422, "Invalid policy", "Nothing was published: fix every problem listed.",
                   [{"field": ", ".join(x for x in (p.table and f"table {p.table}", p.row and f"row {p.row}",
                                                   p.column and f"column {p.column}") if x) or (p.file or "document"),
                     "message": str(p)} for p in exc.problems], "invalid-policy")


def _domain(exc: Exception) -> Problem:
    """The domain's errors of changing policy, translated here and nowhere else."""
    if isinstance(exc, PolicyError):
        return policy_problem(exc)
    if isinstance(exc, StoreConflict):
        return Problem(409, "Conflict", f"{exc} Read the policy again and retry.", kind="conflict")
    if isinstance(exc, ChangeRefused):
        return Problem(exc.status, "Forbidden" if exc.status == 403 else "Conflict", str(exc),
                       kind="forbidden" if exc.status == 403 else "conflict")
    if isinstance(exc, UnknownPayer):
        return Problem(404, "Not found", "There is no such payer.", [{"field": "payer_id", "message": "Unknown payer."}],
                       "not-found")
    return Problem(503, "Payer unavailable", "No stored version of this payer's policy can be served; an "
                                              "operator has been alerted (see /readyz).", kind="payer-unavailable")


def problem_response(problem: Problem) -> Response:
    """The problem, with the request's id so an integrator can quote it."""
    body = dict(problem.as_dict(), request_id=request_id.current())
    return Response(json.dumps(body), status=problem.status, mimetype=PROBLEM)


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(problem: Problem):
        return problem_response(problem)

    for domain_error in (PolicyError, StoreConflict, ChangeRefused, UnknownPayer, PayerUnavailable):
        app.register_error_handler(domain_error, lambda exc: problem_response(_domain(exc)))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem_response(Problem(exc.code or 500, exc.name, exc.description or exc.name,
                                        kind=exc.name.lower().replace(" ", "-")))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        # the type only: an exception's text may quote case facts
        log.error("unhandled error", extra={"error_type": type(exc).__name__})
        return problem_response(Problem(500, "Internal error", "The service could not answer; it has been logged.",
                                        kind="internal-error"))
