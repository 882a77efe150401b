"""The OpenAPI document, generated from the marshmallow schemas; `massage-rules schemas` writes the
checked-in copies (schemas/openapi.json, schemas/case.schema.json) that a test keeps in step."""
from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, current_app

from ..case_schema import CaseSchema
from . import schemas as s

bp = Blueprint("openapi", __name__)
ROOT = Path(__file__).resolve().parents[2]
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem(description: str) -> dict:
    return {"description": description, "content": {"application/problem+json": {"schema": dict(PROBLEM_REF)}}}


def _problems(*codes: int) -> dict:
    text = {400: "Malformed JSON", 404: "Not found (an unknown payer, table or version)", 413: "Body too large", 415: "Not application/json",
            422: "The request does not follow the contract (fields named in `errors`)"}
    return {str(code): _problem(text[code]) for code in codes}


TRACE = {"in": "query", "name": "trace", "required": False, "schema": {"type": "boolean", "default": True},
         "description": "`false` leaves `trace` out of each decision"}
REQUEST_ID = {"description": "The request's id: the client's X-Request-Id when it is 1-128 of A-Z a-z 0-9 . _ -, "
                             "else a new one; also in every problem (`request_id`) and every log line of the request",
              "schema": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,128}$"}}


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


@lru_cache(maxsize=1)
def build_spec() -> dict:
    spec = APISpec(title="massage-rules", version="1.0.0", openapi_version="3.1.0", plugins=[MarshmallowPlugin()],
                   info={"description": "Classification, referrals and billing eligibility for massage-therapy "
                                        "cases, from decision tables."})
    for name, schema in [("Case", CaseSchema), ("Decision", s.DecisionSchema), ("Problem", s.ProblemSchema),
                         ("BatchRequest", s.BatchRequestSchema), ("BatchResponse", s.BatchResponseSchema),
                         ("Policy", s.PolicySchema), ("TableDocument", s.TableDocumentSchema),
                         ("Status", s.StatusSchema)]:
        spec.components.schema(name, schema=schema)
    spec.path("/v1/decisions", operations={"post": {
        "operationId": "decide", "summary": "Decide one case", "parameters": [TRACE],
        "requestBody": dict(_json("Case"), required=True),
        "responses": {"200": dict(_json("Decision"), description="The decision"),
                      **_problems(400, 404, 413, 415, 422)}}})
    spec.path("/v1/decisions/batch", operations={"post": {
        "operationId": "decideBatch", "summary": "Decide up to 1,000 cases, answered in order", "parameters": [TRACE],
        "requestBody": dict(_json("BatchRequest"), required=True),
        "responses": {"200": dict(_json("BatchResponse"), description="One result per case"),
                      **_problems(400, 413, 415, 422)}}})
    spec.path("/v1/policy", operations={"get": {
        "operationId": "getPolicy", "summary": "The tables and versions in force for a payer",
        "parameters": [{"in": "query", "schema": s.PolicyQuerySchema}],
        "responses": {"200": dict(_json("Policy"), description="The policy"), **_problems(404, 422)}}})
    for kinds, what in (("tables", "table"), ("value-sets", "value set"), ("tests", "table-test suite"),
                        ("facts", "fact declaration")):
        spec.path(f"/v1/{kinds}/{{name}}", operations={"get": {
            "operationId": f"get{_camel(kinds)[:-1]}", "summary": f"One {what} in force, as data, with its version "
                                                                 "(its content hash is the ETag)",
            "parameters": _path("name") + [{"in": "query", "schema": s.TableQuerySchema}],
            "responses": {"200": dict(_json("TableDocument"), description=f"The {what}"), **_problems(404, 422)}}})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "An API key: mrk_<id>_<secret>"})
    _policy_changes(spec)
    spec.path("/healthz", operations={"get": {"operationId": "healthz", "summary": "The process is up",
                                              "responses": {"200": dict(_json("Status"), description="Up")}}})
    spec.path("/readyz", operations={"get": {"operationId": "readyz", "summary": "The policy is loaded and compiled",
                                             "responses": {"200": dict(_json("Status"), description="Ready"),
                                                           "503": dict(_json("Status"), description="Not ready")}}})
    spec.path("/metrics", operations={"get": {"operationId": "metrics", "summary": "Prometheus metrics",
                                              "responses": {"200": {"description": "Prometheus text format",
                                                                    "content": {"text/plain": {"schema": {"type": "string"}}}}}}})
    spec.path("/openapi.json", operations={"get": {"operationId": "openapi", "summary": "This document",
                                                   "responses": {"200": dict(_json({"type": "object"}),
                                                                             description="OpenAPI 3")}}})
    document = _json_schema_objects(spec.to_dict())
    unauthenticated = {"/healthz", "/readyz", "/metrics", "/openapi.json"}
    document["components"]["headers"] = {"RequestId": REQUEST_ID}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path not in unauthenticated:
                operation["security"] = [{"bearer": []}]
                operation["responses"].update({
                    "401": _problem("No valid key"),
                    "403": _problem("The key's role or payer scope does not allow it")})
            for response in operation["responses"].values():
                response["headers"] = {"X-Request-Id": {"$ref": "#/components/headers/RequestId"}}
    return document


