"""Dynamic checks of a candidate policy: decide a generated corpus of contract cases, and check
every decision against the v1 response contract. Pure: no Flask, no store.

The static checks look at one table, or one output, at a time. What they cannot see - tables
that only fail together, an action that raises, an out-of-contract value they miss - shows up
only when the compiled policy decides a case. So the corpus is made from what the policy's tables mention (the boundaries
of every number they compare, every enum value, list shapes, codes in and out of each value set),
combined pairwise so that any two facts' values meet in at least one case, and nothing the
tables could tell apart goes untried on its own. The facts a payer declares are tried the same way,
from their declarations, under `extensions`.
"""
from __future__ import annotations

import copy
import json
import math
import re
import time
from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate, combinations, islice

from marshmallow import validate

from .. import contract
from ..case_facts import FACTS, years_before
from ..case_schema import MAX_LIST, MAX_MINUTES, CaseInvalid, CaseSchema, load_case
from ..engine.hit_policy import HitPolicyViolation
from ..engine.runtime import EngineError
from ..tables.errors import Problem
from ..tables.model import ColumnType, Transform
from ..declared_facts import DeclaredFact
from ..tables.policy import Policy, SourceKind
from ..tables.unary import Compare, InSet, Interval

DEFAULT_LIMIT = 2000
DEFAULT_DEADLINE_SECONDS = 30.0
MAX_PROBLEMS = 5               # distinct problems reported; more would only repeat the same fault
MAX_LOMN_MONTHS = 1200         # the oldest letter of medical necessity tried: a hundred years
MAX_AGE = {"days_before_service": 36_500, "age_on_service_date": 150}   # the oldest dates tried, by form
MAX_DECLARED_NUMBER = 10**9    # the range a declared number is tried in
ABSENT = object()              # a level that leaves the field out of the case
MAX_FILLERS = 500              # made-up codes tried for one that no value set holds
MAX_LEVELS = 2000              # values tried of one field (thousands of codes in a fee schedule: the first)

# the fact paths tables read -> the contract fields a case gives them in (default: the path itself)
_CONTRACT_FIELDS = {
    "derived.total_timed_minutes": ("service.minutes",),
    "derived.billed_codes": ("service.minutes",),
    "derived.lomn_age_months": ("payment.lomn_date",),
    "derived.prescription_age_days": ("clinical.prescription.date",),
    "service.lines.cpt": ("service.minutes",),
    "service.lines.minutes": ("service.minutes",),
    "service.code_pairs.column1": ("service.minutes", "service.other_codes"),
    "service.code_pairs.column2": ("service.minutes",),
    "service.code_pairs.same_region": ("service.regions",),
}
# the facts whose codes a case gives in service.minutes, and in service.other_codes
_BILLED_CODE_FACTS = ("derived.billed_codes", "service.lines.cpt", "service.code_pairs.column1",
                      "service.code_pairs.column2")
_OTHER_CODE_FACTS = ("service.other_codes", "service.code_pairs.column1")


# -- the corpus ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Corpus:
    """The generated cases, and how far the cap on their number keeps them from pairwise coverage.

    `pairs` counts the pairs of values of two fields to try (among at most MAX_LEVELS values of
    one field); `untried` those no case tries, 0 when the corpus is pairwise-complete. Cases come
    in greedy order, each trying as many untried pairs as it can, so a capped corpus keeps the
    cases that try most. It is not built past the cap: for a policy that names thousands of
    codes, every pair would take millions of cases.
    """

    cases: list[dict]
    pairs: int
    untried: int


@dataclass
class _Mentions:
    """What a policy's cells test one fact against."""

    numbers: set = field(default_factory=set)    # constants of Compare, Interval and numeric Equal tests
    dates: set = field(default_factory=set)      # the same, of a date
    counts: set = field(default_factory=set)     # the same, on the `count` of a list
    strings: set = field(default_factory=set)    # string literals of Equal tests
    sets: set = field(default_factory=set)       # value sets named by `in`


