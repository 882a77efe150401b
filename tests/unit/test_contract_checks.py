"""Answer tables fit the decision contract: every value a row or the default can put into a decision
is a contract value, whether or not the output declares `allowed`."""
from __future__ import annotations

import dataclasses

import pytest

from service import contract
from service.engine.decision import answer_problems
from service.tables.loader import load_folder, table_from_document
from service.tables.model import MatchKind, ValueSet
from service.tables.validate import build_policy
from service.tables.yaml_io import load_yaml
from tests.conftest import TABLES

BASE = TABLES / "base"


def policy_with(name: str, edit=None, value_sets=(), table=None):
    """The base policy with table `name` edited (its `allowed` lists removed first) or replaced."""
    tables, sets = load_folder(BASE, "base", BASE)
    if table is None:
        doc = load_yaml((BASE / f"{name}.yaml").read_bytes(), f"{name}.yaml")
        for output in doc["outputs"].values():
            output.pop("allowed", None)
        if edit:
            edit(doc)
        table = table_from_document(doc, f"{name}.yaml")
    tables = [t for t in tables if t.name != name] + [table]
    return build_policy("test", tables, sets + list(value_sets), analyse=False)


def then(row: str, **outputs):
    def edit(doc):
        rule = next(r for r in doc["rules"] if r["id"] == row)
        rule["then"].update(outputs)
    return edit


def default(**outputs):
    def edit(doc):
        doc["default"].update(outputs)
    return edit


def test_the_shipped_tables_fit_the_contract_even_without_allowed():
    for name in ("classification", "referrals", "insurance_eligibility", "insurance_documentation", "units",
                 "line_coverage", "line_modifiers", "correct_coding_edits", "hsa_fsa_eligibility",
                 "hsa_fsa_documentation"):
        assert answer_problems(policy_with(name)) == [], name


@pytest.mark.parametrize("table, edit, row, column, needle", [
    ("classification", then("C2", classification="spa"), "C2", "classification", "is not a classification"),
    ("referrals", then("R1", to="nurse"), "R1", "to", "is not a referral destination"),
    ("referrals", then("R1", reason="because"), "R1", "reason", "is not a referral reason"),
    ("insurance_eligibility", then("E1", code="made_up"), "E1", "code", "is not a reason code"),
    ("hsa_fsa_eligibility", then("H2", code="wellness"), "H2", "code", "is not a reason code"),
    ("insurance_documentation", then("D1", document="fax"), "D1", "document", "is not a document"),
    ("hsa_fsa_documentation", then("HD2", document="letter"), "HD2", "document", "is not a document"),
    ("units", then("U1", units=-1), "U1", "units", "whole number of units from 0 to 96"),
    ("units", then("U1", units=1.5), "U1", "units", "whole number of units"),
    ("units", then("U1", units=float("inf")), "U1", "units", "whole number of units"),
    ("units", then("U1", units=float("nan")), "U1", "units", "whole number of units"),
    ("units", then("U1", units=10 ** 15), "U1", "units", "whole number of units"),
    ("units", then("U96", units=97), "U96", "units", "whole number of units"),
    ("line_modifiers", then("G1", modifier="gp"), "G1", "modifier", "is not a modifier"),
    ("line_modifiers", then("G1", modifier="GP\n"), "G1", "modifier", "is not a modifier"),
    ("line_coverage", default(reason="none"), "default", "reason", "is not a reason code"),
    ("correct_coding_edits", then("X2", modifier="5"), "X2", "modifier", "is not a modifier"),
    ("correct_coding_edits", then("X1", action="skip"), "X1", "action", "is not an edit action"),
    ("correct_coding_edits", then("X1", reason="none"), "X1", "reason", "is not a reason code"),
    ("correct_coding_edits", default(action="ignore"), "default", "action", "is not an edit action"),
])
def test_each_value_outside_the_contract_is_located(table, edit, row, column, needle):
    (problem,) = answer_problems(policy_with(table, edit))
    assert needle in problem.message
    assert (problem.file, problem.table, problem.row, problem.column) == (f"{table}.yaml", table, row, column)


@pytest.mark.parametrize("table, edit", [
    ("units", then("U3", units=3.0)),                                        # a whole float is a whole number
    ("line_coverage", then("K1", reason="none")),                            # covered: the reason is not read
    ("correct_coding_edits", then("X2", reason="none")),                     # a modifier, not a drop
    ("correct_coding_edits", then("X1", modifier="")),                       # a drop carries no modifier
    ("correct_coding_edits", default(action="none", modifier="", reason="none")),
])
def test_values_decide_never_reads_are_not_held_to_the_contract(table, edit):
    assert answer_problems(policy_with(table, edit)) == []


def test_yaml_infinities_and_nans_are_refused():
    for text in (".inf", "-.inf", ".nan"):
        value = load_yaml(f"units: {text}\n", "units.yaml")["units"]
        (problem,) = answer_problems(policy_with("units", then("U2", units=value)))
        assert (problem.row, problem.column) == ("U2", "units")


def test_a_policys_value_sets_extend_reason_codes_and_documents():
    codes = ValueSet(contract.EXTRA_REASON_CODES, "", MatchKind.EXACT, frozenset({"made_up"}))
    documents = ValueSet(contract.EXTRA_DOCUMENTS, "", MatchKind.EXACT, frozenset({"fax"}))
    assert answer_problems(policy_with("insurance_eligibility", then("E1", code="made_up"), [codes])) == []
    assert answer_problems(policy_with("insurance_documentation", then("D1", document="fax"), [documents])) == []
    (problem,) = answer_problems(policy_with("insurance_documentation", then("D1", document="fax"), [codes]))
    assert problem.column == "document"


def test_a_message_longer_than_the_contract_allows_is_refused():
    tables, _ = load_folder(BASE, "base", BASE)
    table = next(t for t in tables if t.name == "referrals")
    rule = dataclasses.replace(table.rules[0], then=dict(table.rules[0].then, message="m" * (contract.MAX_MESSAGE + 1)))
    table = dataclasses.replace(table, rules=(rule,) + table.rules[1:])
    (problem,) = answer_problems(policy_with("referrals", table=table))
    assert (problem.row, problem.column) == ("R1", "message") and "at most 500" in problem.message


def test_every_bad_value_is_reported_not_just_the_first():
    def edit(doc):
        then("U1", units=-1)(doc)
        then("U2", units=2.5)(doc)
    assert [p.row for p in answer_problems(policy_with("units", edit))] == ["U1", "U2"]


@pytest.mark.parametrize("aggregation", ["sum", "count"])
def test_an_answer_table_may_not_make_values_no_row_states(aggregation):
    def edit(doc):
        doc.update(hit_policy="COLLECT", aggregation=aggregation, default={"units": 0})
    (problem,) = answer_problems(policy_with("units", edit))
    assert problem.table == "units" and f"aggregation: {aggregation}" in problem.message


def test_min_and_max_give_a_rows_value_and_are_checked_as_rows():
    def edit(doc):
        doc.update(hit_policy="COLLECT", aggregation="max", default={"units": 0})
        then("U5", units=200)(doc)
    (problem,) = answer_problems(policy_with("units", edit))
    assert (problem.row, problem.column) == ("U5", "units")
