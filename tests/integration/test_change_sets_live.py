"""Changing policy against the real service (gunicorn, two workers): racing publishes, hostile tables,
maker-checker, and the CLI reproducing what the server answered. After each, every payer is still
answered and the service restarts on the same store."""
from __future__ import annotations

import copy
import json
import threading
from datetime import date

import pytest
import yaml

from service.cli import main
from tests.conftest import ROOT, TABLES
from tests.integration.server import Server

CASE = dict(json.loads((ROOT / "examples" / "contract-case.json").read_text()), date_of_service=date.today().isoformat())
PAYERS = ("default", "acme-health", "medicare-example")


def table(path: str) -> dict:
    return yaml.safe_load((TABLES / path).read_text())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("changes") / "server.log", workers=2)
    for name, role in (("pia", "publisher"), ("quinn", "publisher"), ("ana", "analyst")):
        server.keys[name] = server.store.create_key(role, ["acme-health"], f"{name}'s key", owner=name)[1]
    yield server
    server.stop()


def every_payer_is_answered(server) -> None:
    for payer in PAYERS:
        status, decision, _ = server.request("POST", "/v1/decisions", dict(CASE, payer_id=payer), key="integrator")
        assert status == 200 and decision["classification"] in ("wellness", "therapeutic", "medical"), decision
    status, ready, _ = server.request("GET", "/readyz", key=None)
    assert status == 200 and ready["status"] == "ready", ready


def cycle_halves() -> tuple[dict, dict]:
    care = table("base/care_stage.yaml")
    care["inputs"]["licensed"] = {"from": "license.licensed", "type": "boolean"}
    license_ = table("base/license.yaml")
    license_["inputs"]["past"] = {"from": "care_stage.past_reassessment", "type": "boolean"}
    return care, license_


