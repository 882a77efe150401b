"""GET /v1/policy, /v1/tables/{name}, /healthz, /readyz, /metrics."""
from __future__ import annotations

import pytest


def test_policy_lists_tables_value_sets_and_tests_with_versions_and_an_etag(client):
    response = client.get("/v1/policy?payer_id=acme-health&date=2026-11-20")
    body = response.get_json()
    assert body["payer_id"] == "acme-health" and body["date"] == "2026-11-20"
    assert body["tables"]["performer"]["version"] == "acme-health@1"
    classification = body["tables"]["classification"]
    assert {k: classification[k] for k in ("version", "hit_policy", "rules", "effective_from", "author_key_id")} == \
        {"version": "base@1", "hit_policy": "FIRST", "rules": 5, "effective_from": "0001-01-01",
         "author_key_id": "system"}
    assert body["value_sets"]["covered_diagnoses"]["version"] == "base@1"
    assert "payers" in body["tests"] and body["settings"] == {"four_eyes": False, "time_zone": "UTC"}
    assert body["declared_codes"] == {"reason_codes": [], "documents": []}
    assert response.headers["ETag"] == f'"{body["revision"]}"'


def test_value_sets_and_tests_are_readable_with_an_etag(client):
    response = client.get("/v1/value-sets/covered_diagnoses?payer_id=acme-health")
    assert response.status_code == 200 and "M54" in response.get_json()["document"]["codes"]
    assert response.headers["ETag"] == f'"{response.get_json()["content_hash"]}"'
    suite = client.get("/v1/tests/payers?payer_id=acme-health").get_json()
    assert suite["version"] == "acme-health@1" and all("payer" not in c for c in suite["document"]["cases"])
    assert client.get("/v1/value-sets/nothing?payer_id=acme-health").status_code == 404


def test_policy_defaults_to_the_default_payer(client):
    assert client.get("/v1/policy").get_json()["payer_id"] == "default"


def test_one_table_as_data(client):
    body = client.get("/v1/tables/care_stage?payer_id=medicare-example").get_json()
    assert body["version"] == "medicare-example@1"
    assert body["table"]["rules"][0]["when"] == {"visit_number": "<= 10"}
    assert body["table"]["inputs"]["visit_number"] == {"from": "clinical.visit_number", "type": "number", "default": 1}
    assert body["effective_from"] == "0001-01-01"


def test_an_overlay_is_shown_as_published_and_as_applied_and_decisions_name_both_versions(client, contract_case):
    body = client.get("/v1/tables/insurance_eligibility?payer_id=acme-health").get_json()
    assert body["version"] == "acme-health@1" and body["table"]["extends"] == "insurance_eligibility"
    assert [r["id"] for r in body["effective"]["rules"]] == ["E1", "E2", "E3", "E4", "E5"]
    assert body["effective"]["rules"][4]["when"] == {"visits_this_year": "> 16"} and "extends" not in body["effective"]
    assert "effective" not in client.get("/v1/tables/insurance_eligibility?payer_id=default").get_json()
    summary = client.get("/v1/policy?payer_id=medicare-example").get_json()["tables"]["insurance_eligibility"]
    assert (summary["version"], summary["rules"], summary["hit_policy"]) == ("medicare-example@1", 4, "COLLECT")
    decision = client.post("/v1/decisions", json={**contract_case, "payer_id": "acme-health"}).get_json()
    assert decision["policy"]["tables"]["insurance_eligibility"] == "base@1 + acme-health@1"


@pytest.mark.parametrize("url, status, field", [
    ("/v1/policy?payer_id=nobody", 404, "payer_id"),
    ("/v1/policy?payer_id=Bad%20Id", 422, "payer_id"),
    ("/v1/policy?date=tomorrow", 422, "date"),
    ("/v1/policy?colour=red", 422, "colour"),
    ("/v1/tables/nope", 404, None),
    ("/v1/tables/units?payer_id=nobody", 404, "payer_id"),
])
def test_bad_queries(client, url, status, field):
    response = client.get(url)
    assert response.status_code == status and response.mimetype == "application/problem+json"
    if field:
        assert field in {e["field"] for e in response.get_json()["errors"]}


def test_unknown_routes_and_methods_are_problems(client):
    assert client.get("/v2/nothing").status_code == 404
    response = client.get("/v1/decisions")
    assert response.status_code == 405 and response.mimetype == "application/problem+json"


def test_health_and_readiness(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["payers"] == ["default", "acme-health", "medicare-example"]


def test_metrics(client, contract_case):
    client.post("/v1/decisions", json=contract_case)
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'massage_rules_requests_total{endpoint="/v1/decisions",method="POST",status="200"}' in text
    assert 'massage_rules_request_seconds_bucket{endpoint="/healthz"' in text
    assert 'massage_rules_decisions_total{classification="medical",payer_id="default"}' in text
    assert 'massage_rules_policy_table_version{origin="acme-health",payer_id="acme-health",table="performer"} 1.0' in text


def test_the_service_starts_on_a_store_whose_newest_policy_does_not_compile(tmp_path):
    """Such a store (written by hand, or by a release with weaker checks) once stopped start-up for
    every payer: now the payer is served from its last compiling generation, and readiness names it."""
    from datetime import date

    import yaml

    from service.api import create_app
    from service.api.config import Settings
    from service.policy.bootstrap import open_store
    from service.policy.store import SYSTEM
    from tests.conftest import TABLES, fresh_database_url
    url = fresh_database_url(tmp_path)
    store = open_store(url, TABLES)
    broken = dict(yaml.safe_load((TABLES / "base" / "line_modifiers.yaml").read_text()), hit_policy="NEVER")
    store.add_versions([{"payer_id": "acme-health", "kind": "table", "name": "line_modifiers", "document": broken,
                         "effective_from": date.min, "comment": ""}], SYSTEM, "publish")
    _, key = store.create_key("admin", ["*"], "admin")
    store.close()
    app = create_app(Settings.from_env(env={}, database_url=url))
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    assert list(ready.get_json()["degraded"]) == ["acme-health"]
    decision = client.post("/v1/decisions", json={"payer_id": "acme-health", "service": {"purpose": "pain"},
                                                  "practitioner": {"credential": "LMT", "license_active": True}},
                           headers={"Authorization": f"Bearer {key}"})
    assert decision.status_code == 200 and decision.get_json()["policy"]["tables"]["line_modifiers"] == "base@1"
    app.extensions["policy_store"].close()
