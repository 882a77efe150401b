"""Documents in force -> a validated Policy -> a compiled PolicyEngine: the one way to build a policy."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

from .. import clock
from ..engine.policy_engine import PolicyEngine
from ..tables.policy import Policy
from ..tables.validate import build_policy
from .source import DEFAULT_PAYER, file_of, folder_versions, in_force, parse, payers_of
from .store import Version


def policy_from(payer_id: str, chosen: list[Version], analyse: bool = True) -> Policy:
    """Tables and value sets of `chosen` (test suites are not policy) validated as one policy."""
    tables, value_sets = [], []
    for v in chosen:
        if v.kind == "table":
            tables.append(parse("table", v.document, file_of(v), v.payer_id, v.version))
        elif v.kind == "value_set":
            value_sets.append(replace(parse("value_set", v.document, file_of(v), v.payer_id), version=v.version))
    return build_policy(payer_id, tables, value_sets, analyse)


def engine_on(versions: list[Version], payer_id: str, on: date, analyse: bool = False) -> PolicyEngine:
    """The payer's policy as in force on `on`, validated and compiled; raises with every problem.

    Serving needs only validation and compilation; publishing asks for the full analysis too.
    """
    return PolicyEngine.build(policy_from(payer_id, in_force(versions, payer_id, on), analyse))


def folder_policy(root: Path, payer_id: str = DEFAULT_PAYER, analyse: bool = True) -> Policy:
    """A folder's policy for one payer, as the store would serve it today."""
    return policy_from(payer_id, in_force(folder_versions(root), payer_id, clock.today()), analyse)


def folder_engines(root: Path) -> dict[str, PolicyEngine]:
    """Every payer of a folder, compiled; raises with every problem of the first bad one."""
    versions = folder_versions(root)
    return {payer: engine_on(versions, payer, clock.today(), analyse=True) for payer in payers_of(versions)}
