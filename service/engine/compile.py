"""Validated policy -> durable_rules rulesets that can never reach the engine's sharp edges.

Every table row becomes one rule per alternative of its cells (disjunctive normal form), so the
node tree the engine builds is known here and can be counted before the engine sees it:
children per node, terminal nodes one fact can match, rules per ruleset, properties per fact.
Small tables live in one main ruleset; a table too big for it is sharded by the hash of its most
selective equality column into shard rulesets, with buckets inside each, and only the shard that
can match is asked. Value sets and list tests are resolved by hash in Python into boolean flags.
"""
from __future__ import annotations

import bisect
import dataclasses
import itertools
import json
import math
import re
import zlib
from dataclasses import dataclass, field

from ..tables.errors import CompileError, Problem
from ..tables.model import ColumnType, Table
from ..tables.policy import Policy
from ..tables.unary import Cell, Compare, Equal, InSet, Interval, Test
from .limits import DEFAULT_LIMITS, EngineLimits

PRI_ROWS, PRI_RESOLVE = 0, 1
SEGMENT_EQUALITIES = 4   # a run of up to this many segments becomes equalities, longer ones a range


@dataclass(frozen=True)
class Atom:
    field: str
    op: str          # eq, neq, lt, lte, gt, gte
    value: object

    def json(self) -> dict:
        return {self.field: self.value} if self.op == "eq" else {f"${self.op}": {self.field: self.value}}


@dataclass(frozen=True)
class Flag:
    """A test answered in Python before posting: value-set membership, or a list element."""
    field: str
    input: str
    test: Test


@dataclass(frozen=True)
class Shard:
    input: str | None               # the equality column hashed on; None when no row has one
    field: str | None
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
    # number and date inputs are posted as the index of the segment their value falls in, cut at every
    # constant the column's cells mention: each row then tests a few segment equalities instead
    # of open comparisons, which the engine cannot have more than 64 of matching under one node
    segments: dict[str, tuple] = field(default_factory=dict, hash=False)
    groups: int = 0          # always-true `$g<k>` flags the fact carries (see _Builder.groups)


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
    leaves: tuple[str, ...] = ()         # tables no table reads: resolved after the engine is done
    stats: dict = field(default_factory=dict, hash=False)


def number_constants(table: Table, name: str) -> tuple:
    constants = set()
    for rule in table.rules:
        for test in rule.cell(name).tests:
            if isinstance(test, (Equal, Compare)):
                constants.add(test.value)
            elif isinstance(test, Interval):
                constants.update((test.low, test.high))
    return tuple(sorted(constants))


def segment_of(constants: tuple, value) -> int:
    """Segments: 0 = below the first constant, 2k+1 = exactly constant k, 2k+2 = between k and k+1."""
    k = bisect.bisect_left(constants, value)
    if k < len(constants) and constants[k] == value:
        return 2 * k + 1
    return 2 * k


def _test_run(constants: tuple, test) -> tuple[int, int]:
    """The inclusive run of segments where a number test holds (empty when low > high)."""
    top = 2 * len(constants)

    def at(v):
        return 2 * bisect.bisect_left(constants, v) + 1    # v is always one of the constants
    if isinstance(test, Equal):
        return at(test.value), at(test.value)
    if isinstance(test, Compare):
        point = at(test.value)
        return {"<": (0, point - 1), "<=": (0, point), ">": (point + 1, top), ">=": (point, top)}[test.op]
    low, high = at(test.low), at(test.high)
    return (low if test.low_closed else low + 1), (high if test.high_closed else high - 1)


def segment_dnf(field_name: str, constants: tuple, cell: Cell) -> list[list[Atom]]:
    top = 2 * len(constants)
    covered = set()
    for test in cell.tests:
        low, high = _test_run(constants, test)
        covered.update(range(low, high + 1))
    if cell.negated:
        covered = set(range(top + 1)) - covered
    if not covered:
        return []            # the cell can never hold: the row has no alternatives
    if len(covered) <= SEGMENT_EQUALITIES:
        return [[Atom(field_name, "eq", s)] for s in sorted(covered)]
    alternatives, ordered = [], sorted(covered)
    start = previous = ordered[0]
    for s in ordered[1:] + [None]:
        if s is not None and s == previous + 1:
            previous = s
            continue
        atoms = ([Atom(field_name, "gte", start)] if start > 0 else []) + \
                ([Atom(field_name, "lte", previous)] if previous < top else [])
        alternatives.append(atoms)
        if s is not None:
            start = previous = s
    return alternatives


def _group_count(groups: list[int | None]) -> int:
    return max((g for g in groups if g is not None), default=-1) + 1


