"""YAML documents -> table models. Every problem names file, table, row and column."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ..contract import MAX_MESSAGE
from .errors import CellSyntaxError, LoadError, PolicyError, Problem
from .model import (Aggregation, ColumnType, HitPolicy, Input, MatchKind, Output, Rule, Table,
                    Transform, ValueSet)
from .unary import CellParseError, cell_from_yaml, iso_day
from .yaml_io import load_yaml

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
ROW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# sizes an analyst never needs and a reader (trace, API, analysis) should never have to carry
MAX_ROWS = 10_000
MAX_TITLE = 200
MAX_ANNOTATION = 1_000
MAX_VALUE = MAX_MESSAGE          # a string output value: a reason code or a message
MAX_CODE = 64                    # a value-set code or an input's value
MAX_CODES = 100_000
_TABLE_KEYS = {"table", "title", "hit_policy", "aggregation", "each", "inputs", "outputs",
               "default", "rules", "version"}
_VALUE_SET_KEYS = {"value_set", "title", "match", "codes"}


class _Collector:
    """Gathers problems so that one load reports all of them, not just the first."""

    def __init__(self, file: str, table: str | None = None):
        self.file, self.table, self.problems = file, table, []

    def add(self, message: str, row: str | None = None, column: str | None = None) -> None:
        self.problems.append(Problem(message, self.file, self.table, row, column))


def _is_scalar(value: object) -> bool:
    return isinstance(value, (str, int, float, bool)) and value is not None


def _limit(text: str, limit: int, what: str, out: _Collector, row: str | None = None,
           column: str | None = None) -> None:
    """Text longer than `limit` is refused, saying how long it is (the text itself may be huge)."""
    if len(text) > limit:
        out.add(f"{what} is {len(text)} characters; at most {limit}", row, column)


def _title(doc: dict, out: _Collector) -> str:
    title = doc.get("title", "")
    if not isinstance(title, str):
        out.add("`title` must be text")
        return ""
    _limit(title, MAX_TITLE, "`title`", out)
    return title


def _enum(cls, value, what: str, out: _Collector, column: str | None = None):
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(repr(m.value) for m in cls)
        out.add(f"{what} {value!r} is not one of {allowed}", column=column)
        return None


def _read_input(name: str, spec: object, out: _Collector) -> Input | None:
    if not isinstance(spec, dict):
        out.add("an input is a mapping with `from` and `type`", column=name)
        return None
    unknown = set(spec) - {"from", "type", "transform", "values", "default"}
    if unknown:
        out.add(f"unknown keys {sorted(unknown)}", column=name)
    source = spec.get("from")
    if not isinstance(source, str) or not source:
        out.add("`from` must name a case fact path or <table>.<output>", column=name)
        return None
    type_ = _enum(ColumnType, spec.get("type"), "type", out, name)
    transform = _enum(Transform, spec["transform"], "transform", out, name) if "transform" in spec else None
    values = spec.get("values")
    if values is not None and not (isinstance(values, list) and values and all(isinstance(v, str) for v in values)):
        out.add("`values` must be a non-empty list of strings", column=name)
        values = None
    for value in values or ():
        _limit(value, MAX_CODE, "a value", out, column=name)
    default = spec.get("default")
    if default is not None and not _is_scalar(default):
        quoted = ' (a date in quotes: "YYYY-MM-DD")' if isinstance(default, date) else ""
        out.add(f"`default` must be a scalar{quoted}", column=name)
        default = None
    if type_ is ColumnType.DATE and isinstance(default, str):
        default = iso_day(default)
        if default is None:
            out.add('a date default is "YYYY-MM-DD"', column=name)
    if type_ is None:
        return None
    return Input(name, source, type_, transform, tuple(values) if values else None, default)


def _read_output(name: str, spec: object, out: _Collector) -> Output | None:
    if not isinstance(spec, dict):
        out.add("an output is a mapping with `type` (and optional `allowed`)", column=name)
        return None
    unknown = set(spec) - {"type", "allowed"}
    if unknown:
        out.add(f"unknown keys {sorted(unknown)}", column=name)
    type_ = _enum(ColumnType, spec.get("type"), "type", out, name)
    allowed = spec.get("allowed")
    if allowed is not None and not (isinstance(allowed, list) and allowed and all(_is_scalar(v) for v in allowed)):
        out.add("`allowed` must be a non-empty list of values", column=name)
        allowed = None
    for value in allowed or ():
        if isinstance(value, str):
            _limit(value, MAX_VALUE, "an allowed value", out, column=name)
    if type_ is None:
        return None
    return Output(name, type_, tuple(allowed) if allowed else None)


def _columns(doc: dict, key: str, reader, out: _Collector) -> tuple:
    specs = doc.get(key)
    if not isinstance(specs, dict) or (key == "outputs" and not specs):
        out.add(f"`{key}` must be a mapping of column name to column spec"
                + (" with at least one output" if key == "outputs" else ""))
        return ()
    columns = []
    for name, spec in specs.items():
        if not isinstance(name, str) or not NAME.match(name):
            out.add(f"column name {name!r} must match {NAME.pattern}", column=str(name))
            continue
        column = reader(name, spec, out)
        if column is not None:
            columns.append(column)
    return tuple(columns)


def _read_rule(index: int, raw: object, out: _Collector) -> Rule | None:
    if not isinstance(raw, dict):
        out.add(f"rule #{index + 1} must be a mapping with id, when and then")
        return None
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not ROW_ID.match(rule_id):
        out.add(f"rule #{index + 1} needs an `id` matching {ROW_ID.pattern}")
        return None
    unknown = set(raw) - {"id", "annotation", "when", "then"}
    if unknown:
        out.add(f"unknown keys {sorted(unknown)}", row=rule_id)
    annotation = raw.get("annotation", "")
    if not isinstance(annotation, str):
        out.add("`annotation` must be text", row=rule_id)
        annotation = ""
    _limit(annotation, MAX_ANNOTATION, "`annotation`", out, row=rule_id)
    when_raw = raw.get("when", {})
    when_raw = {} if when_raw is None else when_raw
    then_raw = raw.get("then")
    if not isinstance(when_raw, dict):
        out.add("`when` must map input names to cells", row=rule_id)
        when_raw = {}
    if not isinstance(then_raw, dict):
        out.add("`then` must map output names to values", row=rule_id)
        then_raw = {}
    when = {}
    for column, text in when_raw.items():
        try:
            when[str(column)] = cell_from_yaml(text)
        except CellParseError as exc:
            out.add(str(exc), row=rule_id, column=str(column))
    return Rule(rule_id, index, annotation, when, _read_outputs(then_raw, rule_id, out))


def _read_outputs(raw: dict, row: str, out: _Collector) -> dict:
    """A row's `then` or the `default`: scalars, strings no longer than a message."""
    values = {}
    for column, value in raw.items():
        if not _is_scalar(value):
            out.add("an output value must be a string, number or boolean", row=row, column=str(column))
        else:
            if isinstance(value, str):
                _limit(value, MAX_VALUE, "the value", out, row, str(column))
            values[str(column)] = value
    return values