def _fact_key(policy: Policy, table: str, source) -> str:
    return source.path if source.kind is SourceKind.FACT else f"{policy.tables[table].each}.{source.path}"


def _mentions(policy: Policy) -> dict[str, _Mentions]:
    found: dict[str, _Mentions] = defaultdict(_Mentions)
    for table in policy.tables.values():
        for inp in table.inputs:
            source = policy.sources[(table.name, inp.name)]
            if source.kind is SourceKind.TABLE:
                continue           # another table's output: its own inputs are the facts to vary
            m = found[_fact_key(policy, table.name, source)]
            numbers = m.dates if inp.type is ColumnType.DATE else m.counts if inp.transform is Transform.COUNT \
                else m.numbers
            for rule in table.rules:
                for test in rule.cell(inp.name).tests:
                    if isinstance(test, Interval):
                        numbers.update((test.low, test.high))
                    elif isinstance(test, Compare):
                        numbers.add(test.value)
                    elif isinstance(test, InSet):
                        m.sets.add(test.name)
                    elif isinstance(test.value, str):      # an Equal test from here on
                        m.strings.add(test.value)
                    elif not isinstance(test.value, bool):
                        numbers.add(test.value)
    return found


def _boundaries(constants, low: int, high: int) -> list[int]:
    """c-1, c and c+1 for every constant (the whole numbers either side of a fraction), in [low, high].

    Every fact the tables compare is a whole number, so these are the values on both sides of
    every edge a cell draws.
    """
    values = set()
    for c in constants:
        values.update(range(math.floor(c) - 1, math.ceil(c) + 2))
    return sorted(v for v in values if low <= v <= high)


def _filler(path: str, index: int) -> str:
    """The `index`th made-up value of a free-text fact, shaped as the contract wants."""
    if path == "clinical.diagnosis_codes":
        return f"{'ZYXWV'[index % 5]}{index // 5 % 100:02d}.9"
    if path == "practitioner.license_state":
        return "Z" + chr(ord("Z") - index % 26)
    return f"{index:04d}T"                    # a CPT code (category III shape)


def _elements(path: str, m: _Mentions, policy: Policy, size: int = 0) -> list[str]:
    """The literals the tables test, one code of each value set they name, then made-up values
    that match none of them: at least one, and as many as make `size` elements."""
    sets = [policy.value_sets[name] for name in sorted(m.sets)]
    found = list(dict.fromkeys(sorted(m.strings) + [min(vs.codes) for vs in sets if vs.codes]))
    others = (value for value in dict.fromkeys(_filler(path, i) for i in range(MAX_FILLERS))
              if value not in m.strings and not any(vs.contains(value) for vs in sets))
    return found + list(islice(others, max(1, size - len(found))))


def _field(path: str):
    schema = CaseSchema()
    *parents, leaf = path.split(".")
    for part in parents:
        schema = schema.fields[part].schema
    return schema.fields[leaf]


def _validator(field_, kind):
    return next((v for v in field_.validators if isinstance(v, kind)), None)


def _fact_levels(path: str, type_: ColumnType, m: _Mentions, policy: Policy) -> list:
    """The values of one contract fact worth trying, read from its schema (enums, ranges, lengths)."""
    spec = _field(path)
    levels = [] if spec.required else [ABSENT]
    if type_ is ColumnType.BOOLEAN:
        return levels + [True, False]
    if type_ is ColumnType.NUMBER:
        bounds = _validator(spec, validate.Range)
        return levels + _boundaries(m.numbers | {bounds.min, bounds.max}, bounds.min, bounds.max)
    if type_ is ColumnType.STRING:
        one_of = _validator(spec, validate.OneOf)
        return levels + (list(one_of.choices) if one_of else _elements(path, m, policy))
    one_of = _validator(spec.inner, validate.OneOf)
    longest = _validator(spec, validate.Length).max
    return levels + _list_levels(path, m, policy, one_of.choices if one_of else None, longest)


