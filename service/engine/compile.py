"""Validated policy -> durable_rules rulesets that can never reach the engine's sharp edges.

Every table row becomes one rule per alternative of its cells (disjunctive normal form), so the
node tree the engine builds is known here and can be counted before the engine sees it:
children per node, terminal nodes one fact can match, rules per ruleset, properties per fact.
Small tables live in one main ruleset; a table too big for it is sharded by the hash of its most
selective equality column into shard rulesets, with buckets inside each, and only the shard that
can match is asked. Value sets and list tests are resolved by hash in Python into boolean flags.
"""
from __future__ import annotations

import itertools
import json
import math
import zlib
from dataclasses import dataclass, field

from ..tables.errors import CompileError, Problem
from ..tables.model import ColumnType, Table
from ..tables.policy import Policy
from ..tables.unary import Cell, Compare, Equal, InSet, Interval, Test
from .limits import DEFAULT_LIMITS, EngineLimits

PRI_ROWS, PRI_RESOLVE = 0, 1
_NEGATE = {"lt": "gte", "lte": "gt", "gt": "lte", "gte": "lt"}
_OPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}


@dataclass(frozen=True)
class Atom:
    field: str
    op: str          # eq, neq, lt, lte, gt, gte
    value: object

    def json(self) -> dict:
        return {self.field: self.value} if self.op == "eq" else {f"${self.op}": {self.field: self.value}}

    def key(self) -> tuple:
        return (self.field, self.op, json.dumps(self.value))


@dataclass(frozen=True)
class Flag:
    """A test answered in Python before posting: value-set membership, or a list element."""
    field: str
    input: str
    test: Test


@dataclass(frozen=True)
class Shard:
    input: str
    field: str
    partitions: tuple[str, ...]     # ruleset names, chosen by hash % len
    buckets: int                    # `$b` values inside each partition
    wildcard: tuple[str, ...]       # rulesets always asked (rows without an equality on the column)


@dataclass(frozen=True)
class Layout:
    """Where each input of a table lands in the fact the engine matches."""
    table: str
    fields: dict[str, str] = field(hash=False)          # input name -> scalar field
    flags: tuple[Flag, ...] = ()
    shard: Shard | None = None


@dataclass(frozen=True)
class Action:
    kind: str            # row | resolve | gather | probe
    table: str
    row: int | None = None


@dataclass(frozen=True)
class CompiledPolicy:
    policy: Policy
    rulesets: dict[str, dict] = field(hash=False)
    actions: dict[str, Action] = field(hash=False)
    layouts: dict[str, Layout] = field(hash=False)
    main: str = "main"
    roots: tuple[str, ...] = ()          # tables that read only case facts: posted at the start
    stats: dict = field(default_factory=dict, hash=False)


