"""Change sets, value sets, ETags and the steps of review through the API (a store of its own)."""
from __future__ import annotations

import copy

import pytest
import yaml

from tests.conftest import ROOT, TABLES

PRIOR = yaml.safe_load((TABLES / "payers" / "acme-health" / "prior_authorization.yaml").read_text())
CODES = yaml.safe_load((TABLES / "base" / "value_sets" / "covered_diagnoses.yaml").read_text())
CHANGES = "/v1/payers/acme-health/changes"


@pytest.fixture(scope="module")
def app(fresh_app):
    return fresh_app


@pytest.fixture(scope="module")
def keys(app):
    store = app.extensions["policy_store"]
    make = store.create_key
    return {"ana": make("analyst", ["acme-health"], "ana", owner="ana")[1],
            "pia": make("publisher", ["acme-health"], "pia", owner="pia")[1],
            "quinn": make("publisher", ["*"], "quinn", owner="quinn")[1],
            "admin": make("admin", ["*"], "root", owner="root")[1],
            "integrator": make("integrator", ["*"], "client")[1]}


def as_(app, keys, who):
    client = app.test_client()
    client.key = keys[who]
    return client


def threshold(n: int) -> dict:
    changed = copy.deepcopy(PRIOR)
    changed["rules"][0]["when"]["visits_this_year"] = f"> {n}"
    return changed


def test_if_match_refuses_to_overwrite_an_edit_not_seen(app, keys):
    pia = as_(app, keys, "pia")
    seen = pia.get("/v1/tables/prior_authorization?payer_id=acme-health").headers["ETag"]
    assert pia.put("/v1/payers/acme-health/tables/prior_authorization", json=threshold(7),
                   headers={"If-Match": seen}).status_code == 201
    stale = pia.put("/v1/payers/acme-health/tables/prior_authorization", json=threshold(9), headers={"If-Match": seen})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    now = pia.get("/v1/tables/prior_authorization?payer_id=acme-health")
    assert now.get_json()["table"]["rules"][0]["when"]["visits_this_year"] == "> 7"
    assert pia.put("/v1/payers/acme-health/tables/prior_authorization", json=threshold(6),
                   headers={"If-Match": now.headers["ETag"]}).status_code == 201


def test_a_value_set_is_published_read_and_named_in_decisions(app, keys, contract_case):
    pia = as_(app, keys, "pia")
    codes = dict(CODES, codes=CODES["codes"] + ["M25.5"])
    response = pia.put("/v1/payers/acme-health/value-sets/covered_diagnoses", json=codes)
    assert response.status_code == 201 and response.get_json()["label"] == "acme-health@1"
    assert response.get_json()["kind"] == "value_set"
    assert pia.put("/v1/payers/acme-health/value-sets/covered_diagnoses", json=codes).status_code == 200
    read = pia.get("/v1/value-sets/covered_diagnoses?payer_id=acme-health").get_json()
    assert "M25.5" in read["document"]["codes"] and read["version"] == "acme-health@1"
    case = dict(contract_case, payer_id="acme-health", date_of_service=None,
                clinical=dict(contract_case["clinical"], diagnosis_codes=["M25.50"]))
    del case["date_of_service"]
    decision = as_(app, keys, "integrator").post("/v1/decisions", json=case).get_json()
    assert decision["policy"]["value_sets"]["covered_diagnoses"] == "acme-health@1"
    assert "diagnosis_not_covered" not in [r["code"] for r in decision["billing"]["insurance"]["reasons"]]
    versions = pia.get("/v1/payers/acme-health/value-sets/covered_diagnoses/versions").get_json()["versions"]
    assert [v["version"] for v in versions] == [1]


def test_a_refused_change_names_where_and_never_a_server_path(app, keys):
    response = as_(app, keys, "pia").put(
        "/v1/payers/acme-health/tables/prior_authorization?effective_from=2026-11-01", json=threshold(2))
    body = response.get_text() if hasattr(response, "get_text") else response.get_data(as_text=True)
    assert response.status_code == 422 and "table test fails" in body
    assert str(ROOT) not in body and "/tmp" not in body and "acme-health/payers@1" in body


