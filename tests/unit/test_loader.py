"""Loading table documents: every error names file, table, row and column."""
from __future__ import annotations

import pytest

from service.tables.errors import CellSyntaxError, LoadError, PolicyError
from service.tables.loader import load_folder, table_from_document, value_set_from_document
from service.tables.validate import build_policy
from service.tables.yaml_io import load_yaml
from tests.unit.tables import LICENSE, doc


def problems(document):
    with pytest.raises(PolicyError) as info:
        table_from_document(document, "lic.yaml")
    return info.value.problems


def test_a_valid_document_loads():
    table = table_from_document(LICENSE, "lic.yaml", origin="acme", version=3)
    assert table.name == "lic" and table.version_label == "acme@3" and len(table.rules) == 2
    assert table.rules[0].cell("cred").tests[0].value == "none"


@pytest.mark.parametrize("change, row, column, needle", [
    ({"hit_policy": "SOMETIMES"}, None, None, "hit_policy 'SOMETIMES' is not one of"),
    ({"table": "Bad Name"}, None, None, "`table` must be a name"),
    ({"colour": "red"}, None, None, "unknown keys ['colour']"),
    ({"outputs": {}}, None, None, "at least one output"),
    ({"inputs": {"x": {"from": "a.b", "type": "time"}}}, None, "x", "type 'time' is not one of"),
    ({"inputs": {"x": {"type": "string"}}}, None, "x", "`from` must name"),
    ({"inputs": {"x": {"from": "a", "type": "list", "transform": "sum"}}}, None, "x", "transform 'sum'"),
    ({"outputs": {"o": {"type": "string", "allowed": "a"}}}, None, "o", "`allowed` must be a non-empty list"),
    ({"rules": "none"}, None, None, "`rules` must be a list"),
    ({"rules": [{"when": {}, "then": {"licensed": True}}]}, None, None, "needs an `id`"),
    ({"rules": [{"id": "R1", "when": {"cred": "[1..]"}, "then": {"licensed": True}}]}, "R1", "cred", "not a unary test"),
    ({"rules": [{"id": "R1", "when": {"cred": "pain"}, "then": {"licensed": True}}]}, "R1", "cred", "bare word"),
    ({"rules": [{"id": "R1", "when": {}, "then": {"licensed": [True]}}]}, "R1", "licensed", "must be a string, number or boolean"),
    ({"rules": [{"id": "R1", "when": [], "then": {}}]}, "R1", None, "`when` must map"),
    ({"rules": [{"id": "R1", "when": {}, "then": {}, "else": 1}]}, "R1", None, "unknown keys ['else']"),
    ({"version": 0}, None, None, "`version` must be a whole number"),
])
def test_each_problem_is_located(change, row, column, needle):
    found = problems(doc(**change))
    match = [p for p in found if needle in p.message]
    assert match, found
    assert match[0].file == "lic.yaml"
    assert (match[0].row, match[0].column) == (row, column)
    assert match[0].table == change.get("table", "lic")


def test_cell_errors_are_cell_syntax_errors_and_all_are_reported():
    bad = doc(rules=[{"id": "R1", "when": {"cred": "<"}, "then": {"licensed": True}},
                     {"id": "R2", "when": {"cred": "[2..1]"}, "then": {"licensed": True}}])
    with pytest.raises(CellSyntaxError) as info:
        table_from_document(bad, "lic.yaml")
    assert [p.row for p in info.value.problems] == ["R1", "R2"]
    assert "lic.yaml, table lic, row R1, column cred: not a unary test" in str(info.value)


def test_value_set_documents():
    vs = value_set_from_document({"value_set": "dx", "match": "prefix", "codes": ["M54"]}, "dx.yaml")
    assert vs.contains("M54.50")
    with pytest.raises(LoadError, match="`codes` must be a non-empty list"):
        value_set_from_document({"value_set": "dx", "codes": []}, "dx.yaml")
    with pytest.raises(LoadError, match="match 'regex'"):
        value_set_from_document({"value_set": "dx", "match": "regex", "codes": ["a"]}, "dx.yaml")


