"""The hard limits of durable_rules 2.0.28 we reproduced, and the budgets we compile to.

Each budget keeps a margin below the engine's real limit: crossing the real one hangs the
process (children), fails every case that reaches it (matches, properties) or fails to load.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineLimits:
    # one condition node scans a 512-slot child table without bound: child 513 hangs in C
    max_children: int = 500
    # at most 64 distinct terminal condition nodes may match one fact (error 303)
    max_matches: int = 60
    # at most 4,096 rules in one ruleset (error 106)
    max_rules: int = 4000
    # about 250 properties in one fact (error 302)
    max_properties: int = 200
    # a row whose cells expand into more alternatives than this needs a value set instead
    max_variants: int = 64
    # rules of one big table per shard ruleset, and per bucket inside a shard
    shard_rules: int = 3000
    bucket_rules: int = 250
    # tables with more rule variants than this are sharded out of the main ruleset
    inline_rules: int = 400


DEFAULT_LIMITS = EngineLimits()