def _list_levels(path: str, m: _Mentions, policy: Policy, choices, longest: int) -> list:
    """Empty, each element alone, and the first n elements for every length a `count` tells apart."""
    lengths = set(_boundaries(m.counts, 2, longest))
    elements = list(choices) if choices else _elements(path, m, policy, max(lengths, default=0))
    lengths.add(min(len(elements), longest))
    return [[], *([e] for e in elements), *(elements[:n] for n in sorted(lengths) if n > 1)]


def _back(form: str, on: date, n: int) -> date | None:
    """The latest date whose derived `form` is `n` on `on` (None before the calendar starts)."""
    try:
        if form == "days_before_service":
            return on - timedelta(days=n)
        day = on.replace(year=on.year - n, day=1) + timedelta(days=on.day - 1)   # Feb 29 -> Mar 1
        return day if years_before(day, on) == n else day - timedelta(days=1)
    except (ValueError, OverflowError):
        return None


def _date_levels(on: date, dates: set, forms: dict[str, _Mentions]) -> list[str]:
    """A date fact's values worth trying: at and either side of every day the tables compare it with,
    a day after the service (each derived form -1), and the dates that put each derived form (its
    mentions in `forms`) on either side of every boundary its cells draw."""
    days = {d + timedelta(days=k) for d in dates for k in (-1, 0, 1) if date.min < d < date.max}
    days.add(on + timedelta(days=1))
    for form, m in forms.items():
        days.update(_back(form, on, n) for n in _boundaries(m.numbers | {0}, 0, MAX_AGE[form]))
    return sorted(d.isoformat() for d in days if d is not None)


def _declared_levels(fact: DeclaredFact, mentions: dict[str, _Mentions], policy: Policy, on: date) -> list:
    """The values of a fact the payer declares worth trying, read from its declaration."""
    m = mentions[fact.path]
    levels = [] if fact.required else [ABSENT]
    if fact.type is ColumnType.BOOLEAN:
        return levels + [True, False]
    if fact.type is ColumnType.NUMBER:
        return levels + _boundaries(m.numbers | {0}, -MAX_DECLARED_NUMBER, MAX_DECLARED_NUMBER)
    if fact.type is ColumnType.DATE:
        return levels + _date_levels(on, m.dates, {form: mentions[f"{fact.path}.{form}"] for form in fact.derived})
    if fact.type is ColumnType.STRING:
        return levels + (list(fact.values) if fact.values else _elements(fact.path, m, policy))
    return levels + _list_levels(fact.path, m, policy, fact.values, MAX_LIST)


def _split(total: int, codes: list[str]) -> dict[str, int]:
    share, rest = divmod(total, len(codes))
    return {code: share + (1 if i < rest else 0) for i, code in enumerate(codes)}


def _minutes_levels(mentions: dict[str, _Mentions], codes: list[str]) -> list:
    """Minutes maps whose totals hit every boundary of the total (over each code alone, two, as
    many as a case may bill, and as many as a `count` of the billed codes draws), and single lines
    at every boundary of a line's minutes."""
    widest = min(len(codes), MAX_LIST)
    sizes = {2, widest} | set(_boundaries(mentions["derived.billed_codes"].counts, 2, widest))
    groups = [[code] for code in codes] + [codes[:n] for n in sorted(sizes) if n > 1]
    most = MAX_MINUTES * widest
    totals = _boundaries(mentions["derived.total_timed_minutes"].numbers | {0, most}, 0, most)
    levels = [ABSENT]
    for i in range(max(len(totals), len(groups))):
        total, group = totals[i % len(totals)], groups[i % len(groups)]
        levels.append(_split(total, group if total <= MAX_MINUTES * len(group) else codes[:widest]))
    line_minutes = _boundaries(mentions["service.lines.minutes"].numbers | {0, MAX_MINUTES}, 0, MAX_MINUTES)
    levels += [{codes[i % len(codes)]: minutes} for i, minutes in enumerate(line_minutes)]
    return levels


