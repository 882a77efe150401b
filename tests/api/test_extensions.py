"""Facts of a payer's own through the API: integrators send them under `extensions`, each payer's
declarations in force decide what a case may carry, GET /v1/policy tells integrators, and a
declaration is published, versioned and rolled back like a table."""
from __future__ import annotations

import copy

import jsonschema
import pytest

PROBLEM = "application/problem+json"
DECLARATION = "/v1/payers/acme-health/facts/extensions"


@pytest.fixture(scope="module")
def app(fresh_app):
    return fresh_app


@pytest.fixture(scope="module")
def keys(app):
    store = app.extensions["policy_store"]
    return {"admin": store.create_key("admin", ["*"], "admin")[1],
            "acme": store.create_key("publisher", ["acme-health"], "acme publisher")[1],
            "integrator": store.create_key("integrator", ["acme-health"], "acme integrator")[1]}


@pytest.fixture
def client(app, keys):
    client = app.test_client()
    client.key = keys["admin"]
    return client


def acme(contract_case, visits: int, **extensions) -> dict:
    case = copy.deepcopy(contract_case)
    case["payer_id"], case["clinical"]["visits_this_year"] = "acme-health", visits
    if extensions:
        case["extensions"] = extensions
    return case


def prior_authorization(client, case) -> bool:
    response = client.post("/v1/decisions", json=case)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["billing"]["insurance"]["prior_authorization_required"]


def errors(response, status: int = 422) -> dict:
    assert response.status_code == status and response.mimetype == PROBLEM
    return {e["field"]: e["message"] for e in response.get_json()["errors"]}


def test_gold_members_need_no_prior_authorization_until_visit_12(client, keys, contract_case):
    client.key = keys["integrator"]
    assert prior_authorization(client, acme(contract_case, 12, plan_tier="gold")) is False
    assert prior_authorization(client, acme(contract_case, 13, plan_tier="gold")) is True
    assert prior_authorization(client, acme(contract_case, 7, plan_tier="silver")) is True
    trace = client.post("/v1/decisions", json=acme(contract_case, 12, plan_tier="gold")).get_json()["trace"]
    step = next(s for s in trace if s["table"] == "prior_authorization")
    assert step["rule"] == "A3" and "plan_tier" not in step["inputs"]


def test_a_case_without_the_fact_gets_the_declared_default(client, contract_case):
    assert prior_authorization(client, acme(contract_case, 6)) is False
    assert prior_authorization(client, acme(contract_case, 7)) is True          # bronze: past visit 6
    trace = client.post("/v1/decisions", json=acme(contract_case, 7)).get_json()["trace"]
    assert next(s for s in trace if s["table"] == "prior_authorization")["inputs"]["plan_tier"] == "bronze"


def test_another_payers_fact_is_unknown(client, contract_case):
    case = dict(contract_case, extensions={"plan_tier": "gold"})
    assert errors(client.post("/v1/decisions", json=case)) == {"extensions.plan_tier": "Unknown field."}


@pytest.mark.parametrize("extensions, field", [
    ({"plan_tier": "platinum-SECRET"}, "extensions.plan_tier"),       # not a declared value
    ({"plan_tier": 3}, "extensions.plan_tier"),                         # mistyped
    ({"plan_tier": ["gold"]}, "extensions.plan_tier"),
    ({"member_since_SECRET": "gold"}, "extensions"),                  # not a fact name: the key is not repeated
    ({"loyalty": "gold"}, "extensions.loyalty"),                        # a name acme does not declare
    ({"plan_tier": {"tier": "gold"}}, "extensions.plan_tier"),          # not a fact value at all
])
def test_a_wrong_extension_is_refused_naming_it_never_its_value(client, contract_case, extensions, field):
    response = client.post("/v1/decisions", json=acme(contract_case, 7, **extensions))
    assert field in errors(response)
    assert "SECRET" not in response.get_data(as_text=True) and "platinum" not in response.get_data(as_text=True)


def test_a_batch_refuses_only_the_case_with_a_wrong_extension(client, contract_case):
    body = {"cases": [acme(contract_case, 12, plan_tier="gold"), acme(contract_case, 12, plan_tier="diamond")]}
    results = client.post("/v1/decisions/batch", json=body).get_json()["results"]
    assert results[0]["billing"]["insurance"]["prior_authorization_required"] is False
    assert results[1]["status"] == 422 and results[1]["errors"][0]["field"] == "extensions.plan_tier"


def test_the_policy_tells_integrators_what_to_send(client, contract_case):
    policy = client.get("/v1/policy?payer_id=acme-health").get_json()
    assert policy["facts"] == {"plan_tier": {
        "type": "string", "description": "The member's plan tier, as on the member's card", "required": False,
        "from": ["extensions.plan_tier"], "values": ["bronze", "silver", "gold"], "default": "bronze",
        "document": "extensions", "version": "acme-health@1"}}
    schema = policy["extensions_schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate({"plan_tier": "gold"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"plan_tier": "diamond"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"other": 1}, schema)
    assert client.get("/v1/policy?payer_id=default").get_json()["facts"] == {}
    assert client.get("/v1/facts/extensions?payer_id=acme-health").get_json()["document"]["declare"]["plan_tier"]


def test_the_public_contract_stays_payer_neutral(client):
    extensions = client.get("/openapi.json").get_json()["components"]["schemas"]["Case"]["properties"]["extensions"]
    assert extensions["type"] == "object" and "plan_tier" not in str(extensions)


def test_a_declaration_is_published_versioned_and_rolled_back(client, keys, contract_case):
    client.key = keys["acme"]
    declaration = {"facts": "extensions", "declare": {
        "plan_tier": {"type": "string", "values": ["bronze", "silver", "gold"], "default": "bronze"},
        "birth_date": {"type": "date", "derived": ["age_on_service_date"], "description": "The member's"}}}
    published = client.put(f"{DECLARATION}?effective_from=2026-01-01", json=declaration)
    assert published.status_code == 201, published.get_json()
    assert published.get_json()["version"] == 2 and published.get_json()["kind"] == "facts"
    client.key = keys["admin"]
    case = acme(contract_case, 12, plan_tier="gold", birth_date="1990-11-21")
    assert prior_authorization(client, case) is False
    earlier = dict(case, date_of_service="2025-12-31")                 # the declarations in force on its date
    assert errors(client.post("/v1/decisions", json=earlier)) == {"extensions.birth_date": "Unknown field."}
    assert errors(client.post("/v1/decisions", json=acme(contract_case, 7, birth_date="21/11/1990"))) == {
        "extensions.birth_date": "Not a valid date."}
    assert client.get("/v1/policy?payer_id=acme-health").get_json()["facts"]["birth_date"]["from"] == [
        "extensions.birth_date", "extensions.birth_date.age_on_service_date"]
    client.key = keys["acme"]
    versions = client.get(f"{DECLARATION}/versions").get_json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]
    assert "facts added: birth_date" in client.get("/v1/audit?payer_id=acme-health").get_json()["entries"][0]["summary"]
    rolled = client.post(f"{DECLARATION}/rollback", json={"version": 1, "effective_from": "2026-06-01"})
    assert rolled.status_code == 201 and rolled.get_json()["version"] == 3
    client.key = keys["admin"]
    assert "extensions.birth_date" in errors(client.post("/v1/decisions", json=case))


def test_a_declaration_the_tables_depend_on_cannot_lose_their_fact(client, keys):
    client.key = keys["acme"]
    response = client.put(DECLARATION, json={"facts": "extensions", "declare": {"tier": {"type": "string"}}})
    assert response.status_code == 422
    assert "extensions.plan_tier" in str(response.get_json())
