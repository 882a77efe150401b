"""Publishing through the API (Flask client, a store of its own): validate, store atomically, audit."""
from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest
import yaml

from tests.policy_documents import GP_FOR_LMT, MODIFIERS, URL
from tests.conftest import TABLES



@pytest.fixture(scope="module")
def app(fresh_app):
    return fresh_app


@pytest.fixture(scope="module")
def store(app):
    return app.extensions["policy_store"]


@pytest.fixture(scope="module")
def keys(store):
    return {"admin": store.create_key("admin", ["*"], "admin")[1],
            "acme": store.create_key("publisher", ["acme-health"], "acme publisher")[1],
            "acme_analyst": store.create_key("analyst", ["acme-health"], "acme analyst")[1],
            "integrator": store.create_key("integrator", ["*"], "integrator")[1]}


@pytest.fixture
def client(app, keys):
    client = app.test_client()
    client.key = keys["acme"]
    return client


def lines(client, keys, case, payer="acme-health"):
    """The decision for `case` (dated today unless it says otherwise) under `payer`."""
    body = dict(case, payer_id=payer)
    if body.get("date_of_service") == "2026-11-20":
        body["date_of_service"] = date.today().isoformat()
    response = client.post("/v1/decisions", json=body, headers={"Authorization": f"Bearer {keys['integrator']}"})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_publish_changes_one_payer_only_then_rollback(client, keys, contract_case, store):
    before = lines(client, keys, contract_case)
    assert before["billing"]["insurance"]["lines"][0]["modifiers"] == []
    response = client.put(URL + "?comment=GP%20for%20LMTs", data=yaml.safe_dump(GP_FOR_LMT), content_type="application/yaml")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["label"] == "acme-health@1" and response.get_json()["comment"] == "GP for LMTs"
    after = lines(client, keys, contract_case)
    assert after["billing"]["insurance"]["lines"][0]["modifiers"] == ["GP"]
    assert after["policy"]["tables"]["line_modifiers"] == "acme-health@1"
    assert lines(client, keys, contract_case, payer="default")["billing"]["insurance"]["lines"][0]["modifiers"] == []
    # a second version, then roll back to the first copy of the base behaviour: history only grows
    assert client.put(URL, json=MODIFIERS).status_code == 201
    assert lines(client, keys, contract_case)["billing"]["insurance"]["lines"][0]["modifiers"] == []
    rolled = client.post(URL + "/rollback", json={"version": 1})
    assert rolled.status_code == 201 and rolled.get_json()["version"] == 3
    assert lines(client, keys, contract_case)["billing"]["insurance"]["lines"][0]["modifiers"] == ["GP"]
    versions = client.get(URL + "/versions").get_json()["versions"]
    assert [v["version"] for v in versions] == [1, 2, 3]
    one = client.get(URL + "/versions/1").get_json()
    assert one["document"]["rules"][0]["when"]["credential"] == '"PT", "PTA", "LMT"'
    audit = client.get("/v1/audit?payer_id=acme-health").get_json()["entries"]
    assert [(e["action"], e["from_version"], e["to_version"]) for e in audit[:3]] == \
        [("rollback", 2, 3), ("publish", 1, 2), ("publish", None, 1)]
    assert audit[2]["key_name"] == "acme publisher" and "rows changed: G1" in audit[2]["summary"]


@pytest.mark.parametrize("document, needle", [
    ({**MODIFIERS, "hit_policy": "SOMETIMES"}, "hit_policy"),
    ({**MODIFIERS, "rules": [{"id": "G1", "when": {"credential": "<<"}, "then": {"modifier": "GP"}}]}, "row G1, column credential"),
    ({**MODIFIERS, "rules": [{"id": "G1", "when": {}, "then": {"modifier": "XX"}}]}, "not an allowed value"),
    ({**MODIFIERS, "table": "other"}, "This URL takes the table 'line_modifiers'"),
    ({**MODIFIERS, "each": None}, "must have `each: service.lines`"),
])
def test_an_invalid_table_is_422_with_every_problem_and_nothing_is_stored(client, keys, contract_case, store,
                                                                            document, needle):
    stored = len(store.all_versions())
    before = lines(client, keys, contract_case)
    response = client.put(URL, json={k: v for k, v in document.items() if v is not None})
    assert response.status_code == 422
    assert needle in str(response.get_json()["errors"])
    assert len(store.all_versions()) == stored
    assert lines(client, keys, contract_case) == before


def test_a_table_that_breaks_the_payers_table_tests_is_refused(client, store):
    prior = yaml.safe_load((TABLES / "payers" / "acme-health" / "prior_authorization.yaml").read_text())
    prior["rules"][0]["when"]["visits_this_year"] = "> 2"
    stored = len(store.all_versions())
    # the shipped tests describe 2026-11-20: a change in force that day must keep them true
    response = client.put("/v1/payers/acme-health/tables/prior_authorization?effective_from=2026-11-01", json=prior)
    assert response.status_code == 422 and "table test fails" in str(response.get_json()["errors"])
    assert len(store.all_versions()) == stored