def _path(*names: str) -> list[dict]:
    return [{"in": "path", "name": n, "required": True, "schema": {"type": "integer", "minimum": 1}
             if n in ("number", "change_id") else {"type": "string"}} for n in names]


IF_MATCH = {"in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
            "description": "The ETag you read: 412 if it moved since"}


def _policy_changes(spec: APISpec) -> None:
    """Publishing, versions, change sets and payer settings: the operations that change policy."""
    from .changes import CasesBody, ChangeBody, ChangesQuery, DecisionBody, SettingsBody
    from .publishing import AuditQuery, DryRunBody, PublishQuery, RollbackBody
    for name, schema in [("Change", s.ChangeSchema), ("PublishedVersion", s.PublishedVersionSchema),
                         ("PublishResult", s.PublishResultSchema), ("Proposed", s.ProposedSchema),
                         ("Versions", s.VersionsSchema), ("VersionDocument", s.VersionDocumentSchema),
                         ("DryRunRequest", DryRunBody), ("DryRunResponse", s.DryRunResponseSchema),
                         ("RollbackRequest", RollbackBody), ("Audit", s.AuditSchema),
                         ("ChangeRequest", ChangeBody), ("ChangeList", s.ChangeListSchema),
                         ("ChangeCheck", s.ChangeCheckSchema), ("ChangeDryRun", s.ChangeDryRunSchema),
                         ("CasesRequest", CasesBody), ("ReviewRequest", DecisionBody),
                         ("PayerSettings", s.PayerSettingsSchema), ("SettingsRequest", SettingsBody)]:
        spec.components.schema(name, schema=schema)
    changed = {"200": dict(_json("PublishResult"), description="Nothing differed from the policy in force: the "
                                                                  "version in force, nothing stored"),
               "201": dict(_json("PublishResult"), description="Published"),
               "202": dict(_json("Proposed"), description="The payer requires four eyes: proposed for approval"),
               "409": _problem("Other changes kept landing meanwhile: read again and retry"),
               "412": _problem("If-Match no longer matches what is in force")}
    for kinds, what in (("tables", "table"), ("value-sets", "value set"), ("tests", "table-test suite"),
                        ("facts", "fact declaration")):
        base = f"/v1/payers/{{payer_id}}/{kinds}/{{name}}"
        spec.path(base, operations={"put": {
            "operationId": f"publish{_camel(kinds)}", "summary": f"Publish one {what} for one payer "
                                                                  "(a change set of one document)",
            "parameters": _path("payer_id", "name") + [{"in": "query", "schema": PublishQuery}, IF_MATCH],
            "requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}},
                                                          "application/json": {"schema": {"type": "object"}}}},
            "responses": {**changed, **_problems(400, 404, 413, 415, 422)}}})
        spec.path(f"{base}/versions", operations={"get": {
            "operationId": f"list{_camel(kinds)}Versions", "summary": f"Every version of a {what} the payer published",
            "parameters": _path("payer_id", "name"),
            "responses": {"200": dict(_json("Versions"), description="Versions"), **_problems(404)}}})
        spec.path(f"{base}/versions/{{number}}", operations={"get": {
            "operationId": f"get{_camel(kinds)}Version", "summary": f"One version of a {what}, with its document",
            "parameters": _path("payer_id", "name", "number"),
            "responses": {"200": dict(_json("VersionDocument"), description="The version"), **_problems(404)}}})
        spec.path(f"{base}/rollback", operations={"post": {
            "operationId": f"rollback{_camel(kinds)}", "summary": f"Publish a copy of an earlier version of a {what}",
            "parameters": _path("payer_id", "name"), "requestBody": dict(_json("RollbackRequest"), required=True),
            "responses": {**changed, **_problems(400, 404, 415, 422)}}})
    spec.path("/v1/payers/{payer_id}/tables/{name}/dry-run", operations={"post": {
        "operationId": "dryRun", "summary": "Decisions under a draft table and under the live policy, nothing stored",
        "parameters": _path("payer_id", "name"), "requestBody": dict(_json("DryRunRequest"), required=True),
        "responses": {"200": dict(_json("DryRunResponse"), description="Both decisions per case"),
                      **_problems(400, 404, 413, 415, 422)}}})
    changes = "/v1/payers/{payer_id}/changes"
    one = f"{changes}/{{change_id}}"
    spec.path(changes, operations={
        "post": {"operationId": "draftChange", "summary": "Draft a change set: tables, value sets and tests of one "
                                                          "payer (or `base`), one effective date",
                 "parameters": _path("payer_id") + [IF_MATCH], "requestBody": dict(_json("ChangeRequest"), required=True),
                 "responses": {"201": dict(_json("Change"), description="The draft, with its diff"),
                               "412": _problem("The payer's policy moved since you read it"),
                               **_problems(400, 404, 413, 415, 422)}},
        "get": {"operationId": "listChanges", "summary": "The payer's change sets, newest first",
                "parameters": _path("payer_id") + [{"in": "query", "schema": ChangesQuery}],
                "responses": {"200": dict(_json("ChangeList"), description="Change sets"), **_problems(404, 422)}}})
    review = {"200": dict(_json("Change"), description="The change"),
              "409": _problem("Not possible in the change's state, or the policy moved underneath it"),
              "412": _problem("The change moved since you read it")}
    spec.path(one, operations={
        "get": {"operationId": "getChange", "summary": "A change set with its row-level diff against the policy in force",
                "parameters": _path("payer_id", "change_id"),
                "responses": {"200": dict(_json("Change"), description="The change"), **_problems(404)}},
        "put": {"operationId": "editChange", "summary": "Replace a draft's documents (its author only)",
                "parameters": _path("payer_id", "change_id") + [IF_MATCH],
                "requestBody": dict(_json("ChangeRequest"), required=True),
                "responses": {**review, **_problems(400, 404, 413, 415, 422)}}})
    for step, summary, body in (("propose", "Check the draft and propose it for review (its author)", None),
                                ("approve", "Publish a proposed change (four eyes: not its author)", "ReviewRequest"),
                                ("reject", "Reject a proposed change", "ReviewRequest"),
                                ("withdraw", "Withdraw a draft or proposal (its author)", None)):
        operation = {"operationId": f"{step}Change", "summary": summary,
                     "parameters": _path("payer_id", "change_id") + [IF_MATCH],
                     "responses": {**review, **_problems(400, 404, 415, 422)}}
        if body:
            operation["requestBody"] = _json(body)
        spec.path(f"{one}/{step}", operations={"post": operation})
    spec.path(f"{one}/check", operations={"post": {
        "operationId": "checkChange", "summary": "Every check a publish runs, nothing stored",
        "parameters": _path("payer_id", "change_id"),
        "responses": {"200": dict(_json("ChangeCheck"), description="The problems, if any"), **_problems(404)}}})
    spec.path(f"{one}/dry-run", operations={"post": {
        "operationId": "dryRunChange", "summary": "Cases decided with and without the change, for every payer it moves",
        "parameters": _path("payer_id", "change_id"), "requestBody": dict(_json("CasesRequest"), required=True),
        "responses": {"200": dict(_json("ChangeDryRun"), description="Both decisions per case and payer"),
                      **_problems(400, 404, 413, 415, 422)}}})
    spec.path("/v1/payers/{payer_id}/settings", operations={
        "get": {"operationId": "getPayerSettings", "summary": "Four eyes and time zone of a payer",
                "parameters": _path("payer_id"),
                "responses": {"200": dict(_json("PayerSettings"), description="Settings"), **_problems(404)}},
        "put": {"operationId": "setPayerSettings", "summary": "Set four eyes and time zone (admin)",
                "parameters": _path("payer_id"), "requestBody": dict(_json("SettingsRequest"), required=True),
                "responses": {"200": dict(_json("PayerSettings"), description="Settings"),
                              **_problems(400, 404, 415, 422)}}})
    spec.path("/v1/audit", operations={"get": {
        "operationId": "audit", "summary": "Changes of one payer's policy, newest first",
        "parameters": [{"in": "query", "schema": AuditQuery}],
        "responses": {"200": dict(_json("Audit"), description="Audit entries"), **_problems(422)}}})