def _regions_levels(codes: list[str]) -> list:
    """Undocumented (read as the same region), one region for all codes, a region of its own for each."""
    codes = codes[:MAX_LIST]
    return [ABSENT, {code: ["lumbar"] for code in codes},
            {code: [f"site_{chr(97 + i // 26)}{chr(97 + i % 26)}"] for i, code in enumerate(codes)}]


def _months_back(on: date, months: int) -> date:
    """The latest date whose letter is `months` old on `on`, as `case_facts.months_before` counts."""
    year, month = divmod(on.year * 12 + on.month - 1 - months, 12)
    days = monthrange(year, month + 1)[1]
    if on.day <= days:
        return date(year, month + 1, on.day)
    return date(year, month + 1, days) + timedelta(days=1)    # a started month counts whole


def _lomn_levels(m: _Mentions, on: date) -> list:
    """No letter, one dated after the service (age -1), and letters at every boundary of the age."""
    oldest = min(MAX_LOMN_MONTHS, (on.year - 1) * 12)
    ages = _boundaries(m.numbers | {0}, 0, oldest)
    return [ABSENT, (on + timedelta(days=1)).isoformat()] + [_months_back(on, a).isoformat() for a in ages]


def _merged(mentions: dict[str, _Mentions], keys: tuple[str, ...], counts: set) -> _Mentions:
    merged = _Mentions(counts=counts)
    for key in keys:
        merged.strings |= mentions[key].strings
        merged.sets |= mentions[key].sets
    return merged


def _factors(policy: Policy, on: date) -> list[tuple[str, list]]:
    """(contract field, the values to try) for every field a table may read, directly or derived."""
    mentions = _mentions(policy)
    other_m = _merged(mentions, _OTHER_CODE_FACTS, mentions["service.other_codes"].counts)
    counted = _boundaries(mentions["derived.billed_codes"].counts, 1, MAX_LIST)
    billed = _elements("service.minutes", _merged(mentions, _BILLED_CODE_FACTS, set()), policy, max(counted, default=0))
    factors = []
    for path, type_ in FACTS.items():
        if path.startswith("derived.") or path in ("payer_id", "date_of_service"):
            continue             # the corpus is dated `on`, the date of the policy it checks
        m = other_m if path == "service.other_codes" else mentions[path]
        factors.append((path, _fact_levels(path, type_, m, policy)))
    factors += [(fact.path, _declared_levels(fact, mentions, policy, on)) for fact in policy.facts]
    factors.append(("service.minutes", _minutes_levels(mentions, billed)))
    others = _elements("service.other_codes", other_m, policy)
    factors.append(("service.regions", _regions_levels(list(dict.fromkeys(billed + others)))))
    factors.append(("payment.lomn_date", _lomn_levels(mentions["derived.lomn_age_months"], on)))
    prescription_age = {"days_before_service": mentions["derived.prescription_age_days"]}
    factors.append(("clinical.prescription.date", [ABSENT] + _date_levels(on, set(), prescription_age)))
    return [(path, levels[:MAX_LEVELS]) for path, levels in factors]


def _case(factors, row, policy: Policy, on: date, number: int) -> dict:
    case = {"case_id": f"corpus-{number}", "payer_id": policy.payer_id, "date_of_service": on.isoformat()}
    for (path, levels), level in zip(factors, row, strict=True):
        value = levels[level]
        if value is ABSENT:
            continue
        *parents, leaf = path.split(".")
        node = case
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = copy.deepcopy(value)
    return case


def _valid_levels(factors, policy: Policy, on: date) -> list[tuple[str, list]]:
    """Drop the values the contract refuses (a literal a table tests that no case can carry).

    The schema checks each field on its own, so a value valid next to the first value of every
    other field is valid next to any.
    """
    base = [0] * len(factors)
    kept = []
    for f, (path, levels) in enumerate(factors):
        good = []
        for i, value in enumerate(levels):
            try:
                load_case(_case(factors, base[:f] + [i] + base[f + 1:], policy, on, 0))
                good.append(value)
            except CaseInvalid:
                pass
        kept.append((path, good))
    return kept


