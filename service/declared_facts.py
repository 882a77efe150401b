"""Facts of a payer's own: declared in its policy, sent under the case's `extensions`, read by
tables as `extensions.<fact>` (and a date's derived forms as `extensions.<fact>.<form>`).

A declaration is a policy document, published and versioned like a table:
`{"facts": NAME, "title": ..., "declare": {fact: spec}}`, each spec with `type` (string, number,
boolean, date or list of strings), optional `values` (the only values of a string or of a list's
elements), `description`, `required` (default false), `default` (an optional fact's value when a
case leaves it out) and, for a date, `derived` (the forms of `case_facts.DATE_FORMS` tables read).
The contract only says `extensions` is an object: which members a case may carry is the policy in
force for its payer on its date of service, checked here with the contract's field-named errors,
never repeating a value.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from marshmallow import Schema, ValidationError, fields, validate

from .case_facts import DATE_FORMS
from .case_schema import FACT_NAME, MAX_LIST, MAX_TEXT, CaseInvalid, StrictBool, flatten_errors
from .tables.errors import LoadError, Problem
from .tables.loader import MAX_CODE, MAX_TITLE, NAME
from .tables.model import ColumnType

ROOT = "extensions"
MAX_FACTS = 64
MAX_DESCRIPTION = 500
_KEYS = {"facts", "title", "declare"}
_SPEC_KEYS = {"type", "values", "description", "required", "default", "derived"}


@dataclass(frozen=True)
class DeclaredFact:
    """One fact a payer declares: what a case may send as `extensions.<name>`, and tables read."""

    name: str
    type: ColumnType
    description: str = ""
    values: tuple[str, ...] | None = None    # the only values of a string, or of a list's elements
    required: bool = False
    default: object = None                   # an optional fact's value when a case leaves it out
    derived: tuple[str, ...] = ()            # forms of a date (DATE_FORMS) tables may read
    file: str = "<memory>"

    @property
    def path(self) -> str:
        return f"{ROOT}.{self.name}"

    def sources(self) -> dict:
        """The `from:` paths the fact gives tables, with their types."""
        return {self.path: self.type, **{f"{self.path}.{form}": ColumnType.NUMBER for form in self.derived}}


class JsonNumber(fields.Field):
    """A JSON number as it is (3 or 2.5); never "3" or true."""

    default_error_messages = {"invalid": "Not a valid number."}

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid")
        return value


def _field(fact: DeclaredFact) -> fields.Field:
    """The marshmallow field a case's value of `fact` must pass (the default: its value when absent)."""
    one_of = [validate.OneOf(fact.values)] if fact.values else []
    kwargs = {"required": fact.required, **({"load_default": fact.default} if fact.default is not None else {})}
    if fact.type is ColumnType.LIST:
        return fields.List(fields.String(validate=[validate.Length(max=MAX_TEXT)] + one_of),
                           validate=validate.Length(max=MAX_LIST), **kwargs)
    if fact.type is ColumnType.STRING:
        return fields.String(validate=[validate.Length(max=MAX_TEXT)] + one_of, **kwargs)
    return {ColumnType.NUMBER: JsonNumber, ColumnType.BOOLEAN: StrictBool, ColumnType.DATE: fields.Date}[fact.type](
        **kwargs)


@lru_cache(maxsize=256)
def _schema(facts: tuple[DeclaredFact, ...]) -> Schema:
    return Schema.from_dict({fact.name: _field(fact) for fact in facts}, name="Extensions")()


def with_extensions(case: dict, facts: tuple[DeclaredFact, ...]) -> dict:
    """The case with its `extensions` checked against `facts` and typed (dates as dates, defaults
    filled in), or CaseInvalid naming `extensions.<fact>`: unknown, mistyped or missing."""
    given = case.get(ROOT) or {}
    if not facts and not given:
        return case
    try:
        return {**case, ROOT: _schema(facts).load(given)}
    except ValidationError as exc:
        raise CaseInvalid(flatten_errors(exc.messages, ROOT)) from None


# -- the document -----------------------------------------------------------------------------------

def is_facts_document(doc: object) -> bool:
    return isinstance(doc, dict) and "facts" in doc


