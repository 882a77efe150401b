"""Tables + value sets -> a Policy, or every problem with file, table, row and column."""
from __future__ import annotations

from datetime import date

from ..case_facts import COLLECTIONS, FACTS
from ..case_schema import CREDENTIALS, METHODS, PRESCRIBERS, PURPOSES
from ..declared_facts import ROOT as EXTENSIONS, DeclaredFact
from . import analysis
from .errors import Problem, ValidationError
from .model import Aggregation, ColumnType, HitPolicy, Input, Table, Transform, ValueSet
from .policy import Policy, Source, SourceKind
from .unary import Cell, Compare, Equal, InSet, Interval

_PY_TYPES = {ColumnType.STRING: (str,), ColumnType.NUMBER: (int, float), ColumnType.BOOLEAN: (bool,),
             ColumnType.LIST: (str,), ColumnType.DATE: (date,)}
# the string facts whose values the case contract closes; every other string fact is free text
_CLOSED_FACTS = {"service.purpose": PURPOSES, "practitioner.credential": CREDENTIALS,
                 "clinical.prescription.prescriber": PRESCRIBERS, "payment.method": METHODS}


def _fits(value, type_: ColumnType) -> bool:
    if isinstance(value, bool):
        return type_ is ColumnType.BOOLEAN
    return isinstance(value, _PY_TYPES[type_])