def pairwise(sizes: list[int], limit: int | None = None) -> tuple[list[list[int]], int]:
    """Rows (a level index per factor) in which every pair of levels of two factors meets, or the
    first `limit` of them, with the number of pairs those leave uncovered.

    Deterministic greedy construction: each row starts from the level with most uncovered pairs,
    then takes, factor by factor (most levels first), the level completing most uncovered pairs
    with those already chosen; so the first rows cover most. Uncovered partners are kept as one
    bitmask per level.
    """
    starts = list(accumulate([0] + sizes[:-1]))
    owner = [f for f, size in enumerate(sizes) for _ in range(size)]
    everything = (1 << len(owner)) - 1
    own = [((1 << size) - 1) << start for start, size in zip(starts, sizes, strict=True)]
    uncovered = [everything & ~own[f] for f in owner]
    order = sorted(range(len(sizes)), key=lambda f: (-sizes[f], f))
    rows = []
    while limit is None or len(rows) < limit:
        seed = max(range(len(owner)), key=lambda u: (uncovered[u].bit_count(), -u))
        if not uncovered[seed]:
            break
        chosen, mask = {owner[seed]: seed}, 1 << seed
        for f in order:
            if f not in chosen:
                best = max(range(starts[f], starts[f] + sizes[f]),
                           key=lambda v: ((uncovered[v] & mask).bit_count(), uncovered[v].bit_count(), -v))
                chosen[f], mask = best, mask | 1 << best
        for u in chosen.values():
            uncovered[u] &= ~mask
        rows.append([chosen[f] - starts[f] for f in range(len(sizes))])
    return rows, sum(u.bit_count() for u in uncovered) // 2


def generated_corpus(policy: Policy, limit: int = DEFAULT_LIMIT, *, on: date) -> Corpus:
    """Contract cases dated `on` that try what the policy's tables tell apart, pairwise; at most `limit`.

    Deterministic: the same policy, limit and date give the same cases. Every case passes
    `case_schema.load_case`.
    """
    factors = _valid_levels(_factors(policy, on), policy, on)
    sizes = [len(levels) for _, levels in factors]
    rows, untried = pairwise(sizes, limit)
    pairs = sum(a * b for a, b in combinations(sizes, 2))
    return Corpus([_case(factors, row, policy, on, n) for n, row in enumerate(rows)], pairs, untried)


# -- the response contract -------------------------------------------------------------------------

@dataclass(frozen=True)
class Violation:
    """A decision field the contract forbids, with the table and row whose output put it there."""

    path: str
    reason: str
    table: str | None = None
    row: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


_CLASSIFICATIONS = frozenset(contract.CLASSIFICATIONS)
_REFERRAL_TO = frozenset(contract.REFERRAL_TO)
_REFERRAL_REASONS = frozenset(contract.REFERRAL_REASONS)
_REASON_CODES = frozenset(contract.REASON_CODES)
_DOCUMENTS = frozenset(contract.DOCUMENTS)
_MODIFIER = re.compile(contract.MODIFIER_PATTERN)


def _traced(trace: list[dict], tables: tuple[str, ...], output: str | None = None, value=None):
    """(table, row) of the first trace entry of `tables` whose `output` is `value` (any, without one)."""
    for entry in trace:
        if entry["table"] in tables and (output is None or entry["outputs"].get(output) == value):
            return entry["table"], entry["rule"]
    return tables[0], None


def _rule(item: dict) -> tuple[str, str | None]:
    table, _, row = item["rule"].partition(":")
    return table, row or None


def _allowed(value, fixed: frozenset, extra) -> bool:
    return value in fixed or (extra is not None and value in extra.codes)