def _group_cond(group: int | None) -> list[dict]:
    return [] if group is None else [{f"$g{group}": True}]


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
        fields, flags, segments = {}, {}, {}
        for position, inp in enumerate(table.inputs):
            if inp.type is not ColumnType.LIST:
                fields[inp.name] = f"i{position}"
            if inp.type in (ColumnType.NUMBER, ColumnType.DATE):
                segments[inp.name] = number_constants(table, inp.name)
            for rule in table.rules:
                for test in rule.cell(inp.name).tests:
                    if isinstance(test, InSet) or inp.type is ColumnType.LIST:
                        flags.setdefault((inp.name, test), Flag(f"f{len(flags)}", inp.name, test))
        return Layout(table.name, fields, tuple(flags.values()), segments=segments)

    def cell_dnf(self, layout: Layout, table: Table, name: str, cell: Cell) -> list[list[Atom]]:
        if cell.is_any:
            return [[]]
        if name in layout.segments:
            return segment_dnf(layout.fields[name], layout.segments[name], cell)
        per_test = [self.test_dnf(layout, table, name, t, cell.negated) for t in cell.tests]
        if not cell.negated:
            return [conj for dnf in per_test for conj in dnf]
        # not(t1, t2) = not t1 and not t2: the product of each negation's alternatives
        return [sum(combo, []) for combo in itertools.product(*per_test)]

    def test_dnf(self, layout: Layout, table: Table, name: str, test: Test, negated: bool) -> list[list[Atom]]:
        flag = next((f for f in layout.flags if f.input == name and f.test == test), None)
        if flag is not None:
            return [[Atom(flag.field, "eq", not negated)]]
        assert isinstance(test, Equal)
        return [[Atom(layout.fields[name], "neq" if negated else "eq", test.value)]]

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
        properties = len(layout.fields) + len(layout.flags) + 5 + self.limits.max_matches // 10
        if properties > self.limits.max_properties:
            self.fail(table, f"its fact would carry {properties} properties (at most "
                      f"{self.limits.max_properties}): too many inputs and distinct list/value-set tests")
            return
        variants = self.variants(layout, table)
        discriminator = {"$t": table.name}
        if len(variants) > self.limits.inline_rules:
            layout = self.shard(table, layout, variants)
            self.add_rule(self.main, [("m", [discriminator])], PRI_ROWS, self.action(Action("probe", table.name)))
        else:
            groups = self.groups(table, variants)
            layout = dataclasses.replace(layout, groups=_group_count(groups))
            for (row, atoms), group in zip(variants, groups, strict=False):
                self.add_rule(self.main, [("m", [discriminator] + _group_cond(group) + [a.json() for a in atoms])],
                              PRI_ROWS, self.action(Action("row", table.name, row)))
        if self.policy.readers(table.name):
            self.add_rule(self.main, [("m", [discriminator])], PRI_RESOLVE, self.action(Action("resolve", table.name)))
        upstream = self.policy.upstream(table.name)
        if upstream:
            patterns = [(f"u{k}", [{"$o": name}]) for k, name in enumerate(upstream)]
            self.add_rule(self.main, patterns, PRI_RESOLVE, self.action(Action("gather", table.name)))
        self.layouts[table.name] = layout

    def shard(self, table: Table, layout: Layout, variants) -> Layout:
        """Partition a big table by the hash of the scalar column most rows test for equality."""
        def eq_on(atoms, f):
            return [a for a in atoms if a.field == f and a.op == "eq"]
        counts = {name: sum(1 for _, atoms in variants if len(eq_on(atoms, f)) == 1)
                  for name, f in layout.fields.items()}
        best = max(counts, key=counts.get, default=None)
        if best is None or counts[best] == 0:
            f = None     # no equality column: the rows are only split across rulesets, all asked
            hashed, wild = [], variants
        else:
            f = layout.fields[best]
            hashed = [(row, atoms) for row, atoms in variants if len(eq_on(atoms, f)) == 1]
            wild = [(row, atoms) for row, atoms in variants if len(eq_on(atoms, f)) != 1]
        partitions = math.ceil(len(hashed) / self.limits.shard_rules)
        buckets = max(1, math.ceil(len(hashed) / (max(partitions, 1) * self.limits.bucket_rules)))
        names = tuple(f"{self.prefix}{table.name}__p{p}" for p in range(partitions))
        wild_names = tuple(f"{self.prefix}{table.name}__w{w}"
                           for w in range(math.ceil(len(wild) / self.limits.shard_rules)))
        shard = Shard(best if f else None, f, names, buckets, wild_names)
        for name in names + wild_names:
            self.rulesets[name] = {}
        for row, atoms in hashed:
            (eq,) = eq_on(atoms, f)
            ruleset, bucket = place(shard, eq.value)
            rest = [eq] + [a for a in atoms if a is not eq]
            self.add_rule(ruleset, [("m", [{"$t": table.name}, {"$b": bucket}] + [a.json() for a in rest])],
                          PRI_ROWS, self.action(Action("row", table.name, row)))
        groups = self.groups(table, wild)
        for k, ((row, atoms), group) in enumerate(zip(wild, groups, strict=False)):
            self.add_rule(wild_names[k // self.limits.shard_rules],
                          [("m", [{"$t": table.name}] + _group_cond(group) + [a.json() for a in atoms])],
                          PRI_ROWS, self.action(Action("row", table.name, row)))
        return dataclasses.replace(layout, shard=shard, groups=_group_count(groups))

    def groups(self, table: Table, variants) -> list[int | None]:
        """Rows whose open ranges could match too many siblings at once are split into groups.

        Each group hangs under its own always-true flag (`$g0`, `$g1`, ...), so no node has more
        than a group's worth of children that one fact can match.
        """
        trie = _Trie()
        for _, atoms in variants:
            trie.add([{"$t": table.name}] + [a.json() for a in atoms])
        if trie.worst(_matching_children)[0] <= self.limits.max_matches:
            return [None] * len(variants)
        size = self.limits.max_matches - 10
        count = math.ceil(len(variants) / size)
        if count > size:
            self.fail(table, f"{len(variants)} rule alternatives with overlapping open ranges are more than "
                      f"{size * size} that can be split into groups durable_rules can match")
        return [k // size for k in range(len(variants))]

    # -- the engine's limits, counted before it ever sees a ruleset ---------------------------
    def _located(self, where: str, message: str) -> Problem:
        """Name the table a node belongs to (its path starts with the table discriminator)."""
        found = re.match(r'^\$t="([^"]+)"', where)
        table = self.policy.tables.get(found.group(1)) if found else None
        return Problem(message, table.file, table.name) if table else Problem(message)

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
            widest, where = trie.worst(lambda node: len(node.children))
            stats["max_children"] = max(stats["max_children"], widest)
            if widest > self.limits.max_children:
                self.problems.append(self._located(
                    where, f"{widest} distinct conditions under one node ({where}); durable_rules "
                    f"hangs past 512. Use a value set, or an equality column the table can be sharded by"))
            matches, where = trie.worst(_matching_children)
            stats["max_matches"] = max(stats["max_matches"], matches)
            if matches > self.limits.max_matches:
                self.problems.append(self._located(
                    where, f"up to {matches} conditions under one node ({where}) can match one fact "
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

    def worst(self, measure) -> tuple[int, str]:
        """The largest `measure(node)` over the tree, and the path to that node."""
        best, where, stack = 0, "", [(self.root, "root")]
        while stack:
            node, path = stack.pop()
            value = measure(node)
            if value > best:
                best, where = value, path
            for key, child in node.children.items():
                stack.append((child, _step(path, key)))
        return best, where


def _step(path: str, key: tuple) -> str:
    step = f"{key[0]} {key[1]} {key[2]}" if key[1] != "eq" else f"{key[0]}={key[2]}"
    return step if path == "root" else f"{path} > {step}"


def _cond_key(cond: dict) -> tuple:
    (k, v), = cond.items()
    if k.startswith("$") and isinstance(v, dict) and k not in ("$t", "$o", "$b", "$i"):
        (f, value), = v.items()
        return (f, k[1:], json.dumps(value))
    return (k, "eq", json.dumps(v))


def _matching_children(node: _Node) -> int:
    """Upper bound: per field, one equality, every inequality, and the most overlapping ranges."""
    by_field: dict[str, list[tuple[str, float]]] = {}
    for (f, op, value) in node.children:
        by_field.setdefault(f, []).append((op, json.loads(value)))
    total = 0
    for children in by_field.values():
        ops = [op for op, _ in children]
        total += (1 if "eq" in ops else 0) + ops.count("neq")
        ranges = [(op, v) for op, v in children if op in ("lt", "lte", "gt", "gte")]
        if ranges:
            points = sorted({p for _, v in ranges for p in (v - 0.5, v, v + 0.5)})
            total += max(sum(1 for op, v in ranges if _RANGE[op](p, v)) for p in points)
    return total


_RANGE = {"lt": lambda p, v: p < v, "lte": lambda p, v: p <= v,
          "gt": lambda p, v: p > v, "gte": lambda p, v: p >= v}


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
    leaves = tuple(n for n in policy.order if not policy.readers(n))
    return CompiledPolicy(policy, builder.rulesets, builder.actions, builder.layouts, builder.main, roots, leaves,
                          stats)
