"""One error shape: application/problem+json (RFC 9457), translated in one place.

Messages name fields and say what is wrong; they never repeat a submitted value.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, json
from werkzeug.exceptions import HTTPException

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


def problem_response(problem: Problem) -> Response:
    return Response(json.dumps(problem.as_dict()), status=problem.status, mimetype=PROBLEM)


def init_app(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(problem: Problem):
        return problem_response(problem)

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