def _message_ok(item: dict) -> bool:
    return isinstance(item["message"], str) and len(item["message"]) <= contract.MAX_MESSAGE


def contract_violations(decision: dict, policy: Policy) -> list[Violation]:
    """Every field of `decision` outside the v1 response contract; [] for a sound decision.

    Cheap enough for every request (set lookups; the trace is searched only for a violation).
    Reason codes and documents may be extended by the policy's value sets named
    `contract.EXTRA_REASON_CODES` and `contract.EXTRA_DOCUMENTS`.
    """
    found = []
    trace = decision["trace"]
    if decision["classification"] not in _CLASSIFICATIONS:
        found.append(Violation("classification", "not a classification of the contract",
                               *_traced(trace, ("classification",))))
    for i, referral in enumerate(decision["referrals"]):
        if referral["to"] not in _REFERRAL_TO:
            found.append(Violation(f"referrals[{i}].to", "not a referral target of the contract", *_rule(referral)))
        if referral["reason"] not in _REFERRAL_REASONS:
            found.append(Violation(f"referrals[{i}].reason", "not a referral reason of the contract", *_rule(referral)))
        if not _message_ok(referral):
            found.append(Violation(f"referrals[{i}].message", f"not text of at most {contract.MAX_MESSAGE} characters",
                                   *_rule(referral)))
    extra_codes = policy.value_sets.get(contract.EXTRA_REASON_CODES)
    extra_documents = policy.value_sets.get(contract.EXTRA_DOCUMENTS)
    billing = decision["billing"]
    for part, documents_table in (("insurance", "insurance_documentation"), ("hsa_fsa", "hsa_fsa_documentation")):
        prefix = f"billing.{part}"
        for i, reason in enumerate(billing[part]["reasons"]):
            if not _allowed(reason["code"], _REASON_CODES, extra_codes):
                found.append(Violation(f"{prefix}.reasons[{i}].code",
                                       f"not a reason code of the contract or of the value set {contract.EXTRA_REASON_CODES}",
                                       *_rule(reason)))
            if not _message_ok(reason):
                found.append(Violation(f"{prefix}.reasons[{i}].message",
                                       f"not text of at most {contract.MAX_MESSAGE} characters", *_rule(reason)))
        for i, document in enumerate(billing[part]["documentation_required"]):
            if not _allowed(document, _DOCUMENTS, extra_documents):
                found.append(Violation(f"{prefix}.documentation_required[{i}]",
                                       f"not a document of the contract or of the value set {contract.EXTRA_DOCUMENTS}",
                                       *_traced(trace, (documents_table,), "document", document)))
    for i, line in enumerate(billing["insurance"]["lines"]):
        units = line["units"]
        if type(units) is not int or not 1 <= units <= contract.MAX_UNITS:
            found.append(Violation(f"billing.insurance.lines[{i}].units",
                                   f"not a whole number of units from 1 to {contract.MAX_UNITS}", *_traced(trace, ("units",))))
        for j, modifier in enumerate(line["modifiers"]):
            if not (isinstance(modifier, str) and _MODIFIER.fullmatch(modifier)):
                found.append(Violation(f"billing.insurance.lines[{i}].modifiers[{j}]",
                                       f"not a modifier ({contract.MODIFIER_PATTERN})",
                                       *_traced(trace, ("line_modifiers", "correct_coding_edits"), "modifier", modifier)))
    return found


def decision_problems(decision: dict, policy: Policy) -> list[str]:
    """`contract_violations` as text: "field path: reason"."""
    return [str(v) for v in contract_violations(decision, policy)]


# -- deciding the corpus ---------------------------------------------------------------------------

_NAMED_TABLE = re.compile(r"table ([a-z][a-z0-9_]*)\b")
_NAMED_ROWS = re.compile(r"rows (.+?) (?:all matched|matched with)")


