"""What integrators asked for: request ids, `?trace=false`, the date decided for, CORS, real ICD-10 shapes."""
from __future__ import annotations

import copy
import io
import json
import logging
import re

import pytest

from service.api.config import ConfigError, Settings
from service.engine.policy_engine import PolicyEngine
from tests.conftest import make_app

ORIGIN = "https://app.example"
HEX = re.compile(r"[0-9a-f]{32}")


def post(client, body, path="/v1/decisions", **kwargs):
    return client.post(path, data=json.dumps(body), content_type="application/json", **kwargs)


def test_icd10_codes_starting_with_u_are_accepted_and_dotted(client, contract_case):
    case = copy.deepcopy(contract_case)
    case["clinical"]["diagnosis_codes"] = ["M54.50", "u071"]
    assert post(client, case).status_code == 200


@pytest.mark.parametrize("given", ["abc-123_x.Y", "a" * 128])
def test_a_sane_request_id_is_echoed(client, contract_case, given):
    assert post(client, contract_case, headers={"X-Request-Id": given}).headers["X-Request-Id"] == given


@pytest.mark.parametrize("given", ["", "a" * 129, "has space", "semi;colon", "é"])
def test_an_insane_request_id_is_replaced(client, given):
    assert HEX.fullmatch(client.get("/healthz", headers={"X-Request-Id": given}).headers["X-Request-Id"])


def test_every_response_has_a_request_id_and_every_problem_quotes_it(client, contract_case):
    responses = [post(client, contract_case), client.get("/healthz"), client.get("/readyz"), client.get("/metrics"),
                 client.get("/openapi.json"), client.get("/no/such/route"), client.delete("/v1/decisions"),
                 client.post("/v1/decisions", data="{", content_type="application/json"),
                 client.get("/v1/policy", headers={"Authorization": "Bearer nope"}),
                 post(client, {"cases": []}, path="/v1/decisions/batch")]
    ids = [r.headers["X-Request-Id"] for r in responses]
    assert all(HEX.fullmatch(i) for i in ids) and len(set(ids)) == len(ids)
    for response in responses:
        if response.mimetype == "application/problem+json":
            assert response.get_json()["request_id"] == response.headers["X-Request-Id"]
    given = client.get("/v1/nothing", headers={"X-Request-Id": "mine-1"})
    assert given.status_code == 404 and given.get_json()["request_id"] == "mine-1"


def test_log_lines_of_a_request_carry_its_id(client, contract_case, monkeypatch):
    def fails(self, case, today=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(PolicyEngine, "decide", fails)
    handler = logging.getLogger("massage_rules").handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        assert post(client, contract_case, headers={"X-Request-Id": "trace-me-7"}).status_code == 500
    finally:
        handler.setStream(previous)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(r["message"], r["request_id"]) for r in records] == [("decision failed", "trace-me-7")]


def test_trace_false_leaves_the_trace_out(client, contract_case):
    assert "trace" in post(client, contract_case).get_json()
    assert "trace" in post(client, contract_case, query_string={"trace": "true"}).get_json()
    decision = post(client, contract_case, query_string={"trace": "false"}).get_json()
    assert "trace" not in decision and decision["classification"] == "medical"
    results = post(client, {"cases": [contract_case] * 2}, path="/v1/decisions/batch",
                   query_string={"trace": "false"}).get_json()["results"]
    assert [("trace" in r, r["classification"]) for r in results] == [(False, "medical")] * 2


@pytest.mark.parametrize("path", ["/v1/decisions", "/v1/decisions/batch"])
def test_a_bad_trace_value_is_422_naming_it(client, contract_case, path):
    response = post(client, {"cases": [contract_case]} if path.endswith("batch") else contract_case, path=path,
                    query_string={"trace": "maybe"})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["trace"]


def test_the_date_decided_for_is_echoed(client, contract_case):
    assert post(client, contract_case).get_json()["date_of_service"] == "2026-11-20"
    undated = {k: v for k, v in contract_case.items() if k != "date_of_service"}
    today = client.get("/v1/policy").get_json()["date"]
    assert post(client, undated).get_json()["date_of_service"] == today


@pytest.fixture(scope="module")
def cors_client(tmp_path_factory):
    app = make_app(tmp_path_factory, cors_origins=f"{ORIGIN}, http://localhost:3000")
    client = app.test_client()
    client.key = app.extensions["policy_store"].create_key("admin", ["*"], "cors")[1]
    yield client
    app.extensions["policy_store"].close()


def preflight(client, origin, path="/v1/decisions"):
    client.key, key = None, client.key
    try:
        return client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                             "Access-Control-Request-Headers": "authorization, content-type"})
    finally:
        client.key = key


def cors_headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k.lower().startswith("access-control-")}


def test_an_allowed_origin_s_preflight_is_answered_without_a_key(cors_client):
    response = preflight(cors_client, ORIGIN)
    assert response.status_code == 204 and "X-Request-Id" in response.headers
    headers = cors_headers(response)
    assert headers["Access-Control-Allow-Origin"] == ORIGIN and "POST" in headers["Access-Control-Allow-Methods"]
    allowed = {h.strip() for h in headers["Access-Control-Allow-Headers"].split(",")}
    assert allowed == {"Authorization", "Content-Type", "If-Match", "X-Request-Id"}
    assert int(headers["Access-Control-Max-Age"]) > 0


def test_an_allowed_origin_s_responses_expose_etag_and_request_id(cors_client, contract_case):
    response = post(cors_client, contract_case, headers={"Origin": ORIGIN})
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in response.headers["Vary"]
    assert {"ETag", "X-Request-Id"} <= {h.strip() for h in response.headers["Access-Control-Expose-Headers"].split(",")}
    problem = cors_client.get("/v1/policy", headers={"Origin": ORIGIN, "Authorization": "Bearer nope"})
    assert problem.status_code == 401 and problem.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_a_disallowed_origin_gets_no_cors_headers(cors_client, contract_case):
    response = preflight(cors_client, "https://evil.example")
    assert response.status_code == 401 and cors_headers(response) == {}
    assert cors_headers(post(cors_client, contract_case, headers={"Origin": "https://evil.example"})) == {}


def test_cors_is_off_by_default(client):
    response = preflight(client, ORIGIN)
    assert response.status_code == 401 and cors_headers(response) == {}


@pytest.mark.parametrize("value", ["*", "app.example", "https://app.example/path", "https://a.example,ftp://b"])
def test_a_bad_cors_setting_fails_fast_naming_it(value):
    with pytest.raises(ConfigError, match="MASSAGE_RULES_CORS_ORIGINS"):
        Settings.from_env(env={"MASSAGE_RULES_CORS_ORIGINS": value})


def test_the_openapi_document_tells_of_request_ids_and_trace(client):
    spec = client.get("/openapi.json").get_json()
    for path in ("/v1/decisions", "/v1/decisions/batch"):
        operation = spec["paths"][path]["post"]
        assert [p["name"] for p in operation["parameters"]] == ["trace"]
        assert operation["responses"]["200"]["headers"]["X-Request-Id"] == {"$ref": "#/components/headers/RequestId"}
    assert all("X-Request-Id" in response.get("headers", {}) for operations in spec["paths"].values()
               for operation in operations.values() for response in operation["responses"].values())
    decision = spec["components"]["schemas"]["Decision"]
    assert "date_of_service" in decision["required"] and "trace" not in decision["required"]
    assert "request_id" in spec["components"]["schemas"]["Problem"]["properties"]
    assert re.fullmatch(spec["components"]["schemas"]["Clinical"]["properties"]["diagnosis_codes"]
                                    ["items"]["pattern"], "U07.1")