class _Checker:
    def __init__(self, tables: dict[str, Table], value_sets: dict[str, ValueSet], facts: tuple[DeclaredFact, ...]):
        self.tables, self.value_sets = tables, value_sets
        # the contract's facts and the payer's declared ones (whose `values` close them too)
        self.facts = {**FACTS, **{path: type_ for fact in facts for path, type_ in fact.sources().items()}}
        self.closed = {**_CLOSED_FACTS, **{f.path: f.values for f in facts if f.values and f.type is ColumnType.STRING}}
        self.problems: list[Problem] = []
        self.sources: dict[tuple[str, str], Source] = {}

    def add(self, table: Table, message: str, row: str | None = None, column: str | None = None):
        self.problems.append(Problem(message, table.file, table.name, row, column))

    # -- inputs ------------------------------------------------------------------------------
    def source_of(self, table: Table, inp: Input) -> Source | None:
        path = inp.source
        if path.startswith("item."):
            fields = COLLECTIONS.get(table.each or "", {})
            field = path[len("item."):]
            if not table.each:
                self.add(table, f"`{path}` reads an item but the table has no `each`", column=inp.name)
            elif field not in fields:
                self.add(table, f"items of {table.each} have no field {field!r} (they have {sorted(fields)})",
                         column=inp.name)
            else:
                return Source(SourceKind.ITEM, field, type=fields[field])
            return None
        if path in self.facts:
            return Source(SourceKind.FACT, path, type=self.facts[path])
        if path.startswith(f"{EXTENSIONS}."):
            declared = sorted(p for p in self.facts if p.startswith(f"{EXTENSIONS}."))
            self.add(table, f"`{path}` is not a fact the policy declares (it declares {declared})", column=inp.name)
            return None
        head, _, output = path.partition(".")
        if head in self.tables:
            upstream = self.tables[head]
            out = upstream.output(output)
            if out is None:
                self.add(table, f"table {head} has no output {output!r}", column=inp.name)
                return None
            if upstream.each:
                self.add(table, f"table {head} is evaluated per item; its outputs cannot be read by other tables",
                         column=inp.name)
                return None
            collects = upstream.hit_policy in (HitPolicy.COLLECT, HitPolicy.RULE_ORDER) and upstream.aggregation is None
            if collects and out.type is not ColumnType.STRING:
                self.add(table, f"{head}.{output} collects a list of {out.type.value}; only strings can be read",
                         column=inp.name)
                return None
            return Source(SourceKind.TABLE, output, head, ColumnType.LIST if collects else out.type)
        self.add(table, f"unknown input source {path!r}: not a case fact, an item field or <table>.<output>",
                 column=inp.name)
        return None

    def check_input(self, table: Table, inp: Input) -> None:
        source = self.source_of(table, inp)
        if source is None:
            return
        self.sources[(table.name, inp.name)] = source
        if inp.transform is not None:
            if source.type is not ColumnType.LIST:
                self.add(table, f"transform {inp.transform.value} needs a list source", column=inp.name)
                return
            produced = ColumnType.NUMBER if inp.transform is Transform.COUNT else ColumnType.BOOLEAN
        else:
            produced = source.type
        if produced is not inp.type:
            self.add(table, f"declared {inp.type.value} but {inp.source} gives {produced.value}"
                     + (f" (after {inp.transform.value})" if inp.transform else ""), column=inp.name)
        if inp.values is not None and inp.type is not ColumnType.STRING:
            self.add(table, "`values` applies to string inputs", column=inp.name)
        elif inp.values is not None and produced is inp.type:
            self.check_values(table, inp, source)
        if inp.default is not None and not _fits(inp.default, inp.type):
            self.add(table, f"default {inp.default!r} is not a {inp.type.value}", column=inp.name)

    def domain(self, source: Source) -> tuple[str, ...] | None:
        """Every value a string source can give, or None for free text. A table gives exactly what
        its rows and default say."""
        if source.kind is SourceKind.FACT:
            return self.closed.get(source.path)
        if source.kind is SourceKind.TABLE:
            upstream = self.tables[source.table]
            given = [rule.then.get(source.path) for rule in upstream.rules]
            given.append((upstream.default or {}).get(source.path))
            return tuple(dict.fromkeys(v for v in given if isinstance(v, str)))
        return None

    def check_values(self, table: Table, inp: Input, source: Source) -> None:
        """`values` is the input's whole domain (the analysis proves tables complete over it, the engine
        refuses a case outside it), so it must hold everything the source can give; "" (absent) always."""
        domain = self.domain(source)
        if domain is None:
            self.add(table, f"{inp.source} can be any text, so `values` cannot list all it may be; remove `values`",
                     column=inp.name)
            return
        missing = [v for v in domain if v and v not in inp.values]
        if missing:
            self.add(table, f"`values` must list every value {inp.source} can give; it lacks {missing}",
                     column=inp.name)
        if isinstance(inp.default, str) and inp.default and inp.default not in inp.values:
            self.add(table, f"default {inp.default!r} is not one of the input's values", column=inp.name)

    # -- cells -------------------------------------------------------------------------------
    def check_cell(self, table: Table, row: str, inp: Input, cell: Cell) -> None:
        for test in cell.tests:
            problem = self._test_problem(inp, test)
            if problem:
                self.add(table, problem, row=row, column=inp.name)

    def _test_problem(self, inp: Input, test) -> str | None:
        kind = inp.type
        if isinstance(test, Equal):
            if not _fits(test.value, kind):
                return f"{test.value!r} does not fit a {kind.value} column"
            if inp.values and test.value != "" and test.value not in inp.values:
                return f"{test.value!r} is not one of the input's values {list(inp.values)}"
        elif isinstance(test, (Compare, Interval)):
            if kind not in (ColumnType.NUMBER, ColumnType.DATE):
                return f"comparisons and intervals need a number or date column, this one is {kind.value}"
            bounds = (test.value,) if isinstance(test, Compare) else (test.low, test.high)
            if not all(_fits(b, kind) for b in bounds):
                return f"a {kind.value} column compares with {kind.value}s" + \
                    (' (date("YYYY-MM-DD"))' if kind is ColumnType.DATE else "")
        elif isinstance(test, InSet):
            if kind not in (ColumnType.STRING, ColumnType.LIST):
                return f"`in {test.name}` needs a string or list column, this one is {kind.value}"
            if test.name not in self.value_sets:
                return f"unknown value set {test.name!r}"
        return None

    # -- outputs -----------------------------------------------------------------------------
    def check_value(self, table: Table, name: str, value, row: str | None) -> None:
        out = table.output(name)
        if out is None:
            self.add(table, f"unknown output {name!r}", row=row, column=name)
        elif not _fits(value, out.type) or out.type is ColumnType.LIST:
            self.add(table, f"{value!r} does not fit output type {out.type.value}", row=row, column=name)
        elif out.allowed is not None and value not in out.allowed:
            self.add(table, f"{value!r} is not an allowed value {list(out.allowed)}", row=row, column=name)

    def check_table(self, table: Table) -> None:
        names = [i.name for i in table.inputs] + [o.name for o in table.outputs]
        for dup in {n for n in names if names.count(n) > 1}:
            self.add(table, "an input and an output share this name", column=dup)
        if table.each is not None and table.each not in COLLECTIONS:
            self.add(table, f"`each: {table.each}` is not a case collection ({sorted(COLLECTIONS)})")
        for out in table.outputs:
            if out.type is ColumnType.LIST:
                self.add(table, "outputs are scalars; use COLLECT to gather several", column=out.name)
            elif out.type is ColumnType.DATE:
                self.add(table, "outputs are strings, numbers or booleans, not dates", column=out.name)
            for value in out.allowed or ():
                if not _fits(value, out.type):
                    self.add(table, f"allowed value {value!r} is not a {out.type.value}", column=out.name)
        if table.aggregation is not None:
            if table.hit_policy is not HitPolicy.COLLECT:
                self.add(table, "an aggregation needs hit_policy COLLECT")
            elif len(table.outputs) != 1:
                self.add(table, "an aggregation needs exactly one output")
            elif table.aggregation is not Aggregation.COUNT and table.outputs[0].type is not ColumnType.NUMBER:
                self.add(table, f"{table.aggregation.value} needs a number output", column=table.outputs[0].name)
        if table.hit_policy is HitPolicy.PRIORITY and any(o.allowed is None for o in table.outputs):
            self.add(table, "PRIORITY ranks rows by each output's `allowed` order; give every output `allowed`")
        for inp in table.inputs:
            self.check_input(table, inp)
        seen: dict[str, int] = {}
        for rule in table.rules:
            if rule.id in seen:
                self.add(table, f"duplicate row id (also row #{seen[rule.id] + 1})", row=rule.id)
            seen.setdefault(rule.id, rule.index)
            for column, cell in rule.when.items():
                inp = table.input(column)
                if inp is None:
                    self.add(table, f"unknown input {column!r}", row=rule.id, column=column)
                else:
                    self.check_cell(table, rule.id, inp, cell)
            for name, value in rule.then.items():
                self.check_value(table, name, value, rule.id)
            for out in table.outputs:
                if out.name not in rule.then:
                    self.add(table, "every row gives every output; this one is missing", row=rule.id, column=out.name)
        if table.default is not None:
            if not table.hit_policy.single_hit and table.aggregation is None:
                self.add(table, "`default` applies to single-hit tables and aggregations only")
            for name, value in table.default.items():
                self.check_value(table, name, value, "default")
            for out in table.outputs:
                if out.name not in table.default:
                    self.add(table, "the default gives every output; this one is missing", row="default",
                             column=out.name)

    def order(self) -> tuple[str, ...]:
        """Dependency order, ties broken by name, so every process compiles the same rulesets."""
        needs = {name: {s.table for (t, _), s in self.sources.items() if t == name and s.kind is SourceKind.TABLE}
                 for name in sorted(self.tables)}
        done: list[str] = []
        while len(done) < len(needs):
            ready = [n for n, deps in needs.items() if n not in done and deps <= set(done)]
            if not ready:
                stuck = sorted(n for n in needs if n not in done)
                cycle = _cycle(needs, stuck[0], set(done))
                self.add(self.tables[cycle[0]], "tables read each other's outputs in a cycle: "
                         + " -> ".join(cycle + [cycle[0]]))
                return tuple(done + stuck)
            done.append(ready[0])
        return tuple(done)


