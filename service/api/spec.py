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
        "operationId": "decide", "summary": "Decide one case",
        "requestBody": dict(_json("Case"), required=True),
        "responses": {"200": dict(_json("Decision"), description="The decision"),
                      **_problems(400, 404, 413, 415, 422)}}})
    spec.path("/v1/decisions/batch", operations={"post": {
        "operationId": "decideBatch", "summary": "Decide up to 1,000 cases, answered in order",
        "requestBody": dict(_json("BatchRequest"), required=True),
        "responses": {"200": dict(_json("BatchResponse"), description="One result per case"),
                      **_problems(400, 413, 415, 422)}}})
    spec.path("/v1/policy", operations={"get": {
        "operationId": "getPolicy", "summary": "The tables and versions in force for a payer",
        "parameters": [{"in": "query", "schema": s.PolicyQuerySchema}],
        "responses": {"200": dict(_json("Policy"), description="The policy"), **_problems(404, 422)}}})
    spec.path("/v1/tables/{name}", operations={"get": {
        "operationId": "getTable", "summary": "One table as data, with its version",
        "parameters": [{"in": "path", "name": "name", "required": True, "schema": {"type": "string"}},
                       {"in": "query", "schema": s.TableQuerySchema}],
        "responses": {"200": dict(_json("TableDocument"), description="The table"), **_problems(404, 422)}}})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "An API key: mrk_<id>_<secret>"})
    table_path = [{"in": "path", "name": "payer_id", "required": True, "schema": {"type": "string"}},
                  {"in": "path", "name": "name", "required": True, "schema": {"type": "string"}}]
    for name, schema in [("PublishedVersion", s.PublishedVersionSchema), ("Versions", s.VersionsSchema),
                         ("VersionDocument", s.VersionDocumentSchema), ("DryRunRequest", s.DryRunRequestSchema),
                         ("DryRunResponse", s.DryRunResponseSchema), ("RollbackRequest", s.RollbackRequestSchema),
                         ("Audit", s.AuditSchema)]:
        spec.components.schema(name, schema=schema)
    spec.path("/v1/payers/{payer_id}/tables/{name}", operations={"put": {
        "operationId": "publishTable", "summary": "Publish a new version of one table for one payer",
        "parameters": table_path + [{"in": "query", "schema": s.PublishQuerySchema}],
        "requestBody": {"required": True, "content": {"application/yaml": {"schema": {"type": "string"}},
                                                      "application/json": {"schema": {"type": "object"}}}},
        "responses": {"201": dict(_json("PublishedVersion"), description="Stored"), **_problems(400, 404, 413, 415, 422)}}})
    spec.path("/v1/payers/{payer_id}/tables/{name}/dry-run", operations={"post": {
        "operationId": "dryRun", "summary": "Decisions under a draft and under the live policy, nothing stored",
        "parameters": table_path, "requestBody": dict(_json("DryRunRequest"), required=True),
        "responses": {"200": dict(_json("DryRunResponse"), description="Both decisions per case"),
                      **_problems(400, 404, 413, 415, 422)}}})
    spec.path("/v1/payers/{payer_id}/tables/{name}/versions", operations={"get": {
        "operationId": "listVersions", "summary": "Every version the payer published", "parameters": table_path,
        "responses": {"200": dict(_json("Versions"), description="Versions"), **_problems(404)}}})
    spec.path("/v1/payers/{payer_id}/tables/{name}/versions/{number}", operations={"get": {
        "operationId": "getVersion", "summary": "One version, with its document",
        "parameters": table_path + [{"in": "path", "name": "number", "required": True,
                                     "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": dict(_json("VersionDocument"), description="The version"), **_problems(404)}}})
    spec.path("/v1/payers/{payer_id}/tables/{name}/rollback", operations={"post": {
        "operationId": "rollback", "summary": "Publish a copy of an earlier version as the newest",
        "parameters": table_path, "requestBody": dict(_json("RollbackRequest"), required=True),
        "responses": {"201": dict(_json("PublishedVersion"), description="Stored"), **_problems(400, 404, 415, 422)}}})
    spec.path("/v1/audit", operations={"get": {
        "operationId": "audit", "summary": "Changes of one payer's policy, newest first",
        "parameters": [{"in": "query", "schema": s.AuditQuerySchema}],
        "responses": {"200": dict(_json("Audit"), description="Audit entries"), **_problems(422)}}})
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
    for path, operations in document["paths"].items():
        if path in unauthenticated:
            continue
        for operation in operations.values():
            operation["security"] = [{"bearer": []}]
            operation["responses"].update({
                "401": _problem("No valid key"),
                "403": _problem("The key's role or payer scope does not allow it")})
    return document


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