def table_from_document(doc: object, file: str, origin: str = "base", version: int | None = None) -> Table:
    """Build a Table from a parsed document, or raise with every problem found."""
    if not isinstance(doc, dict):
        raise LoadError(Problem("a table document is a mapping", file=file))
    name = doc.get("table")
    out = _Collector(file, name if isinstance(name, str) else None)
    if not isinstance(name, str) or not NAME.match(name):
        out.add(f"`table` must be a name matching {NAME.pattern}")
    unknown = set(doc) - _TABLE_KEYS
    if unknown:
        out.add(f"unknown keys {sorted(unknown)}")
    title = _title(doc, out)
    hit_policy = _enum(HitPolicy, doc.get("hit_policy"), "hit_policy", out)
    aggregation = _enum(Aggregation, doc["aggregation"], "aggregation", out) if doc.get("aggregation") is not None else None
    each = doc.get("each")
    if each is not None and not isinstance(each, str):
        out.add("`each` must name a case collection")
    doc_version = doc.get("version", 1)
    if not isinstance(doc_version, int) or isinstance(doc_version, bool) or doc_version < 1:
        out.add("`version` must be a whole number >= 1")
        doc_version = 1
    inputs = _columns(doc, "inputs", _read_input, out) if "inputs" in doc else ()
    outputs = _columns(doc, "outputs", _read_output, out)
    raw_rules = doc.get("rules")
    rules: list[Rule] = []
    if not isinstance(raw_rules, list):
        out.add("`rules` must be a list")
    elif len(raw_rules) > MAX_ROWS:
        out.add(f"{len(raw_rules)} rows; a table may have at most {MAX_ROWS}: split it (by code range, say)")
    else:
        for index, raw in enumerate(raw_rules):
            rule = _read_rule(index, raw, out)
            if rule is not None:
                rules.append(rule)
    default = doc.get("default")
    if isinstance(default, dict):
        default = _read_outputs(default, "default", out)
    elif default is not None:
        out.add("`default` must map output names to values")
        default = None
    if out.problems:
        raise LoadError(out.problems) if not any(_is_cell_problem(p) for p in out.problems) \
            else CellSyntaxError(out.problems)
    return Table(name=name, title=title, hit_policy=hit_policy, inputs=inputs, outputs=outputs,
                 rules=tuple(rules), aggregation=aggregation, default=default, each=each, file=file,
                 origin=origin, version=version if version is not None else doc_version)