def _cycle(needs: dict[str, set[str]], start: str, done: set[str]) -> list[str]:
    """Walk unresolved dependencies from `start` until a table repeats: that loop is the cycle."""
    path, node = [], start
    while node not in path:
        path.append(node)
        node = sorted(needs[node] - done)[0]
    return path[path.index(node):]


def build_policy(payer_id: str, tables: list[Table], value_sets: list[ValueSet], analyse: bool = True,
                 facts: tuple[DeclaredFact, ...] = ()) -> Policy:
    """Validate and assemble, `facts` (the payer's declared ones) among the sources tables may read;
    raise ValidationError with every problem found."""
    problems = []
    by_name: dict[str, Table] = {}
    for table in tables:
        if table.name in by_name:
            problems.append(Problem(f"table {table.name!r} is defined twice (also in {by_name[table.name].file})",
                                    table.file, table.name))
        by_name[table.name] = table
    sets: dict[str, ValueSet] = {}
    for vs in value_sets:
        if vs.name in sets:
            problems.append(Problem(f"value set {vs.name!r} is defined twice (also in {sets[vs.name].file})", vs.file))
        sets[vs.name] = vs
    declared: dict[str, DeclaredFact] = {}
    for fact in facts:
        if fact.name in declared:
            problems.append(Problem(f"fact {fact.name!r} is declared twice (also in {declared[fact.name].file})",
                                    fact.file))
        declared[fact.name] = fact
    for name in by_name:
        if name in {p.split(".")[0] for p in FACTS} | {"item", EXTENSIONS}:
            problems.append(Problem(f"a table may not be named like a case-fact root ({name})", by_name[name].file, name))
    checker = _Checker(by_name, sets, tuple(declared.values()))
    for table in by_name.values():
        checker.check_table(table)
    order = checker.order()
    if analyse and not checker.problems and not problems:
        for table in by_name.values():
            for message, row in analysis.check(table, sets):
                checker.add(table, message, row=row)
    problems += checker.problems
    if problems:
        raise ValidationError(problems)
    return Policy(payer_id, by_name, sets, order, checker.sources, tuple(declared.values()))