def test_the_life_of_a_change_set(app, keys):
    ana, pia, quinn = (as_(app, keys, who) for who in ("ana", "pia", "quinn"))
    tests = {"tests": "life", "cases": [{"name": "visit 9 needs authorization", "facts": {
        "payer_id": "acme-health", "service": {"purpose": "pain", "minutes": {"97124": 30}},
        "practitioner": {"credential": "LMT", "license_active": True}, "clinical": {"visits_this_year": 9}},
        "expect": {"insurance": {"prior_authorization_required": True}}}]}
    revision = ana.get("/v1/policy?payer_id=acme-health").headers["ETag"]
    created = ana.post(CHANGES, json={"documents": [threshold(8), tests], "comment": "eight"},
                       headers={"If-Match": revision})
    assert created.status_code == 201, created.get_json()
    change = created.get_json()
    assert change["status"] == "draft" and change["author"] == "ana"
    assert change["documents"][0]["diff"]["changed"][0]["after"]["when"]["visits_this_year"] == "> 8"
    assert change["documents"][1]["diff"]["new"] is True
    url = f"{CHANGES}/{change['id']}"
    assert pia.put(url, json={"documents": [threshold(8)]}).status_code == 403          # not the author
    assert ana.post(url + "/check").get_json() == {"id": change["id"], "ok": True, "problems": []}
    dry = ana.post(url + "/dry-run", json={"cases": [tests["cases"][0]["facts"] | {"clinical": {"visits_this_year": 7}}]})
    assert dry.get_json()["results"][0]["differences"] == [
        {"field": "billing.insurance.prior_authorization_required", "before": True, "after": False}]
    edited = ana.put(url, json={"documents": [threshold(8), tests], "comment": "eight, tested"},
                     headers={"If-Match": change["etag"]})
    assert edited.status_code == 200 and edited.get_json()["comment"] == "eight, tested"
    assert ana.put(url, json={"documents": [threshold(8)]}, headers={"If-Match": change["etag"]}).status_code == 412
    proposed = ana.post(url + "/propose").get_json()
    assert proposed["status"] == "proposed"
    assert [c["id"] for c in ana.get(CHANGES + "?status=proposed").get_json()["changes"]] == [change["id"]]
    assert ana.post(url + "/approve").status_code == 403                              # an analyst
    rejected = pia.post(url + "/reject", json={"comment": "not this quarter"}).get_json()
    assert rejected["status"] == "rejected" and rejected["decision_comment"] == "not this quarter"
    assert pia.post(url + "/approve").status_code == 409                              # rejected is final
    again = ana.post(CHANGES, json={"documents": [threshold(8), tests]}).get_json()
    assert ana.post(f"{CHANGES}/{again['id']}/withdraw").get_json()["status"] == "withdrawn"
    third = ana.post(CHANGES, json={"documents": [threshold(8), tests]}).get_json()
    ana.post(f"{CHANGES}/{third['id']}/propose")
    published = quinn.post(f"{CHANGES}/{third['id']}/approve").get_json()
    assert published["status"] == "published" and published["decided_by"] == "quinn"
    audit = as_(app, keys, "admin").get("/v1/audit?payer_id=acme-health").get_json()["entries"]
    assert [e["action"] for e in audit[:4]] == ["approve", "approve", "propose", "draft"]


def test_a_stale_revision_refuses_a_new_draft(app, keys):
    ana = as_(app, keys, "ana")
    assert ana.post(CHANGES, json={"documents": [threshold(5)]}, headers={"If-Match": '"old"'}).status_code == 412


def test_base_changes_need_an_admin_and_always_four_eyes(app, keys):
    modifiers = yaml.safe_load((TABLES / "base" / "line_modifiers.yaml").read_text()) | {"title": "Modifiers"}
    quinn, admin = as_(app, keys, "quinn"), as_(app, keys, "admin")
    assert quinn.post("/v1/payers/base/changes", json={"documents": [modifiers]}).status_code == 403
    assert quinn.put("/v1/payers/base/tables/line_modifiers", json=modifiers).status_code == 403
    proposed = admin.put("/v1/payers/base/tables/line_modifiers", json=modifiers)
    assert proposed.status_code == 202 and proposed.get_json()["change"]["four_eyes"] is True
    url = f"/v1/payers/base/changes/{proposed.get_json()['change']['id']}"
    assert admin.post(url + "/approve").status_code == 403                          # the same person
    other = app.extensions["policy_store"].create_key("admin", ["*"], "second admin", owner="sam")[1]
    approved = app.test_client().post(url + "/approve", headers={"Authorization": f"Bearer {other}"})
    assert approved.status_code == 200 and approved.get_json()["status"] == "published"
    assert admin.get("/v1/tables/line_modifiers?payer_id=default").get_json()["version"] == "base@2"


@pytest.mark.parametrize("body, field", [
    ({"documents": []}, "documents"),
    ({"documents": [{"table": "x"}]}, "document #1"),
    ({"documents": [PRIOR, PRIOR]}, "document #2"),
    ({"documents": [PRIOR], "effective_from": "tomorrow"}, "effective_from"),
    ({"documents": [PRIOR], "extra": 1}, "extra"),
])
def test_a_bad_change_is_a_422_naming_the_document_or_field(app, keys, body, field):
    response = as_(app, keys, "ana").post(CHANGES, json=body)
    assert response.status_code == 422 and field in str(response.get_json()["errors"])


def fee_schedule(rows: int) -> dict:
    return {"table": "fees", "title": "fee schedule", "hit_policy": "UNIQUE", "each": "service.lines",
            "inputs": {"code": {"from": "item.cpt", "type": "string"}}, "outputs": {"fee": {"type": "number"}},
            "rules": [{"id": f"R{i}", "when": {"code": f'"{90000 + i}"'}, "then": {"fee": i % 97}} for i in range(rows)],
            "default": {"fee": 0}}


def test_the_row_limit_is_reachable_over_http(app, keys):
    """10,000 rows pass every check and are stored; 10,001 are refused by the limit, not the body size."""
    pia = as_(app, keys, "pia")
    assert pia.put("/v1/payers/acme-health/tables/fees", json=fee_schedule(10_001)).status_code == 422
    response = pia.put("/v1/payers/acme-health/tables/fees", json=fee_schedule(10_000))
    assert response.status_code == 201, response.get_json()