def _is_cell_problem(problem: Problem) -> bool:
    return problem.row is not None and problem.column is not None and "unary test" in problem.message


def value_set_from_document(doc: object, file: str, origin: str = "base") -> ValueSet:
    if not isinstance(doc, dict):
        raise LoadError(Problem("a value set document is a mapping", file=file))
    out = _Collector(file)
    name = doc.get("value_set")
    if not isinstance(name, str) or not NAME.match(name):
        out.add(f"`value_set` must be a name matching {NAME.pattern}")
    unknown = set(doc) - _VALUE_SET_KEYS
    if unknown:
        out.add(f"unknown keys {sorted(unknown)}")
    match = _enum(MatchKind, doc.get("match", "exact"), "match", out)
    title = _title(doc, out)
    codes = doc.get("codes")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) and c for c in codes):
        out.add("`codes` must be a non-empty list of text codes")
        codes = []
    elif len(codes) > MAX_CODES:
        out.add(f"{len(codes)} codes; a value set may have at most {MAX_CODES}")
    else:
        long = [i for i, code in enumerate(codes) if len(code) > MAX_CODE]
        if long:
            out.add(f"{len(long)} code(s) longer than {MAX_CODE} characters, the first is code "
                    f"#{long[0] + 1} ({len(codes[long[0]])} characters)")
    if out.problems:
        raise LoadError(out.problems)
    return ValueSet(name, title, match, frozenset(codes), file, origin)


def is_value_set_document(doc: object) -> bool:
    return isinstance(doc, dict) and "value_set" in doc


def load_folder(folder: Path, origin: str, display_root: Path | None = None) -> tuple[list[Table], list[ValueSet]]:
    """Every *.yaml under a folder (value_sets/ included); all problems of all files at once."""
    tables, value_sets, problems = [], [], []
    for path in sorted(folder.rglob("*.yaml")):
        shown = str(path.relative_to(display_root)) if display_root else str(path)
        try:
            doc = load_yaml(path.read_bytes(), shown)
            if is_value_set_document(doc):
                value_sets.append(value_set_from_document(doc, shown, origin))
            else:
                tables.append(table_from_document(doc, shown, origin))
        except PolicyError as exc:
            problems.extend(exc.problems)
    if problems:
        raise LoadError(problems)
    return tables, value_sets