def _camel(kinds: str) -> str:
    return "".join(part.capitalize() for part in kinds.split("-"))


def _json_schema_objects(node):
    """What marshmallow fields cannot say in apispec's output: an object's size is maxProperties,
    and a code-keyed mapping's keys have a pattern (propertyNames, OpenAPI 3.1)."""
    if isinstance(node, list):
        return [_json_schema_objects(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema_objects(v) for k, v in node.items()}
    if out.get("type") == "object":
        if "maxLength" in out:
            out["maxProperties"] = out.pop("maxLength")
        if "x-key-pattern" in out:
            out["propertyNames"] = {"pattern": out.pop("x-key-pattern")}
    return out


def case_json_schema(spec: dict) -> dict:
    """The Case component and what it refers to, as a standalone JSON Schema."""
    components = spec["components"]["schemas"]
    needed, todo = {}, ["Case"]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        needed[name] = copy.deepcopy(components[name])
        text = json.dumps(needed[name])
        todo += [ref.split('"')[0] for ref in text.split('"$ref": "#/components/schemas/')[1:]]
    text = json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                       "$id": "https://massage-rules.example/schemas/case.schema.json",
                       "title": "massage-rules case facts (v1)", "$ref": "#/$defs/Case", "$defs": needed})
    return _json_schema_nulls(json.loads(text.replace("#/components/schemas/", "#/$defs/")))


def _json_schema_nulls(node):
    """OpenAPI 3.0's `nullable: true` is `type: [T, "null"]` in JSON Schema."""
    if isinstance(node, list):
        return [_json_schema_nulls(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema_nulls(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") and isinstance(node.get("type"), str):
        out["type"] = [node["type"], "null"]
    return out


def rendered() -> dict[Path, str]:
    spec = build_spec()
    return {ROOT / "schemas" / "openapi.json": json.dumps(spec, indent=2) + "\n",
            ROOT / "schemas" / "case.schema.json": json.dumps(case_json_schema(spec), indent=2) + "\n"}


@bp.get("/openapi.json")
def openapi():
    return current_app.json.response(build_spec())