@pytest.mark.parametrize("text, needle", [
    ("a: &x [1]\nb: *x\n", "aliases"),
    ("a: !!python/object/apply:os.system ['true']\n", "could not determine a constructor"),
    ("a: [\n", "not valid YAML at line 2"),
    (b"\xff\xfe", "not UTF-8"),
    ("x" * (5 * 1024 * 1024 + 1), "the limit is"),
])
def test_hostile_yaml_is_refused(text, needle):
    with pytest.raises(LoadError, match=needle):
        load_yaml(text, "bad.yaml")


def test_load_folder_reports_every_file(tmp_path):
    (tmp_path / "a.yaml").write_text("table: a\nhit_policy: NOPE\noutputs: {o: {type: string}}\nrules: []\n")
    (tmp_path / "b.yaml").write_text("value_set: b\ncodes: []\n")
    with pytest.raises(LoadError) as info:
        load_folder(tmp_path, "base", tmp_path)
    assert {p.file for p in info.value.problems} == {"a.yaml", "b.yaml"}


# -- text and size limits ------------------------------------------------------------------------

def _row(**changes):
    return [dict({"id": "R1", "when": {}, "then": {"licensed": True}}, **changes)]


@pytest.mark.parametrize("change, row, column, needle", [
    ({"title": "t" * 201}, None, None, "`title` is 201 characters; at most 200"),
    ({"rules": _row(annotation="a" * 1001)}, "R1", None, "`annotation` is 1001 characters; at most 1000"),
    ({"outputs": {"m": {"type": "string"}}, "rules": _row(then={"m": "m" * 501})}, "R1", "m",
     "the value is 501 characters; at most 500"),
    ({"outputs": {"m": {"type": "string"}}, "default": {"m": "m" * 501}}, "default", "m", "at most 500"),
    ({"outputs": {"m": {"type": "string", "allowed": ["m" * 501]}}}, None, "m", "an allowed value is 501 characters"),
    ({"inputs": {"x": {"from": "service.purpose", "type": "string", "values": ["v" * 65]}}}, None, "x",
     "a value is 65 characters; at most 64"),
])
def test_text_limits_are_located(change, row, column, needle):
    match = [p for p in problems(doc(**change)) if needle in p.message]
    assert match and (match[0].row, match[0].column) == (row, column)


def test_text_at_the_limits_loads():
    table_from_document(doc(title="t" * 200, outputs={"m": {"type": "string"}},
                            rules=_row(annotation="a" * 1000, then={"m": "m" * 500})), "lic.yaml")


def test_a_table_of_10000_rows_is_accepted_and_10001_refused():
    rows = [{"id": f"R{i}", "when": {"cred": f'"c{i}"'}, "then": {"licensed": True}} for i in range(10_001)]
    table = table_from_document(doc(rules=rows[:10_000]), "lic.yaml")
    assert len(build_policy("test", [table], []).tables["lic"].rules) == 10_000     # analysed as well
    (problem,) = problems(doc(rules=rows))
    assert problem.message.startswith("10001 rows; a table may have at most 10000")


@pytest.mark.parametrize("document, needle", [
    ({"value_set": "dx", "title": "t" * 201, "codes": ["a"]}, "`title` is 201 characters; at most 200"),
    ({"value_set": "dx", "title": 3, "codes": ["a"]}, "`title` must be text"),
    ({"value_set": "dx", "codes": ["a", "c" * 65, "b" * 70]},
     "2 code(s) longer than 64 characters, the first is code #2"),
    ({"value_set": "dx", "codes": [f"c{i}" for i in range(100_001)]},
     "100001 codes; a value set may have at most 100000"),
])
def test_value_set_limits(document, needle):
    with pytest.raises(LoadError) as info:
        value_set_from_document(document, "dx.yaml")
    assert needle in str(info.value) and info.value.problems[0].file == "dx.yaml"


def test_a_value_set_of_100000_codes_loads():
    codes = [f"c{i}" for i in range(100_000)]
    assert len(value_set_from_document({"value_set": "dx", "codes": codes}, "dx.yaml").codes) == 100_000
