"""Reading YAML: a key twice in one mapping, an alias, a merge key or runaway nesting is refused,
naming the file and the line; everything else reads as yaml.safe_load would."""
from __future__ import annotations

import pytest
import yaml

from service.tables.errors import LoadError
from service.tables.loader import load_folder
from service.tables.yaml_io import MAX_DEPTH, load_yaml
from tests.conftest import TABLES

TWO_WHENS = """\
table: performer
hit_policy: FIRST
rules:
  - id: F1
    when: {credential: '"PT"'}
    then: {covered: true}
    when: {credential: '"LMT"'}
"""


def refusal(text: str) -> str:
    with pytest.raises(LoadError) as info:
        load_yaml(text, "performer.yaml")
    (problem,) = info.value.problems
    assert problem.file == "performer.yaml"
    return problem.message


def test_two_whens_in_one_row_are_refused_with_line_and_key():
    assert refusal(TWO_WHENS) == ("not valid YAML at line 7, column 5: key 'when' appears twice in one mapping "
                                  "(first at line 5)")


@pytest.mark.parametrize("text, line, key", [
    ("table: a\ntable: b\n", 2, "'table'"),
    ("inputs: {x: 1, y: 2, x: 3}\n", 1, "'x'"),
    ('{"rules": [], "rules": []}', 1, "'rules'"),          # JSON too
    ("a:\n  - b: 1\n    b: 2\n", 3, "'b'"),
    ("1: a\n1.0: b\n", 2, "1.0"),                           # equal once read: one would silently win
])
def test_a_key_twice_in_one_mapping_is_refused(text, line, key):
    message = refusal(text)
    assert f"at line {line}," in message and f"key {key} appears twice" in message


def test_equal_keys_in_different_mappings_and_distinct_keys_are_fine():
    assert load_yaml("a: {x: 1}\nb: {x: 2}\n1: one\n'1': string one\n", "f.yaml") == \
        {"a": {"x": 1}, "b": {"x": 2}, 1: "one", "1": "string one"}


@pytest.mark.parametrize("text, needle", [
    ("a: &x [1]\nb: *x\n", "line 2, column 1: aliases"),
    ("a: [&x 1, *x]\n", "aliases"),
    ("base: &b {title: x}\n<<: *b\n", "aliases"),
    ("<<: {title: x}\ntitle: y\n", "line 1, column 1: merge keys (<<) are not allowed"),
    ("t: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", f"nested more than {MAX_DEPTH} levels deep"),
    ("t: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested more than"),
])
def test_aliases_merges_and_deep_nesting_are_refused(text, needle):
    assert needle in refusal(text)


def test_the_shipped_documents_read_as_safe_load_reads_them():
    paths = sorted(TABLES.rglob("*.yaml"))
    assert paths
    for path in paths:
        assert load_yaml(path.read_bytes(), str(path)) == yaml.safe_load(path.read_text()), path


def test_an_empty_document_is_none():
    assert load_yaml("", "f.yaml") is None


def test_load_folder_names_the_file_with_the_duplicate(tmp_path):
    (tmp_path / "performer.yaml").write_text(TWO_WHENS)
    with pytest.raises(LoadError) as info:
        load_folder(tmp_path, "base", tmp_path)
    assert str(info.value).startswith("performer.yaml: not valid YAML at line 7")
