"""Table results -> the decision of contract.md: classification, referrals, billing, trace, versions.

Which table answers which part of the decision is fixed here (the answer tables); what each table
says is the policy's business. A policy missing an answer table, one with the wrong outputs, or
one with a row that would put a value outside the contract into a decision, is refused before it
compiles.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .. import contract
from ..tables.errors import Problem
from ..tables.model import Aggregation, ColumnType, Table
from ..tables.policy import Policy
from .runtime import Evaluation, TableRun
from .units import allocate_units

LINES, PAIRS = "service.lines", "service.code_pairs"


@dataclass(frozen=True)
class AnswerTable:
    outputs: tuple[str, ...]
    collect: bool                 # a list of rows (COLLECT / RULE ORDER without aggregation)
    each: str | None = None


ANSWER_TABLES = {
    "classification": AnswerTable(("classification",), False),
    "referrals": AnswerTable(("to", "reason", "message"), True),
    "insurance_eligibility": AnswerTable(("code", "message"), True),
    "prior_authorization": AnswerTable(("required",), False),
    "insurance_documentation": AnswerTable(("document",), True),
    "units": AnswerTable(("units",), False),
    "line_coverage": AnswerTable(("covered", "reason", "message"), False, LINES),
    "line_modifiers": AnswerTable(("modifier",), True, LINES),
    "correct_coding_edits": AnswerTable(("action", "modifier", "reason", "message"), False, PAIRS),
    "hsa_fsa_eligibility": AnswerTable(("code", "message"), True),
    "hsa_fsa_documentation": AnswerTable(("document",), True),
}
_OUTPUT_TYPES = {"required": ColumnType.BOOLEAN, "covered": ColumnType.BOOLEAN, "units": ColumnType.NUMBER}
EDIT_ACTIONS = ("none", "drop", "modifier")

Check = Callable[[object], "str | None"]     # why a value does not fit, or None


def _one_of(codes: tuple, what: str) -> Check:
    return lambda value: None if value in codes else f"{value!r} is not {what} ({', '.join(codes)})"


def _whole_units(value) -> str | None:
    whole = not isinstance(value, bool) and (isinstance(value, int) or isinstance(value, float) and value.is_integer())
    fits = whole and 0 <= value <= contract.MAX_UNITS
    return None if fits else f"{value!r} is not a whole number of units from 0 to {contract.MAX_UNITS}"


def _modifier(value) -> str | None:
    fits = isinstance(value, str) and re.fullmatch(contract.MODIFIER_PATTERN, value)
    return None if fits else f"{value!r} is not a modifier (two capital letters or digits, as GP or 59)"


def _message(value) -> str | None:
    if isinstance(value, str) and len(value) > contract.MAX_MESSAGE:
        return f"the message is {len(value)} characters; at most {contract.MAX_MESSAGE}"
    return None


def _extended(policy: Policy, codes: tuple, value_set: str) -> tuple:
    extra = policy.value_sets.get(value_set)
    return codes + tuple(sorted(extra.codes - set(codes))) if extra else codes


# when decide() reads an output from a row's outputs
def _always(_outputs: dict) -> bool:
    return True


def _not_covered(outputs: dict) -> bool:
    return not outputs["covered"]


def _drops(outputs: dict) -> bool:
    return outputs["action"] == "drop"


def _adds_modifier(outputs: dict) -> bool:
    return outputs["action"] == "modifier"


def _value_rules(policy: Policy) -> dict[str, list[tuple[str, Check, Callable[[dict], bool]]]]:
    """Per answer table: (output, what its values must be, when decide() reads it from a row's outputs)."""
    reasons = _one_of(_extended(policy, contract.REASON_CODES, contract.EXTRA_REASON_CODES), "a reason code")
    documents = _one_of(_extended(policy, contract.DOCUMENTS, contract.EXTRA_DOCUMENTS), "a document")
    return {
        "classification": [("classification", _one_of(contract.CLASSIFICATIONS, "a classification"), _always)],
        "referrals": [("to", _one_of(contract.REFERRAL_TO, "a referral destination"), _always),
                      ("reason", _one_of(contract.REFERRAL_REASONS, "a referral reason"), _always),
                      ("message", _message, _always)],
        "insurance_eligibility": [("code", reasons, _always), ("message", _message, _always)],
        "insurance_documentation": [("document", documents, _always)],
        "units": [("units", _whole_units, _always)],
        "line_coverage": [("reason", reasons, _not_covered), ("message", _message, _always)],
        "line_modifiers": [("modifier", _modifier, _always)],
        "correct_coding_edits": [("action", _one_of(EDIT_ACTIONS, "an edit action"), _always),
                                 ("modifier", _modifier, _adds_modifier),
                                 ("reason", reasons, _drops), ("message", _message, _always)],
        "hsa_fsa_eligibility": [("code", reasons, _always), ("message", _message, _always)],
        "hsa_fsa_documentation": [("document", documents, _always)],
    }


def _value_problems(table: Table, rules: list) -> list[Problem]:
    """Every value a row or the default can put into a decision, held to the contract whether or
    not the output declares `allowed`."""
    if table.aggregation in (Aggregation.COUNT, Aggregation.SUM):
        return [Problem(f"`aggregation: {table.aggregation.value}` gives values no row states, which cannot be "
                        "held to the contract; use min, max or a single-hit policy", table.file, table.name)]
    given = [(rule.id, rule.then) for rule in table.rules] + ([("default", table.default)] if table.default else [])
    return [Problem(why, table.file, table.name, row, output)
            for row, outputs in given for output, check, read in rules
            if read(outputs) and (why := check(outputs[output])) is not None]


def answer_problems(policy: Policy) -> list[Problem]:
    """What keeps this policy from answering every part of the decision."""
    problems = []
    value_rules = _value_rules(policy)
    for name, spec in ANSWER_TABLES.items():
        table = policy.tables.get(name)
        if table is None:
            problems.append(Problem(f"the policy has no table {name!r}, which answers part of the decision"))
            continue
        shape_problems = len(problems)
        collects = not table.hit_policy.single_hit and table.aggregation is None
        if collects != spec.collect:
            want = "COLLECT or RULE ORDER (no aggregation)" if spec.collect else "a single-hit policy"
            problems.append(Problem(f"must use {want}", table.file, name))
        if table.each != spec.each:
            problems.append(Problem(f"must have `each: {spec.each}`" if spec.each else "must not have `each`",
                                    table.file, name))
        for output in spec.outputs:
            out = table.output(output)
            want_type = _OUTPUT_TYPES.get(output, ColumnType.STRING)
            if out is None:
                problems.append(Problem("this answer table needs the output", table.file, name, column=output))
            elif out.type is not want_type:
                problems.append(Problem(f"must be a {want_type.value}", table.file, name, column=output))
        if len(problems) == shape_problems and name in value_rules:
            problems += _value_problems(table, value_rules[name])
    return problems


def _ref(table: str, row_id: str) -> str:
    return f"{table}:{row_id}"


def _json(value):
    """An input as the trace shows it: a list, or a date as "YYYY-MM-DD"."""
    return list(value) if isinstance(value, tuple) else value.isoformat() if isinstance(value, date) else value


class _Results:
    """Reads the answer tables' results out of one evaluation, with the row that gave each."""

    def __init__(self, policy: Policy, evaluation: Evaluation):
        self.policy, self.evaluation = policy, evaluation
        self.runs = {(r.table, r.item): r for r in evaluation.runs}

    def single(self, table: str, item: int | None = None) -> tuple[str, dict]:
        run = self.runs[(table, item)]
        if run.resolution.used_default:
            return "default", run.resolution.value
        return self.policy.tables[table].rules[run.resolution.selected[0]].id, run.resolution.value

    def rows(self, table: str, item: int | None = None) -> list[tuple[str, dict]]:
        run = self.runs[(table, item)]
        rules = self.policy.tables[table].rules
        return [(rules[i].id, out) for i, out in zip(run.resolution.selected, run.resolution.value, strict=False)]

    def reasons(self, table: str) -> list[dict]:
        return [{"code": out["code"], "message": out["message"], "rule": _ref(table, row)}
                for row, out in self.rows(table)]

    def documents(self, table: str) -> list[str]:
        return list(dict.fromkeys(out["document"] for _, out in self.rows(table)))

    def referrals(self) -> list[dict]:
        found: dict[tuple, dict] = {}
        for row, out in self.rows("referrals"):
            found.setdefault((out["to"], out["reason"]), {
                "to": out["to"], "reason": out["reason"], "message": out["message"],
                "rule": _ref("referrals", row)})
        return list(found.values())

    def lines(self) -> tuple[list[dict], list[dict]]:
        """Billable lines, and a reason for every line dropped."""
        lines = self.evaluation.case.items[LINES]
        _, total = self.single("units")
        units = allocate_units(int(total["units"]), {line["cpt"]: line["minutes"] for line in lines})
        edits: dict[str, list[tuple[str, dict]]] = {}
        for index, pair in enumerate(self.evaluation.case.items[PAIRS]):
            row, out = self.single("correct_coding_edits", index)
            if out["action"] != "none":
                edits.setdefault(pair["column2"], []).append((row, out))
        billable, reasons = [], []
        for index, line in enumerate(lines):
            cpt = line["cpt"]
            dropped = self._dropped(index, cpt, units[cpt], edits.get(cpt, []))
            if dropped is not None:
                reasons.append(dropped)
                continue
            modifiers = [out["modifier"] for _, out in self.rows("line_modifiers", index)]
            modifiers += [out["modifier"] for _, out in edits.get(cpt, []) if out["action"] == "modifier"]
            billable.append({"cpt": cpt, "units": units[cpt], "modifiers": list(dict.fromkeys(modifiers))})
        return billable, reasons

    def _dropped(self, index: int, cpt: str, units: int, edits) -> dict | None:
        row, coverage = self.single("line_coverage", index)
        if not coverage["covered"]:
            return {"code": coverage["reason"], "message": coverage["message"],
                    "rule": _ref("line_coverage", row), "cpt": cpt}
        for edit_row, edit in edits:
            if edit["action"] == "drop":
                return {"code": edit["reason"], "message": edit["message"],
                        "rule": _ref("correct_coding_edits", edit_row), "cpt": cpt}
        if units == 0:
            return {"code": "below_billable_minutes", "message": "The 8-minute rule gives this code no unit",
                    "rule": "units:allocation", "cpt": cpt}
        return None

    def trace(self) -> list[dict]:
        entries = []
        for run in self.evaluation.runs:
            table = self.policy.tables[run.table]
            for index in run.resolution.selected:
                rule = table.rules[index]
                seen = {i.name: _json(run.inputs[i.name]) for i in table.inputs if not rule.cell(i.name).is_any}
                entries.append(_entry(table, run, rule.id, rule.annotation, seen, dict(rule.then)))
            if run.resolution.used_default:
                seen = {i.name: _json(run.inputs[i.name]) for i in table.inputs}
                entries.append(_entry(table, run, "default", "No row matched: the table's default",
                                      seen, dict(run.resolution.value)))
        return entries


def _entry(table: Table, run: TableRun, rule: str, annotation: str, inputs: dict, outputs: dict) -> dict:
    entry = {"table": table.name, "version": table.version_label, "rule": rule, "annotation": annotation,
             "inputs": inputs, "outputs": outputs}
    if run.item is not None:
        entry["item"] = run.item
    return entry


def decide(policy: Policy, evaluation: Evaluation, case_id: str | None = None) -> dict:
    """The decision JSON of contract.md."""
    results = _Results(policy, evaluation)
    _, classification = results.single("classification")
    case_reasons = results.reasons("insurance_eligibility")
    lines, line_reasons = results.lines()
    if not lines:
        case_reasons.append({"code": "no_billable_code", "message": "No billable line remains",
                             "rule": "units:allocation"})
    _, prior = results.single("prior_authorization")
    hsa_reasons = results.reasons("hsa_fsa_eligibility")
    decision = {
        "case_id": case_id,
        "payer_id": policy.payer_id,
        "date_of_service": evaluation.case.date_of_service.isoformat(),   # the case's, or the payer's today
        "classification": classification["classification"],
        "referrals": results.referrals(),
        "billing": {
            "insurance": {
                "eligible": not case_reasons,
                "prior_authorization_required": bool(prior["required"]),
                "lines": lines,
                "documentation_required": results.documents("insurance_documentation"),
                "reasons": case_reasons + line_reasons,
            },
            "hsa_fsa": {
                "eligible": not hsa_reasons,
                "documentation_required": results.documents("hsa_fsa_documentation"),
                "reasons": hsa_reasons,
            },
        },
        "trace": results.trace(),
        "policy": {"payer_id": policy.payer_id, "tables": policy.versions, "value_sets": policy.value_set_versions},
    }
    if case_id is None:
        del decision["case_id"]
    return decision
