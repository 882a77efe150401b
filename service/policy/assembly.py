"""Documents in force -> a validated Policy -> a compiled PolicyEngine: the one way to build a policy."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from .. import clock
from ..engine.policy_engine import PolicyEngine
from ..tables.errors import PolicyError, ValidationError
from ..tables.overlay import apply, is_overlay
from ..tables.policy import Policy
from ..tables.validate import build_policy
from .source import DEFAULT_PAYER, extended, file_of, folder_versions, in_force, parse, payers_of
from .store import Version


def policy_from(payer_id: str, chosen: list[Version], analyse: bool = True, bases: list[Version] = ()) -> Policy:
    """Tables, value sets and declared facts of `chosen` (test suites are not policy) validated as one policy; a
    payer's overlay is applied to the base table of `bases` (base's tables in force) it extends."""
    tables, value_sets, facts, problems = [], [], [], []
    for v in chosen:
        try:
            if v.kind == "table":
                tables.append(table_of(v, next((b for b in bases if b.name == v.name), None)))
            elif v.kind == "value_set":
                value_sets.append(replace(parse("value_set", v.document, file_of(v), v.payer_id), version=v.version))
            elif v.kind == "facts":
                facts += parse("facts", v.document, file_of(v), v.payer_id)
        except PolicyError as exc:
            problems += exc.problems
    if problems:
        raise ValidationError(problems)
    return build_policy(payer_id, tables, value_sets, analyse, tuple(facts))


def table_of(v: Version, base: Version | None):
    """A table version as its model; an overlay applied to `base`, labelled with both versions."""
    if not is_overlay(v.document):
        return parse("table", v.document, file_of(v), v.payer_id, v.version)
    document = apply(v.document, base.document if base else None, file_of(v), file_of(base) if base else None)
    return replace(parse("table", document, file_of(v), v.payer_id, v.version), base_label=base.label)


def engine_on(versions: list[Version], payer_id: str, on: date, analyse: bool = False) -> PolicyEngine:
    """The payer's policy as in force on `on`, validated and compiled; raises with every problem.

    Serving needs only validation and compilation; publishing asks for the full analysis too.
    """
    chosen = in_force(versions, payer_id, on)
    return PolicyEngine.build(policy_from(payer_id, chosen, analyse, extended(versions, chosen, on)))


def folder_policy(root: Path, payer_id: str = DEFAULT_PAYER, analyse: bool = True) -> Policy:
    """A folder's policy for one payer, as the store would serve it today."""
    versions, on = folder_versions(root), clock.today()
    chosen = in_force(versions, payer_id, on)
    return policy_from(payer_id, chosen, analyse, extended(versions, chosen, on))


def folder_engines(root: Path) -> dict[str, PolicyEngine]:
    """Every payer of a folder, compiled; raises with every problem of the first bad one."""
    versions = folder_versions(root)
    return {payer: engine_on(versions, payer, clock.today(), analyse=True) for payer in payers_of(versions)}
