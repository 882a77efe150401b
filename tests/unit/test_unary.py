"""The cell language: every feature parsed, every comparison and range checked below, at and above its edge."""
from __future__ import annotations

import pytest

from service.tables.model import MatchKind, ValueSet
from service.tables.semantics import cell_holds
from service.tables.unary import ANY, Cell, CellParseError, Compare, Equal, InSet, Interval, cell_from_yaml, parse_cell

SETS = {"dx": ValueSet("dx", "", MatchKind.PREFIX, frozenset({"M54", "M79.1"})),
        "purposes": ValueSet("purposes", "", MatchKind.EXACT, frozenset({"pain", "injury"}))}


def holds(text, value):
    return cell_holds(parse_cell(text), value, SETS)


@pytest.mark.parametrize("text, tree", [
    ("-", ANY),
    ("", ANY),
    ('"pain"', Cell((Equal("pain"),))),
    ('"a", "b"', Cell((Equal("a"), Equal("b")))),
    ("8", Cell((Equal(8),))),
    ("-1.5", Cell((Equal(-1.5),))),
    ("true", Cell((Equal(True),))),
    ("false", Cell((Equal(False),))),
    ("< 8", Cell((Compare("<", 8),))),
    (">= 22", Cell((Compare(">=", 22),))),
    ("[8..22]", Cell((Interval(8, True, 22, True),))),
    ("[8..23)", Cell((Interval(8, True, 23, False),))),
    ("]8..23[", Cell((Interval(8, False, 23, False),))),
    ("(8..23]", Cell((Interval(8, False, 23, True),))),
    ("in dx", Cell((InSet("dx"),))),
    ('not("x")', Cell((Equal("x"),), negated=True)),
    ('not(in dx, "y")', Cell((InSet("dx"), Equal("y")), negated=True)),
    ('"with \\"quote\\""', Cell((Equal('with "quote"'),))),
])
def test_parses_into_the_condition_tree(text, tree):
    assert parse_cell(text) == tree


@pytest.mark.parametrize("text, needle", [
    ("pain", "bare word"),
    ('< "a"', "unexpected input"),
    ("[3..1]", "above its high end"),
    ("in", "value set name"),
    ("not(-)", "unexpected"),
    ('"open', "unexpected"),
    ("1,,2", "unexpected"),
    ("8.", "unexpected"),
    ("in Dx", "value set name"),
    ("__import__('os')", "unexpected"),
    ('{"$gte": {"age": 1}}', "unexpected"),
    ("x" * 5000, "longer than"),
])
def test_bad_cells_say_what_is_wrong(text, needle):
    with pytest.raises(CellParseError, match=needle):
        parse_cell(text)


@pytest.mark.parametrize("value, expected", [(True, Cell((Equal(True),))), (8, Cell((Equal(8),))), (None, ANY)])
def test_yaml_scalars_are_literal_tests(value, expected):
    assert cell_from_yaml(value) == expected


def test_yaml_cell_of_another_type_is_refused():
    with pytest.raises(CellParseError, match="text, a number or a boolean"):
        cell_from_yaml(["a"])


def test_cell_text_round_trips():
    for text in ['"a", "b"', "< 8", "[8..23)", "not(in dx)", "-", "true"]:
        assert parse_cell(parse_cell(text).text()) == parse_cell(text)


@pytest.mark.parametrize("text, below, at, above", [
    ("< 3", True, False, False),
    ("<= 3", True, True, False),
    ("> 3", False, False, True),
    (">= 3", False, True, True),
    ("3", False, True, False),
    ("not(3)", True, False, True),
    ("not(< 3)", False, True, True),
])
def test_comparisons_at_their_edge(text, below, at, above):
    assert (holds(text, 2), holds(text, 3), holds(text, 4)) == (below, at, above)


@pytest.mark.parametrize("text, low_edge, high_edge", [
    ("[8..22]", True, True), ("[8..22)", True, False), ("(8..22]", False, True), ("]8..22[", False, False),
])
def test_interval_edges(text, low_edge, high_edge):
    assert (holds(text, 7), holds(text, 8), holds(text, 15), holds(text, 22), holds(text, 23)) == \
        (False, low_edge, True, high_edge, False)


def test_types_never_coerce():
    assert not holds("10", "10")
    assert not holds('"10"', 10)
    assert not holds("1", True)
    assert not holds("true", 1)
    assert holds("8", 8.0)


def test_prefix_value_sets_match_codes_under_the_prefix():
    assert holds("in dx", "M54.50") and holds("in dx", "M54") and holds("in dx", "M79.10")
    assert not holds("in dx", "M79.2") and not holds("in dx", "M5")


def test_list_inputs_hold_when_some_element_does():
    assert holds("in dx", ("R51.9", "M54.5"))
    assert not holds("in dx", ("R51.9",))
    assert holds("not(in dx)", ("R51.9",))
    assert not holds("not(in dx)", ("R51.9", "M54.5"))
    assert holds("not(in dx)", ())
    assert holds('"a", "b"', ("c", "b"))
