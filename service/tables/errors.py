"""One error shape for every stage that reads tables, so a message always says where."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a table, located as precisely as the stage that found it can."""

    message: str
    file: str | None = None
    table: str | None = None
    row: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.table:
            where.append(f"table {self.table}")
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{': '.join([', '.join(where)] if where else [])}{': ' if where else ''}{self.message}"

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class PolicyError(Exception):
    """Base of every table error; carries all problems found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class LoadError(PolicyError):
    """The file is not a readable table document."""


class CellSyntaxError(PolicyError):
    """A cell is not a valid unary test."""


class ValidationError(PolicyError):
    """The tables parse but do not make a sound policy."""


class CompileError(PolicyError):
    """The policy is sound but cannot be given to durable_rules safely."""