def shard_key(value) -> int:
    """Stable across processes (not Python's salted hash); 8 and 8.0 land together."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return zlib.crc32(json.dumps(value, ensure_ascii=False).encode("utf-8"))


def place(shard: Shard, value) -> tuple[str, int]:
    key = shard_key(value)
    return shard.partitions[key % len(shard.partitions)], (key // len(shard.partitions)) % shard.buckets


class _Builder:
    def __init__(self, policy: Policy, limits: EngineLimits, name_prefix: str):
        self.policy, self.limits, self.prefix = policy, limits, name_prefix
        self.main = f"{name_prefix}main"
        self.rulesets: dict[str, dict] = {self.main: {}}
        self.actions: dict[str, Action] = {}
        self.layouts: dict[str, Layout] = {}
        self.problems: list[Problem] = []
        self._action_ids: dict[Action, str] = {}

    def fail(self, table: Table, message: str, row: str | None = None, column: str | None = None):
        self.problems.append(Problem(message, table.file, table.name, row, column))

    def action(self, spec: Action) -> str:
        if spec not in self._action_ids:
            name = f"a{len(self._action_ids)}"
            self._action_ids[spec] = name
            self.actions[name] = spec
        return self._action_ids[spec]

    def add_rule(self, ruleset: str, patterns: list[tuple[str, list[dict]]], pri: int, action: str):
        rules = self.rulesets.setdefault(ruleset, {})
        rules[f"r{len(rules)}"] = {
            "all": [{name: {"$and": conds} if len(conds) > 1 else conds[0]} for name, conds in patterns],
            "pri": pri,
            "run": action,
        }

    # -- layouts and cells -------------------------------------------------------------------
    def layout(self, table: Table) -> Layout:
        fields, flags = {}, {}
        for position, inp in enumerate(table.inputs):
            if inp.type is not ColumnType.LIST:
                fields[inp.name] = f"i{position}"
            for rule in table.rules:
                for test in rule.cell(inp.name).tests:
                    if isinstance(test, InSet) or inp.type is ColumnType.LIST:
                        flags.setdefault((inp.name, test), Flag(f"f{len(flags)}", inp.name, test))
        return Layout(table.name, fields, tuple(flags.values()))

    def cell_dnf(self, layout: Layout, table: Table, name: str, cell: Cell) -> list[list[Atom]]:
        if cell.is_any:
            return [[]]
        per_test = [self.test_dnf(layout, table, name, t, cell.negated) for t in cell.tests]
        if not cell.negated:
            return [conj for dnf in per_test for conj in dnf]
        # not(t1, t2) = not t1 and not t2: the product of each negation's alternatives
        return [sum(combo, []) for combo in itertools.product(*per_test)]

    def test_dnf(self, layout: Layout, table: Table, name: str, test: Test, negated: bool) -> list[list[Atom]]:
        flag = next((f for f in layout.flags if f.input == name and f.test == test), None)
        if flag is not None:
            return [[Atom(flag.field, "eq", not negated)]]
        f = layout.fields[name]
        if isinstance(test, Equal):
            return [[Atom(f, "neq" if negated else "eq", test.value)]]
        if isinstance(test, Compare):
            op = _OPS[test.op]
            return [[Atom(f, _NEGATE[op] if negated else op, test.value)]]
        assert isinstance(test, Interval)
        low_op = "gte" if test.low_closed else "gt"
        high_op = "lte" if test.high_closed else "lt"
        if negated:
            return [[Atom(f, _NEGATE[low_op], test.low)], [Atom(f, _NEGATE[high_op], test.high)]]
        return [[Atom(f, low_op, test.low), Atom(f, high_op, test.high)]]

    def variants(self, layout: Layout, table: Table) -> list[tuple[int, tuple[Atom, ...]]]:
        out = []
        for rule in table.rules:
            dnfs = [self.cell_dnf(layout, table, inp.name, rule.cell(inp.name)) for inp in table.inputs]
            count = math.prod(len(d) for d in dnfs)
            if count > self.limits.max_variants:
                self.fail(table, f"the cells of this row expand into {count} alternatives (at most "
                          f"{self.limits.max_variants}); put long lists of values in a value set", row=rule.id)
                continue
            for combo in itertools.product(*dnfs):
                out.append((rule.index, tuple(a for conj in combo for a in conj)))
        return out

    # -- placement ---------------------------------------------------------------------------
    def compile_table(self, table: Table) -> None:
        layout = self.layout(table)
        properties = len(layout.fields) + len(layout.flags) + 5
        if properties > self.limits.max_properties:
            self.fail(table, f"its fact would carry {properties} properties (at most "
                      f"{self.limits.max_properties}): too many inputs and distinct list/value-set tests")
            return
        variants = self.variants(layout, table)
        discriminator = {"$t": table.name}
        if len(variants) > self.limits.inline_rules:
            layout = self.shard(table, layout, variants)
            if layout is None:
                return
            self.add_rule(self.main, [("m", [discriminator])], PRI_ROWS, self.action(Action("probe", table.name)))
        else:
            for row, atoms in variants:
                self.add_rule(self.main, [("m", [discriminator] + [a.json() for a in atoms])], PRI_ROWS,
                              self.action(Action("row", table.name, row)))
        self.add_rule(self.main, [("m", [discriminator])], PRI_RESOLVE, self.action(Action("resolve", table.name)))
        upstream = self.policy.upstream(table.name)
        if upstream:
            patterns = [(f"u{k}", [{"$o": name}]) for k, name in enumerate(upstream)]
            self.add_rule(self.main, patterns, PRI_RESOLVE, self.action(Action("gather", table.name)))
        self.layouts[table.name] = layout

    def shard(self, table: Table, layout: Layout, variants) -> Layout | None:
        """Partition a big table by the hash of the scalar column most rows test for equality."""
        def eq_on(atoms, f):
            return [a for a in atoms if a.field == f and a.op == "eq"]
        counts = {name: sum(1 for _, atoms in variants if len(eq_on(atoms, f)) == 1)
                  for name, f in layout.fields.items()}
        best = max(counts, key=counts.get, default=None)
        if best is None or counts[best] * 2 < len(variants):
            self.fail(table, f"{len(variants)} rule alternatives is more than one ruleset holds "
                      f"({self.limits.inline_rules}) and no column is tested for equality by at least half "
                      "of the rows, so the table cannot be sharded")
            return None
        f = layout.fields[best]
        hashed = [(row, atoms) for row, atoms in variants if len(eq_on(atoms, f)) == 1]
        wild = [(row, atoms) for row, atoms in variants if len(eq_on(atoms, f)) != 1]
        partitions = max(1, math.ceil(len(hashed) / self.limits.shard_rules))
        buckets = max(1, math.ceil(len(hashed) / (partitions * self.limits.bucket_rules)))
        names = tuple(f"{self.prefix}{table.name}__p{p}" for p in range(partitions))
        wild_names = tuple(f"{self.prefix}{table.name}__w{w}"
                           for w in range(math.ceil(len(wild) / self.limits.shard_rules)))
        shard = Shard(best, f, names, buckets, wild_names)
        for name in names + wild_names:
            self.rulesets[name] = {}
        for row, atoms in hashed:
            (eq,) = eq_on(atoms, f)
            ruleset, bucket = place(shard, eq.value)
            rest = [eq] + [a for a in atoms if a is not eq]
            self.add_rule(ruleset, [("m", [{"$t": table.name}, {"$b": bucket}] + [a.json() for a in rest])],
                          PRI_ROWS, self.action(Action("row", table.name, row)))
        for k, (row, atoms) in enumerate(wild):
            self.add_rule(wild_names[k // self.limits.shard_rules],
                          [("m", [{"$t": table.name}] + [a.json() for a in atoms])],
                          PRI_ROWS, self.action(Action("row", table.name, row)))
        return Layout(layout.table, layout.fields, layout.flags, shard)

    # -- the engine's limits, counted before it ever sees a ruleset ---------------------------
    def check_limits(self) -> dict:
        stats = {"rulesets": len(self.rulesets), "rules": 0, "max_children": 0, "max_matches": 0}
        for name, rules in self.rulesets.items():
            stats["rules"] += len(rules)
            if len(rules) > self.limits.max_rules:
                self.problems.append(Problem(f"ruleset {name} would hold {len(rules)} rules "
                                             f"(durable_rules allows {self.limits.max_rules})"))
            trie = _Trie()
            for rule in rules.values():
                for pattern in rule["all"]:
                    (conds,) = pattern.values()
                    trie.add(conds["$and"] if "$and" in conds else [conds])
            widest, where = trie.widest()
            stats["max_children"] = max(stats["max_children"], widest)
            if widest > self.limits.max_children:
                self.problems.append(Problem(
                    f"ruleset {name}: {widest} distinct conditions under one node ({where}); durable_rules "
                    f"hangs past 512. Use a value set, or an equality column the table can be sharded by"))
            for top, matches in trie.matches_per_fact():
                stats["max_matches"] = max(stats["max_matches"], matches)
                if matches > self.limits.max_matches:
                    self.problems.append(Problem(
                        f"ruleset {name}: up to {matches} distinct conditions can match one {top} fact "
                        f"(durable_rules fails past 64); make the rows' tests exclusive or use fewer thresholds"))
        return stats


class _Node:
    __slots__ = ("children", "terminal")

    def __init__(self):
        self.children: dict[tuple, _Node] = {}
        self.terminal = False


class _Trie:
    """The condition-node tree durable_rules builds from `$and` lists (shared prefixes)."""

    def __init__(self):
        self.root = _Node()

    def add(self, conds: list[dict]) -> None:
        node = self.root
        for cond in conds:
            key = _cond_key(cond)
            node = node.children.setdefault(key, _Node())
        node.terminal = True

    def widest(self) -> tuple[int, str]:
        best, where, stack = 0, "", [(self.root, "root")]
        while stack:
            node, path = stack.pop()
            if len(node.children) > best:
                best, where = len(node.children), path
            for key, child in node.children.items():
                stack.append((child, f"{key[0]} {key[1]} {key[2]}"))
        return best, where

    def matches_per_fact(self):
        for key, child in self.root.children.items():
            yield f"{key[0]}={key[2]}", _bound(child)


def _cond_key(cond: dict) -> tuple:
    (k, v), = cond.items()
    if k.startswith("$") and isinstance(v, dict) and k not in ("$t", "$o", "$b", "$i"):
        (f, value), = v.items()
        return (f, k[1:], json.dumps(value))
    return (k, "eq", json.dumps(v))


def _bound(node: _Node) -> int:
    """Most terminal nodes one fact can reach below here: equalities on one field exclude each other."""
    total = 1 if node.terminal else 0
    exclusive: dict[str, int] = {}
    stack_total = 0
    for (f, op, _), child in node.children.items():
        b = _bound(child)
        if op == "eq":
            exclusive[f] = max(exclusive.get(f, 0), b)
        else:
            stack_total += b
    return total + stack_total + sum(exclusive.values())


_counter = itertools.count()


def compile_policy(policy: Policy, limits: EngineLimits = DEFAULT_LIMITS) -> CompiledPolicy:
    """Compile every table; raise CompileError naming each limit a table would break."""
    builder = _Builder(policy, limits, name_prefix=f"p{next(_counter)}_")
    for name in policy.order:
        builder.compile_table(policy.tables[name])
    stats = builder.check_limits() if not builder.problems else {}
    if builder.problems:
        raise CompileError(builder.problems)
    roots = tuple(n for n in policy.order if not policy.upstream(n))
    return CompiledPolicy(policy, builder.rulesets, builder.actions, builder.layouts, builder.main, roots, stats)
