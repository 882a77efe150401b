"""The decision has exactly the contract's shape, and says why."""
from __future__ import annotations

import copy
import json


from service.case_schema import load_case
from service.engine.decision import answer_problems
from service.policy.assembly import folder_policy as load_policy
from tests.conftest import ROOT

CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())


def test_the_contract_example(engines):
    decision = engines["default"].decide(load_case(CASE))
    assert list(decision) == ["case_id", "payer_id", "date_of_service", "classification", "referrals", "billing",
                              "trace", "policy"]
    assert decision["case_id"] == "c-1042" and decision["classification"] == "medical"
    assert decision["date_of_service"] == CASE["date_of_service"]
    insurance = decision["billing"]["insurance"]
    assert set(insurance) == {"eligible", "prior_authorization_required", "lines", "documentation_required", "reasons"}
    assert insurance["lines"] == [{"cpt": "97124", "units": 2, "modifiers": []},
                                  {"cpt": "97140", "units": 1, "modifiers": ["59"]}]
    assert set(decision["billing"]["hsa_fsa"]) == {"eligible", "documentation_required", "reasons"}
    assert decision["policy"] == {"payer_id": "default", "tables": {t: "base@1" for t in decision["policy"]["tables"]},
                                  "value_sets": {v: "base@1" for v in decision["policy"]["value_sets"]}}
    assert "covered_diagnoses" in decision["policy"]["value_sets"]
    assert len(decision["policy"]["tables"]) == 16


def test_every_trace_entry_names_table_version_row_inputs_and_outputs(engines):
    decision = engines["default"].decide(load_case(CASE))
    for step in decision["trace"]:
        assert {"table", "version", "rule", "annotation", "inputs", "outputs"} <= set(step)
    classification = next(s for s in decision["trace"] if s["table"] == "classification")
    assert classification["rule"] == "C3" and classification["outputs"]["classification"] == "medical"
    assert classification["inputs"] == {"purpose": "pain", "prescribed": True, "diagnosed": True, "goals": True,
                                        "past_reassessment": False}


def test_reasons_and_referrals_name_their_rule(engines):
    case = copy.deepcopy(CASE)
    case["clinical"]["red_flags"] = ["dvt_signs", "other"]
    case["clinical"]["functional_goals"] = False
    decision = engines["default"].decide(load_case(case))
    assert decision["referrals"] == [{"to": "physician", "reason": "red_flags",
                                      "message": "Red flags need a physician's evaluation before massage continues",
                                      "rule": "referrals:R1"}]
    assert [(r["code"], r["rule"]) for r in decision["billing"]["insurance"]["reasons"]] == \
        [("not_medically_necessary", "insurance_eligibility:E2")]


def test_a_payer_table_is_named_with_its_payer(engines):
    case = dict(CASE, payer_id="acme-health")
    decision = engines["acme-health"].decide(load_case(case))
    assert decision["policy"]["tables"]["performer"] == "acme-health@1"
    assert decision["policy"]["tables"]["classification"] == "base@1"


def test_a_policy_missing_an_answer_table_is_refused(tmp_path):
    import shutil
    shutil.copytree(ROOT / "decision_tables" / "base", tmp_path / "base")
    (tmp_path / "base" / "units.yaml").unlink()
    problems = answer_problems(load_policy(tmp_path))
    assert any("no table 'units'" in p.message for p in problems)


def test_an_answer_table_with_the_wrong_shape_is_refused(tmp_path):
    import shutil
    shutil.copytree(ROOT / "decision_tables" / "base", tmp_path / "base")
    path = tmp_path / "base" / "referrals.yaml"
    path.write_text(path.read_text().replace("hit_policy: COLLECT", "hit_policy: RULE ORDER").replace("  message: {type: string}\n", "  note: {type: string}\n").replace("message: ", "note: "))
    problems = answer_problems(load_policy(tmp_path, analyse=False))
    assert [(p.table, p.column) for p in problems] == [("referrals", "message")]
