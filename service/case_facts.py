"""The case facts tables may read: contract paths, derived facts and per-item collections.

The catalogue is the one place that says which `from:` paths exist and what type each has; the
validator checks tables against it and the engine reads cases through it. A payer's policy may
declare more, under `extensions.` (service/declared_facts.py). `derive` turns a contract case
(already validated by the API or CLI schema, its extensions by the payer's declarations) into
those values.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from . import clock
from .contract import DEFAULT_PAYER
from .tables.model import ColumnType

S, N, B, L, D = ColumnType.STRING, ColumnType.NUMBER, ColumnType.BOOLEAN, ColumnType.LIST, ColumnType.DATE

FACTS: dict[str, ColumnType] = {
    "payer_id": S,
    "date_of_service": D,               # the case's, else the payer's today
    "service.purpose": S,
    "service.techniques": L,
    "service.other_codes": L,
    "practitioner.credential": S,
    "practitioner.license_state": S,
    "practitioner.license_active": B,
    "clinical.diagnosis_codes": L,
    "clinical.prescription.present": B,
    "clinical.prescription.prescriber": S,
    "clinical.functional_goals": B,
    "clinical.progress_documented": B,
    "clinical.measurable_improvement": B,
    "clinical.visit_number": N,
    "clinical.visits_this_year": N,
    "clinical.red_flags": L,
    "payment.method": S,
    "payment.lomn_on_file": B,
    # derived from the contract facts by `derive` below
    "derived.total_timed_minutes": N,   # sum of service.minutes
    "derived.billed_codes": L,          # the CPT codes in service.minutes
    "derived.lomn_age_months": N,       # months from lomn_date to date_of_service, a part month counting whole; -1 when undated or dated after the service
    "derived.prescription_age_days": N,  # days from clinical.prescription.date to date_of_service; -1 likewise
}

COLLECTIONS: dict[str, dict[str, ColumnType]] = {
    # one item per CPT code in service.minutes
    "service.lines": {"cpt": S, "minutes": N},
    # one item per (other code in the session, billed timed code) pair: correct-coding edits
    "service.code_pairs": {"column1": S, "column2": S, "same_region": B},
}

_EMPTY = {S: "", N: 0, B: False, L: (), D: date.min}


def empty_value(type_: ColumnType):
    """What an absent fact reads as: "not documented" is false, empty, "", 0 or 0001-01-01 (before any date)."""
    return _EMPTY[type_]


@dataclass(frozen=True)
class CaseFacts:
    values: dict            # path -> value (None when the case does not document it)
    items: dict             # collection -> tuple of item dicts
    date_of_service: date


def _get(case: dict, path: str):
    node = case
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node or node[part] is None:
            return None
        node = node[part]
    return node


def months_before(earlier: date, later: date) -> int:
    """Whole months from `earlier` to `later`, a started month counting as a whole one."""
    months = (later.year - earlier.year) * 12 + (later.month - earlier.month)
    return months + (1 if later.day > earlier.day else 0)


def years_before(earlier: date, later: date) -> int:
    """Whole years from `earlier` to `later`: an age, a birthday counting on its day."""
    return later.year - earlier.year - ((later.month, later.day) < (earlier.month, earlier.day))


def days_before(earlier: date, later: date) -> int:
    return (later - earlier).days


# the forms of a declared date fact tables may read as `extensions.<fact>.<form>`
DATE_FORMS: dict[str, Callable[[date, date], int]] = {
    "age_on_service_date": years_before,
    "days_before_service": days_before,
}


def age(earlier: date | None, dos: date, unit: Callable[[date, date], int]) -> int:
    """How long before the date of service `earlier` was, in `unit`; -1 when undated or after it."""
    return unit(earlier, dos) if earlier is not None and earlier <= dos else -1


def _as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def derive(case: dict, today: date | None = None, declared: tuple = ()) -> CaseFacts:
    """Contract case -> the values every `from:` path reads, the `declared` facts' (DeclaredFact)
    included. Pure; the case is already valid."""
    dos = _as_date(case.get("date_of_service")) or today or clock.today()
    values = {}
    for path, type_ in FACTS.items():
        if path.startswith("derived."):
            continue
        raw = _get(case, path)
        if path == "payer_id" and raw is None:
            raw = DEFAULT_PAYER
        values[path] = tuple(raw) if type_ is L and raw is not None else raw
    values["date_of_service"] = dos
    minutes = _get(case, "service.minutes") or {}
    values["derived.total_timed_minutes"] = sum(minutes.values())
    values["derived.billed_codes"] = tuple(minutes)
    values["derived.lomn_age_months"] = age(_as_date(_get(case, "payment.lomn_date")), dos, months_before)
    values["derived.prescription_age_days"] = age(_as_date(_get(case, "clinical.prescription.date")), dos, days_before)
    extensions = case.get("extensions") or {}
    for fact in declared:
        raw = extensions.get(fact.name)
        values[fact.path] = tuple(raw) if fact.type is L and raw is not None else raw
        for form in fact.derived:
            values[f"{fact.path}.{form}"] = age(raw, dos, DATE_FORMS[form])
    regions = _get(case, "service.regions") or {}
    session_codes = list(minutes) + [c for c in (_get(case, "service.other_codes") or []) if c not in minutes]
    pairs = []
    for column2 in minutes:
        for column1 in session_codes:
            if column1 == column2:
                continue
            r1, r2 = set(regions.get(column1) or ()), set(regions.get(column2) or ())
            # undocumented regions cannot prove separate sites: treat them as the same region
            same = not r1 or not r2 or bool(r1 & r2)
            pairs.append({"column1": column1, "column2": column2, "same_region": same})
    items = {
        "service.lines": tuple({"cpt": cpt, "minutes": m} for cpt, m in minutes.items()),
        "service.code_pairs": tuple(pairs),
    }
    return CaseFacts(values, items, dos)
