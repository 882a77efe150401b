"""service/tables/overlay.py: a payer's overlay applied to the base table, every operation and every
refusal located by file, table, row and column."""
from __future__ import annotations

import pytest

from service.policy.source import parse
from service.tables.errors import CellSyntaxError, LoadError, ValidationError
from service.tables.loader import table_from_document
from service.tables.overlay import apply, check
from tests.unit.tables import LICENSE, doc

FILE = "payers/acme/lic.yaml"


def overlay(**parts) -> dict:
    return {"extends": "lic", **parts}


def ids(document: dict) -> list[str]:
    return [rule["id"] for rule in document["rules"]]


def refusal(error, document: dict, base: dict | None = LICENSE):
    with pytest.raises(error) as caught:
        apply(document, base, FILE, "base/lic.yaml")
    return [(p.file, p.table, p.row, p.column, p.message) for p in caught.value.problems]


def test_an_empty_overlay_is_the_base_table():
    merged = apply(overlay(), LICENSE, FILE)
    assert merged == LICENSE and table_from_document(merged, FILE).rules == table_from_document(LICENSE, FILE).rules


def test_added_rows_go_before_or_after_a_base_row_in_document_order_else_at_the_end():
    rows = {"add": [{"id": "X1", "after": "L1", "when": {"cred": '"PT"'}, "then": {"licensed": True}},
                    {"id": "X2", "before": "L1", "then": {"licensed": True}},
                    {"id": "X3", "then": {"licensed": False}},
                    {"id": "X4", "after": "L1", "then": {"licensed": False}}]}
    merged = apply(overlay(rows=rows), LICENSE, FILE)
    assert ids(merged) == ["X2", "L1", "X1", "X4", "L2", "X3"]
    assert all("after" not in rule and "before" not in rule for rule in merged["rules"])
    assert ids(LICENSE) == ["L1", "L2"]                      # the base document is left as it was


def test_replaced_rows_keep_their_place_and_removed_rows_go():
    replacement = {"id": "L1", "annotation": "PTs only", "when": {"cred": '"PT"'}, "then": {"licensed": False}}
    merged = apply(overlay(rows={"replace": [replacement], "remove": ["L2"]}), LICENSE, FILE)
    assert merged["rules"] == [replacement]


def test_title_default_inputs_and_outputs_may_change_hit_policy_stays():
    merged = apply(overlay(title="Acme's", default={"licensed": True, "why": "x"},
                           inputs={"state": {"from": "practitioner.license_state", "type": "string"}},
                           outputs={"why": {"type": "string"}},
                           rows={"replace": [{"id": "L1", "when": {"state": '"NY"'}, "then": {"licensed": False, "why": "ny"}},
                                             {"id": "L2", "then": {"licensed": True, "why": "ok"}}]}), LICENSE, FILE)
    assert merged["title"] == "Acme's" and merged["hit_policy"] == "FIRST"
    assert list(merged["inputs"]) == ["active", "cred", "state"] and list(merged["outputs"]) == ["licensed", "why"]
    assert merged["default"] == {"licensed": True, "why": "x"}
    assert "extends" not in merged and "version" not in merged
    table_from_document(merged, FILE)


def test_table_may_be_given_when_it_names_the_same_table():
    assert check(overlay(table="lic"), FILE) == "lic"
    with pytest.raises(LoadError, match="`table` may be left out"):
        check(overlay(table="other"), FILE)


@pytest.mark.parametrize("document, row, column, message", [
    (overlay(hit_policy="ANY"), None, None, "unknown keys ['hit_policy']"),
    (overlay(rules=[]), None, None, "unknown keys ['rules']"),
    ({"extends": "Not A Name"}, None, None, "`extends` must name a base table"),
    (overlay(rows=[]), None, None, "`rows` must be a mapping"),
    (overlay(rows={"move": []}), None, None, "`rows` must be a mapping"),
    (overlay(rows={"add": [{"id": "X", "before": "L1", "after": "L2", "then": {}}]}), "X", None, "not both"),
    (overlay(rows={"add": [{"id": "X", "after": 3, "then": {}}]}), "X", None, "`before` and `after` name a row"),
    (overlay(rows={"replace": [{"id": "L1", "after": "L2", "then": {}}]}), "L1", None, "unknown keys ['after']"),
    (overlay(rows={"remove": ["L1"], "replace": [{"id": "L1", "then": {}}]}), "L1", None, "more than once"),
    (overlay(rows={"remove": [1]}), None, None, "`rows.remove` must be a list of row ids"),
    (overlay(inputs={"x": {"type": "string"}}), None, "x", "`from` must name"),
])
def test_a_malformed_overlay_is_refused_without_a_base(document, row, column, message):
    with pytest.raises(LoadError) as caught:
        check(document, FILE)
    problem = next(p for p in caught.value.problems if message in p.message)
    assert (problem.file, problem.row, problem.column) == (FILE, row, column)


def test_a_bad_cell_is_a_cell_syntax_error_naming_row_and_column():
    with pytest.raises(CellSyntaxError) as caught:
        check(overlay(rows={"add": [{"id": "X", "when": {"cred": "<<"}, "then": {"licensed": True}}]}), FILE)
    assert [(p.file, p.table, p.row, p.column) for p in caught.value.problems] == [(FILE, "lic", "X", "cred")]


@pytest.mark.parametrize("rows, row, message", [
    ({"remove": ["L9"]}, "L9", "removes a row that the base table lic does not have"),
    ({"replace": [{"id": "L9", "then": {"licensed": True}}]}, "L9", "replaces a row that the base table lic does not have"),
    ({"add": [{"id": "L2", "then": {"licensed": True}}]}, "L2", "adds a row that the base table lic already has"),
    ({"add": [{"id": "X", "after": "L9", "then": {"licensed": True}}]}, "X", "placed after row L9, which the base table"),
    ({"add": [{"id": "X", "before": "L1", "then": {"licensed": True}}], "remove": ["L1"]}, "X",
     "placed before row L1, which this overlay removes"),
])
def test_an_overlay_the_base_does_not_fit_is_refused_naming_the_row(rows, row, message):
    [(file, table, found_row, column, text)] = refusal(ValidationError, overlay(rows=rows))
    assert (file, table, found_row, column) == (FILE, "lic", row, None) and message in text


def test_inputs_and_outputs_of_the_base_may_not_be_given_again():
    problems = refusal(ValidationError, overlay(inputs={"cred": {"from": "practitioner.credential", "type": "list"}},
                                                outputs={"licensed": {"type": "string"}}))
    assert [(p[2], p[3]) for p in problems] == [(None, "cred"), (None, "licensed")]
    assert "does not change, retype or remove" in problems[0][4]


def test_an_overlay_needs_a_base_table_that_is_whole():
    [missing] = refusal(ValidationError, overlay(), None)
    assert missing[:2] == (FILE, "lic") and "the base policy does not have" in missing[4]
    [nested] = refusal(ValidationError, overlay(), doc(extends="other"))
    assert nested[0] == "base/lic.yaml" and "a base table is whole" in nested[4]


def test_base_documents_may_not_extend_and_a_payers_overlay_parses_to_its_name():
    with pytest.raises(LoadError, match="a base table is whole") as caught:
        parse("table", overlay(), "base/lic.yaml", "base")
    assert caught.value.problems[0].file == "base/lic.yaml"
    assert parse("table", overlay(rows={"remove": ["L2"]}), FILE, "acme") == "lic"