def test_two_racing_publishes_never_both_land_when_together_they_are_invalid(server):
    care, license_ = cycle_halves()
    base_care, base_license = table("base/care_stage.yaml"), table("base/license.yaml")
    both_landed, outcomes = 0, []
    for attempt in range(30):
        barrier = threading.Barrier(2)
        results = {}

        def put(key, name, document):
            barrier.wait()
            results[name] = server.request("PUT", f"/v1/payers/acme-health/tables/{name}", document, key=key)[:2]

        threads = [threading.Thread(target=put, args=("pia", "care_stage", care)),
                   threading.Thread(target=put, args=("quinn", "license", license_))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = sorted(status for status, _ in results.values())
        outcomes.append(statuses)
        assert all(s in (201, 409, 422) for s in statuses), results
        both_landed += statuses == [201, 201]
        every_payer_is_answered(server)
        # put both back as they were (in order, so each step is valid) for the next attempt
        for name, document in (("license", base_license), ("care_stage", base_care)):
            status, body, _ = server.request("PUT", f"/v1/payers/acme-health/tables/{name}", document, key="pia")
            assert status in (200, 201), body
        if attempt >= 4 and any(s == [201, 422] or s == [201, 409] for s in outcomes):
            break
    assert both_landed == 0, outcomes
    assert any(201 in s for s in outcomes)


HOSTILE = [
    ("units -1", "units", lambda t: _set_units(t, -1), "units"),
    ("units inf", "units", lambda t: _set_units(t, float("inf")), "units"),
    ("units nan", "units", lambda t: _set_units(t, float("nan")), "units"),
    ("units 10**15", "units", lambda t: _set_units(t, 10 ** 15), "units"),
    ("referral to the moon", "referrals", lambda t: _first_then(t, to="the_moon"), "the_moon"),
    ("classification outside the contract", "classification",
     lambda t: _first_then(_no_allowed(t, "classification"), classification="luxury"), "luxury"),
    ("values that leave out a value", "performer",
     lambda t: _values(t, "credential", ["LMT", "PT", "PTA"]), "values"),
    ("values on a list input", "insurance_eligibility",
     lambda t: _values(t, "diagnoses", ["M54.5"]), "values"),
    ("a FIRST table with a gap only three flags reveal", "referrals", lambda t: t, None),
]


def _set_units(t, value):
    t["rules"][-1]["then"]["units"] = value
    return t


def _first_then(t, **outputs):
    t["rules"][0]["then"].update(outputs)
    return t


def _no_allowed(t, output):
    t["outputs"][output].pop("allowed", None)
    return t


def _values(t, name, values):
    t["inputs"][name]["values"] = values
    return t


def _gap_table() -> dict:
    return {"table": "red_flag_gate", "title": "gate", "hit_policy": "FIRST",
            "inputs": {"flags": {"from": "clinical.red_flags", "type": "list"}},
            "outputs": {"ok": {"type": "boolean"}},
            "rules": [{"id": f"R{i}", "when": {"flags": f'not("{flag}")'}, "then": {"ok": True}}
                      for i, flag in enumerate(("dvt_signs", "fever_or_infection", "other"))]}


@pytest.mark.parametrize("label, name, edit, needle", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_table_is_refused_and_every_payer_still_answered(server, label, name, edit, needle):
    if needle is None:
        name, document = "red_flag_gate", _gap_table()
    else:
        own = f"payers/acme-health/{name}.yaml"
        whole = (TABLES / own).exists() and "extends" not in table(own)      # acme's own table, not an overlay
        document = edit(copy.deepcopy(table(own if whole else f"base/{name}.yaml")))
    body = yaml.safe_dump(document)       # YAML carries .inf and .nan as an analyst's file would
    versions = len(server.store.all_versions())
    status, problem, kind = server.request("PUT", f"/v1/payers/acme-health/tables/{name}", body,
                                           {"Content-Type": "application/yaml"}, key="pia")
    assert status == 422 and kind == "application/problem+json", (status, problem)
    assert needle is None or needle in json.dumps(problem)
    assert len(server.store.all_versions()) == versions
    every_payer_is_answered(server)


def test_maker_checker_through_the_real_service(server):
    status, _, _ = server.request("PUT", "/v1/payers/acme-health/settings", {"four_eyes": True}, key="admin")
    assert status == 200
    try:
        prior = table("payers/acme-health/prior_authorization.yaml")
        prior["rules"][0]["when"]["visits_this_year"] = "> 8"
        status, body, _ = server.request("PUT", "/v1/payers/acme-health/tables/prior_authorization", prior, key="pia")
        assert status == 202 and body["change"]["status"] == "proposed", body
        change = body["change"]
        url = f"/v1/payers/acme-health/changes/{change['id']}"
        assert server.request("POST", url + "/approve", {}, key="pia")[0] == 403          # its author
        assert server.request("POST", url + "/approve", {}, key="ana")[0] == 403          # an analyst
        status, approved, _ = server.request("POST", url + "/approve", {}, {"If-Match": f'"{change["etag"]}"'},
                                             key="quinn")
        assert status == 200 and approved["status"] == "published" and approved["decided_by"] == "quinn"
        case = dict(CASE, payer_id="acme-health", clinical=dict(CASE["clinical"], visits_this_year=8))
        status, decision, _ = server.request("POST", "/v1/decisions", case, key="integrator")
        assert status == 200 and decision["billing"]["insurance"]["prior_authorization_required"] is False
    finally:
        server.request("PUT", "/v1/payers/acme-health/settings", {"four_eyes": False}, key="admin")


def test_evaluate_with_the_store_prints_what_the_server_answered(server, tmp_path, capsys):
    modifiers = table("base/line_modifiers.yaml")
    modifiers["rules"][0]["when"]["credential"] = '"PT", "PTA", "LMT"'
    status, body, _ = server.request("PUT", "/v1/payers/acme-health/tables/line_modifiers", modifiers, key="pia")
    assert status in (200, 201), body
    case = dict(CASE, payer_id="acme-health")
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    assert main(["evaluate", str(path), "--payer", "acme-health", "--store", server.database_url]) == 0
    printed = json.loads(capsys.readouterr().out)
    status, answered, _ = server.request("POST", "/v1/decisions", case, key="integrator")
    assert status == 200 and printed == answered and printed["date_of_service"] == CASE["date_of_service"]
    assert printed["policy"]["tables"]["line_modifiers"] == body["label"]


def test_the_service_restarts_on_the_same_store(server, tmp_path):
    again = Server(tmp_path / "again.log", workers=1, database_url=server.database_url)
    try:
        for payer in PAYERS:
            status, _, _ = again.request("POST", "/v1/decisions", dict(CASE, payer_id=payer), key="integrator")
            assert status == 200
    finally:
        again.stop()
