"""The massage-rules command: exit codes 0 ok, 1 failed checks, 2 bad usage or input."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from service.cli import main
from tests.conftest import ROOT, TABLES

CASE = ROOT / "examples" / "contract-case.json"


def test_validate_the_shipped_tables(capsys):
    assert main(["validate", str(TABLES)]) == 0
    out = capsys.readouterr().out
    assert "default: ok" in out and "acme-health: ok" in out and "medicare-example: ok" in out


def test_table_tests_pass_with_full_row_coverage(capsys):
    assert main(["test", str(TABLES)]) == 0
    out = capsys.readouterr().out
    assert " 0 failed" in out and "(100%)" in out
    passed = int(out.split(" passed")[0].split()[-1])
    assert passed >= 60


@pytest.fixture
def tables_copy(tmp_path):
    shutil.copytree(TABLES, tmp_path / "tables")
    return tmp_path / "tables"


def test_validate_names_file_table_row_and_column(tables_copy, capsys):
    path = tables_copy / "base" / "care_stage.yaml"
    path.write_text(path.read_text().replace("'> 6'", "'> \"six\"'"))
    assert main(["validate", str(tables_copy)]) == 1
    err = capsys.readouterr().err
    assert "base/care_stage.yaml, table care_stage, row S2, column visit_number: not a unary test" in err


def test_validate_reports_a_broken_payer_only_for_that_payer(tables_copy, capsys):
    path = tables_copy / "payers" / "acme-health" / "prior_authorization.yaml"
    path.write_text(path.read_text().replace("then: {required: true}", "then: {required: maybe}"))
    assert main(["validate", str(tables_copy)]) == 1
    captured = capsys.readouterr()
    assert "default: ok" in captured.out and "acme-health: invalid" in captured.err
    assert "row A1, column required: 'maybe' does not fit output type boolean" in captured.err


def test_a_failing_case_and_uncovered_rows_fail_the_table_tests(tables_copy, capsys):
    path = tables_copy / "tests" / "classification.yaml"
    path.write_text(path.read_text().replace("expect: {classification: medical, tables: {classification: {classification: medical}}}",
                                             "expect: {classification: wellness}"))
    (tables_copy / "tests" / "units.yaml").unlink()
    assert main(["test", str(tables_copy)]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and 'classification: expected "wellness", got "medical"' in out
    assert "not fired by any case: base/units.yaml row U96" in out


def test_evaluate_prints_the_decision(capsys):
    assert main(["evaluate", str(CASE)]) == 0
    decision = json.loads(capsys.readouterr().out)
    assert decision["classification"] == "medical" and decision["case_id"] == "c-1042"


def test_evaluate_for_another_payer_and_explain(capsys):
    assert main(["evaluate", str(CASE), "--payer", "medicare-example", "--explain"]) == 0
    out = capsys.readouterr().out
    assert "Insurance: not eligible" in out and "performer_not_covered" in out
    assert "performer default (medicare-example@1)" in out


@pytest.mark.parametrize("content, needle", [
    ("{not json", "not JSON"),
    ('{"service": {"purpose": "sleep"}, "practitioner": {"credential": "LMT", "license_active": true}}',
     "service.purpose: Must be one of"),
    ('{"service": {"purpose": "pain"}, "practitioner": {"credential": "LMT", "license_active": true}, "extra": 1}',
     "extra: Unknown field"),
    ('{"service": {"purpose": "pain"}, "practitioner": {"credential": "LMT", "license_active": true},'
     ' "clinical": {"diagnosis_codes": ["SECRET-VALUE"]}}', "clinical.diagnosis_codes[0]: Not an ICD-10-CM code"),
    ("[1, 2]", "$: A case is a JSON object"),
    ('{"payer_id": "acme-health", "service": {"purpose": "pain"}, "practitioner": {"credential": "LMT",'
     ' "license_active": true}, "extensions": {"plan_tier": "SECRET-VALUE"}}', "extensions.plan_tier: Must be one of"),
])
def test_a_bad_case_file_is_exit_2_with_the_field(tmp_path, capsys, content, needle):
    path = tmp_path / "case.json"
    path.write_text(content)
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert needle in err and "SECRET-VALUE" not in err and "sleep" not in err


def test_unknown_payer_and_bad_usage_are_exit_2(capsys):
    assert main(["evaluate", str(CASE), "--payer", "nobody"]) == 2
    assert "unknown payer" in capsys.readouterr().err
    assert main(["validate", str(ROOT / "schemas")]) == 2


def test_the_installed_command_runs():
    result = subprocess.run([sys.executable, "-m", "service.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "validate" in result.stdout
    result = subprocess.run([sys.executable, "-m", "service.cli", "frobnicate"], capture_output=True, text=True)
    assert result.returncode == 2


def test_explain_says_the_lines_of_a_case_not_eligible_are_not_payable(tmp_path, capsys):
    case = tmp_path / "relaxation.json"
    case.write_text(json.dumps({"date_of_service": "2026-11-20", "service": {"purpose": "relaxation",
                                                                            "minutes": {"97124": 60}},
                                "practitioner": {"credential": "LMT", "license_active": True},
                                "payment": {"method": "hsa"}}))
    assert main(["evaluate", str(case), "--explain"]) == 0
    out = capsys.readouterr().out
    assert "Insurance: not eligible\n  a claim would carry 97124 x 4 (not payable: see reasons)\n" in out
    assert "  bill " not in out
