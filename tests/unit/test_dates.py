"""Dates in cells, on date columns: parsed, typed, analysed, posted to the engine as numbers, traced as ISO."""
from __future__ import annotations

from datetime import date

import pytest

from service.case_facts import derive, years_before
from service.engine.decision import _json
from service.tables.errors import ValidationError
from service.tables.semantics import cell_holds
from service.tables.unary import CellParseError, Compare, Equal, Interval, cell_from_yaml, parse_cell
from tests import reference
from tests.unit.tables import doc, policy_of, runtime_of

D = date.fromisoformat


@pytest.mark.parametrize("text, test", [
    ('< date("2027-01-01")', Compare("<", D("2027-01-01"))),
    ('[date("2026-01-01")..date("2026-12-31")]', Interval(D("2026-01-01"), True, D("2026-12-31"), True)),
    ('date("2026-11-20")', Equal(D("2026-11-20"))),
])
def test_date_cells_parse_and_print_back(text, test):
    cell = parse_cell(text)
    assert cell.tests == (test,) and cell.text() == text


@pytest.mark.parametrize("text, message", [
    ('date("2026-02-30")', "not a date"),
    ('date("20260101")', "not a date"),
    ('[1..date("2026-01-01")]', "both numbers or both dates"),
    ('[date("2026-02-01")..date("2026-01-01")]', "is above its high end"),
])
def test_bad_date_cells_are_refused(text, message):
    with pytest.raises(CellParseError, match=message):
        parse_cell(text)


def test_an_unquoted_yaml_date_is_refused_with_the_way_to_write_it():
    with pytest.raises(CellParseError, match=r'date\("2026-01-01"\)'):
        cell_from_yaml(D("2026-01-01"))


@pytest.mark.parametrize("text, value, holds", [
    ('< date("2027-01-01")', D("2026-12-31"), True),
    ('< date("2027-01-01")', D("2027-01-01"), False),
    ('[date("2026-01-01")..date("2026-12-31")]', D("2026-06-15"), True),
    ('date("2026-11-20")', D("2026-11-20"), True),
    ('< date("2027-01-01")', 3, False),                 # a number is never a date
    ("< 8", D("2026-01-01"), False),
])
def test_what_a_date_cell_means(text, value, holds):
    cell = parse_cell(text)
    assert cell_holds(cell, value, {}) is holds
    assert reference.cell_matches(cell, value, {}) is holds


def season(rows, **extra):
    return doc(table="season", hit_policy="UNIQUE", inputs={"dos": {"from": "date_of_service", "type": "date"}},
               outputs={"o": {"type": "string"}}, rules=[{"id": f"R{i}", "when": {"dos": cell}, "then": {"o": f"r{i}"}}
                                                       for i, cell in enumerate(rows, 1)],
               **{"default": None, **extra})


def test_days_next_to_each_other_leave_no_gap_and_overlaps_are_found():
    policy_of(season(['< date("2027-01-01")', '>= date("2027-01-01")']))
    policy_of(season(['<= date("2026-12-31")', '>= date("2027-01-01")']))    # no day between them
    with pytest.raises(ValidationError, match=r'e\.g\. dos=date\("2027-01-02"\)'):
        policy_of(season(['<= date("2026-12-31")', '> date("2027-01-02")', 'date("2027-01-01")']))
    with pytest.raises(ValidationError, match="overlap"):
        policy_of(season(['<= date("2027-01-01")', '>= date("2027-01-01")']))


@pytest.mark.parametrize("inputs, cell, message", [
    ({"dos": {"from": "date_of_service", "type": "date"}}, "< 8", "a date column compares with dates"),
    ({"dos": {"from": "date_of_service", "type": "date"}}, '"2026-01-01"', "does not fit a date column"),
    ({"dos": {"from": "clinical.visit_number", "type": "number"}}, '< date("2026-01-01")', "compares with numbers"),
    ({"dos": {"from": "date_of_service", "type": "string"}}, "-", "declared string but date_of_service gives date"),
])
def test_date_and_number_columns_do_not_mix(inputs, cell, message):
    with pytest.raises(ValidationError, match=message):
        policy_of(doc(season([cell]), inputs=inputs, default={"o": "x"}))


def test_a_date_input_default_is_a_day_and_an_output_is_never_a_date():
    table = doc(season(['< date("2027-01-01")']), default={"o": "x"},
                inputs={"dos": {"from": "date_of_service", "type": "date", "default": "2026-01-01"}})
    assert policy_of(table).tables["season"].inputs[0].default == D("2026-01-01")
    with pytest.raises(ValidationError, match="not dates"):
        policy_of(doc(table, outputs={"o": {"type": "date"}}, default=None,
                      rules=[{"id": "R1", "when": {}, "then": {"o": "x"}}]))


def test_the_engine_gets_dates_as_numbers_and_the_trace_shows_iso_days():
    table = season(['< date("2027-01-01")', '[date("2027-01-01")..date("2027-12-31")]', '> date("2027-12-31")'])
    runtime = runtime_of(table, analyse=True)
    case = {"service": {"purpose": "pain"}, "practitioner": {"credential": "LMT", "license_active": True}}
    for day, row in (("2026-11-20", "r1"), ("2027-01-01", "r2"), ("2027-12-31", "r2"), ("2028-01-01", "r3")):
        evaluation = runtime.evaluate(derive(dict(case, date_of_service=D(day))))
        assert evaluation.output("season") == {"o": row}
        assert _json(evaluation.runs[0].inputs["dos"]) == day
    posted = runtime._projectors["season"].fact({"dos": D("2027-06-01")}, "x", 0)
    assert all(isinstance(v, (int, str)) for v in posted.values())        # a segment index, not a date


def test_derived_dates():
    prescription = {"present": True, "date": D("2026-08-22")}
    case = {"date_of_service": D("2026-11-20"), "clinical": {"prescription": prescription}}
    facts = derive(case)
    assert facts.values["date_of_service"] == D("2026-11-20")
    assert facts.values["derived.prescription_age_days"] == 90
    undated = {"prescription": {"present": True}}
    assert derive({**case, "clinical": undated}).values["derived.prescription_age_days"] == -1
    later = {"prescription": {"present": True, "date": D("2026-11-21")}}
    assert derive({**case, "clinical": later}).values["derived.prescription_age_days"] == -1
    assert derive({"service": {}}, today=D("2027-03-01")).values["date_of_service"] == D("2027-03-01")


@pytest.mark.parametrize("born, on, age", [
    ("1990-11-20", "2026-11-20", 36), ("1990-11-21", "2026-11-20", 35), ("2000-02-29", "2026-02-28", 25),
    ("2000-02-29", "2026-03-01", 26),
])
def test_an_age_counts_whole_years(born, on, age):
    assert years_before(D(born), D(on)) == age