def failure_location(exc: BaseException, policy: Policy) -> tuple[str | None, str | None]:
    """(table, rows) that a hit-policy or engine error names, when they are the policy's own.

    Those errors begin `table <name>`; nothing else of a message is taken, as it may quote case facts.
    """
    if not isinstance(exc, (HitPolicyViolation, EngineError)):
        return None, None
    text = str(exc)
    named = _NAMED_TABLE.match(text)
    if named is None or named[1] not in policy.tables:
        return None, None
    table = policy.tables[named[1]]
    rows = _NAMED_ROWS.search(text)
    ids = {rule.id for rule in table.rules}
    found = [r for r in rows[1].split(", ") if r in ids] if rows else []
    return table.name, ", ".join(found) or None


def _reads(policy: Policy, table: str) -> set[str]:
    """The contract fields `table` reads, itself or through the tables upstream of it."""
    tables, todo = set(), [table]
    while todo:
        name = todo.pop()
        if name not in tables:
            tables.add(name)
            todo.extend(policy.upstream(name))
    fields_ = set()
    for (name, _), source in policy.sources.items():
        if name in tables and source.kind is not SourceKind.TABLE:
            key = _fact_key(policy, name, source)
            root = ".".join(key.split(".")[:2]) if key.startswith("extensions.") else key   # a date's derived form
            fields_.update(_CONTRACT_FIELDS.get(key, (root,)))
    return fields_


def _example(case: dict, policy: Policy, table: str | None) -> str:
    """The generated case as compact JSON (synthetic, never health information), cut down to what
    `table` reads when the failure names one."""
    if table is None or table not in policy.tables:
        return json.dumps(case, separators=(",", ":"))
    short = {"date_of_service": case.get("date_of_service")}
    for path in sorted(_reads(policy, table)):
        *parents, leaf = path.split(".")
        source, target = case, short
        for part in parents:
            source, target = source.get(part, {}), target.setdefault(part, {})
        if leaf in source:
            target[leaf] = source[leaf]
    return json.dumps(short, separators=(",", ":"))


def _file(policy: Policy, table: str | None) -> str | None:
    return policy.tables[table].file if table in policy.tables else None


def _case_problems(engine, case: dict, on: date):
    """(key, Problem) for each way deciding `case` breaks; the key tells repeats of one fault apart."""
    policy = engine.policy
    try:
        decision, _ = engine.answer(load_case(case), on)
    except Exception as exc:  # noqa: BLE001 - whatever it is, this policy cannot decide a valid case
        table, rows = failure_location(exc, policy)
        yield (type(exc).__name__, table, rows), Problem(
            f"deciding a generated case failed ({type(exc).__name__}: {exc}); the case: {_example(case, policy, table)}",
            _file(policy, table), table, rows)
        return
    for v in contract_violations(decision, policy):
        yield (v.table, v.row, re.sub(r"\[\d+\]", "[]", v.path)), Problem(
            f"a decision breaks the response contract ({v}); the case: {_example(case, policy, v.table)}",
            _file(policy, v.table), v.table, v.row)


def check_decisions(engine, cases: list[dict], on: date,
                    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS) -> list[Problem]:
    """Decide every case on `engine` (a PolicyEngine) as of `on`: [] when all are sound decisions.

    Otherwise the first MAX_PROBLEMS distinct problems, each naming the table and row when known
    and an example case. If the cases are not all decided within `deadline_seconds`, the last
    problem says so: a policy that cannot be checked is not published.
    """
    deadline = time.monotonic() + deadline_seconds
    found: dict[tuple, Problem] = {}
    for number, case in enumerate(cases):
        if time.monotonic() >= deadline:
            return list(found.values()) + [Problem(
                f"the policy could not be checked within {deadline_seconds:g} seconds "
                f"({number} of {len(cases)} generated cases decided)")]
        for key, problem in _case_problems(engine, case, on):
            found.setdefault(key, problem)
        if len(found) >= MAX_PROBLEMS:
            break
    return list(found.values())[:MAX_PROBLEMS]