def facts_from_document(doc: object, file: str) -> tuple[DeclaredFact, ...]:
    """The facts a declaration document declares, or LoadError naming the file, fact and every problem."""
    if not isinstance(doc, dict):
        raise LoadError(Problem("a fact declaration is a mapping with `facts` and `declare`", file))
    problems: list[Problem] = []

    def add(message: str) -> None:
        problems.append(Problem(message, file))
    if not isinstance(doc.get("facts"), str) or not NAME.match(doc["facts"]):
        add(f"`facts` must be a name matching {NAME.pattern}")
    if set(doc) - _KEYS:
        add(f"unknown keys {sorted(set(doc) - _KEYS)}")
    if not isinstance(doc.get("title", ""), str) or len(doc.get("title", "")) > MAX_TITLE:
        add(f"`title` must be text of at most {MAX_TITLE} characters")
    declare = doc.get("declare")
    if not isinstance(declare, dict) or not 1 <= len(declare) <= MAX_FACTS:
        add(f"`declare` must map 1 to {MAX_FACTS} fact names to their specs")
        declare = {}
    facts = []
    for name, spec in declare.items():
        if not isinstance(name, str) or not FACT_NAME.match(name):      # what the contract lets a case send
            add(f"fact name {name!r} must match {FACT_NAME.pattern}")
            continue
        fact = _fact(name, spec, file, lambda message, name=name: add(f"fact {name}: {message}"))
        if fact is not None:
            facts.append(fact)
    if problems:
        raise LoadError(problems)
    return tuple(facts)


def _fact(name: str, spec: object, file: str, add) -> DeclaredFact | None:
    if not isinstance(spec, dict):
        add("a fact is a mapping with `type`")
        return None
    if set(spec) - _SPEC_KEYS:
        add(f"unknown keys {sorted(set(spec) - _SPEC_KEYS)}")
    try:
        type_ = ColumnType(spec.get("type"))
    except ValueError:
        add(f"`type` must be one of {', '.join(t.value for t in ColumnType)}")
        return None
    description, required = spec.get("description", ""), spec.get("required", False)
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        add(f"`description` must be text of at most {MAX_DESCRIPTION} characters")
    if not isinstance(required, bool):
        add("`required` must be true or false")
    values = spec.get("values")
    if values is not None and not (isinstance(values, list) and values and all(
            isinstance(v, str) and 0 < len(v) <= MAX_CODE for v in values) and len(set(values)) == len(values)):
        add(f"`values` must be a non-empty list of distinct text values of at most {MAX_CODE} characters")
        values = None
    elif values is not None and type_ not in (ColumnType.STRING, ColumnType.LIST):
        add("`values` applies to string and list facts")
    derived = spec.get("derived", [])
    if not (isinstance(derived, list) and all(isinstance(d, str) and d in DATE_FORMS for d in derived)):
        add(f"`derived` must list forms among {', '.join(DATE_FORMS)}")
        derived = []
    elif derived and type_ is not ColumnType.DATE:
        add("`derived` applies to date facts")
    fact = DeclaredFact(name, type_, description if isinstance(description, str) else "",
                        tuple(values) if values else None, required is True, derived=tuple(dict.fromkeys(derived)),
                        file=file)
    if spec.get("default") is None:
        return fact
    if fact.required:
        add("a required fact has no `default`")
        return fact
    if isinstance(spec["default"], date):     # YAML reads an unquoted day as a date; a document is JSON
        add('`default`: a date is text, "YYYY-MM-DD" in quotes')
        return fact
    try:
        default = _field(fact).deserialize(spec["default"])
    except ValidationError as exc:
        add(f"`default`: {' '.join(e['message'] for e in flatten_errors(exc.messages))}")
        return fact
    return replace(fact, default=tuple(default) if isinstance(default, list) else default)


# -- what integrators are told -----------------------------------------------------------------------

def _json(value):
    return value.isoformat() if isinstance(value, date) else list(value) if isinstance(value, tuple) else value


def _json_type(fact: DeclaredFact) -> dict:
    enum = {"enum": list(fact.values)} if fact.values else {}
    if fact.type is ColumnType.LIST:
        return {"type": "array", "items": {"type": "string", "maxLength": MAX_TEXT, **enum}, "maxItems": MAX_LIST}
    if fact.type is ColumnType.DATE:
        return {"type": "string", "format": "date"}
    if fact.type is ColumnType.STRING:
        return {"type": "string", "maxLength": MAX_TEXT, **enum}
    return {"type": fact.type.value}


def describe(fact: DeclaredFact) -> dict:
    """One declared fact as GET /v1/policy lists it: what to send, and what tables read."""
    out = {"type": fact.type.value, "description": fact.description, "required": fact.required,
           "from": list(fact.sources())}
    if fact.values:
        out["values"] = list(fact.values)
    if fact.default is not None:
        out["default"] = _json(fact.default)
    if fact.derived:
        out["derived"] = list(fact.derived)
    return out


def extensions_schema(facts: tuple[DeclaredFact, ...]) -> dict:
    """The JSON Schema of the `extensions` object a payer's cases may carry."""
    properties = {}
    for fact in facts:
        properties[fact.name] = {**_json_type(fact), **({"description": fact.description} if fact.description else {}),
                                 **({"default": _json(fact.default)} if fact.default is not None else {})}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": properties, "required": [f.name for f in facts if f.required],
            "additionalProperties": False}