def test_a_future_version_changes_nothing_until_its_date(client, keys, contract_case):
    soon = date.today() + timedelta(days=30)
    performer = yaml.safe_load((TABLES / "payers" / "acme-health" / "performer.yaml").read_text())
    performer["rules"][0]["when"]["credential"] = '"LMT", "PT", "PTA", "OT"'
    response = client.put(f"/v1/payers/acme-health/tables/performer?effective_from={soon}", json=performer)
    assert response.status_code == 201, response.get_json()
    ot = copy.deepcopy(contract_case)
    ot["practitioner"]["credential"] = "OT"
    today_case = dict(ot, date_of_service=date.today().isoformat())
    assert lines(client, keys, today_case)["billing"]["insurance"]["eligible"] is False
    later = lines(client, keys, dict(ot, date_of_service=soon.isoformat()))
    assert later["billing"]["insurance"]["eligible"] is True
    assert later["policy"]["tables"]["performer"].startswith("acme-health@")
    listed = client.get(f"/v1/policy?payer_id=acme-health&date={soon}").get_json()["tables"]["performer"]
    assert listed["effective_from"] == soon.isoformat()


def test_dry_run_shows_both_decisions_and_stores_nothing(client, keys, contract_case, store):
    client.key = keys["acme_analyst"]
    stored = len(store.all_versions())
    occupational = dict(contract_case, practitioner=dict(contract_case["practitioner"], credential="OT"))
    response = client.post(URL + "/dry-run", json={"table": MODIFIERS | {"rules": [
        {"id": "G1", "when": {}, "then": {"modifier": "GP"}}]}, "cases": [occupational, {"service": 3}]})
    assert response.status_code == 200, response.get_json()
    first, second = response.get_json()["results"]
    assert first["draft"]["billing"]["insurance"]["lines"][0]["modifiers"] == ["GP"]
    assert {"field": "billing.insurance.lines",
            "before": first["live"]["billing"]["insurance"]["lines"],
            "after": first["draft"]["billing"]["insurance"]["lines"]} in first["differences"]
    assert second["errors"][0]["field"] == "service"
    assert len(store.all_versions()) == stored


@pytest.mark.parametrize("key, method, url, status", [
    (None, "get", "/v1/policy", 401),
    ("bogus", "get", "/v1/policy", 401),
    ("acme", "put", "/v1/payers/medicare-example/tables/line_modifiers", 403),
    ("acme", "get", "/v1/payers/medicare-example/tables/line_modifiers/versions", 403),
    ("acme", "post", "/v1/payers/medicare-example/tables/line_modifiers/dry-run", 403),
    ("acme", "post", "/v1/payers/medicare-example/tables/line_modifiers/rollback", 403),
    ("acme", "get", "/v1/audit?payer_id=medicare-example", 403),
    ("acme", "get", "/v1/policy?payer_id=medicare-example", 403),
    ("acme_analyst", "put", URL, 403),
    ("acme_analyst", "get", "/v1/audit?payer_id=acme-health", 403),
    ("integrator", "get", "/v1/policy", 403),
    ("integrator", "put", URL, 403),
])
def test_roles_and_payer_scopes(app, keys, key, method, url, status):
    client = app.test_client()
    headers = {} if key is None else {"Authorization": "Bearer " + (keys.get(key) or "mrk_000000000000_" + "x" * 40)}
    response = getattr(client, method)(url, json=MODIFIERS, headers=headers)
    assert response.status_code == status and response.mimetype == "application/problem+json"


def test_a_key_in_the_query_string_is_refused(app, keys):
    response = app.test_client().get(f"/v1/policy?api_key={keys['admin']}")
    assert response.status_code == 401 and keys["admin"] not in response.get_data(as_text=True)


def test_a_revoked_key_is_refused_at_once(app, store):
    key, text = store.create_key("analyst", ["*"], "short-lived")
    client = app.test_client()
    assert client.get("/v1/policy", headers={"Authorization": f"Bearer {text}"}).status_code == 200
    store.revoke_key(key.id)
    assert client.get("/v1/policy", headers={"Authorization": f"Bearer {text}"}).status_code == 401


def test_a_policy_that_fails_to_compile_in_a_worker_leaves_the_last_good_one_serving(app, store, keys, contract_case):
    """A version written behind the API's back (bad data in the store) must not take a worker down."""
    from service.policy.store import SYSTEM
    client = app.test_client()
    before = lines(client, keys, contract_case)
    broken = dict(MODIFIERS, hit_policy="NEVER")
    store.add_versions([{"payer_id": "acme-health", "kind": "table", "name": "line_modifiers", "document": broken,
                         "effective_from": date.today(), "comment": "bypassing the API"}], SYSTEM, "publish")
    app.extensions["policy_registry"].refresh(force=True)
    assert lines(client, keys, contract_case) == before
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "degraded"
    assert "acme-health" in ready.get_json()["degraded"] and "default" not in ready.get_json()["degraded"]
    assert "massage_rules_policy_load_failed 1.0" in client.get("/metrics").get_data(as_text=True)
