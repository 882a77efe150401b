"""Hypothesis strategies: contract cases, and random policies of every hit policy."""
from __future__ import annotations

from hypothesis import strategies as st

from service.case_schema import CREDENTIALS, METHODS, PRESCRIBERS, PURPOSES, RED_FLAGS
from service.tables.loader import table_from_document, value_set_from_document

DX = ["M54.50", "M54.5", "M62.830", "M62.8", "R51.9", "I89.0", "S13.4XXA", "M79.1", "M79.7", "G44.209"]
CODES = ["97124", "97140", "97110", "97530"]
OTHER = ["98940", "98941", "98942", "97012"]


def _maybe(d: dict, optional: dict):
    return st.fixed_dictionaries(d, optional=optional)


cases = st.fixed_dictionaries(
    {
        "date_of_service": st.sampled_from(["2026-11-20", "2026-02-28"]),
        "service": _maybe({"purpose": st.sampled_from(PURPOSES)}, {
            "minutes": st.dictionaries(st.sampled_from(CODES), st.integers(0, 130), max_size=3),
            "other_codes": st.lists(st.sampled_from(OTHER), max_size=2, unique=True),
            "regions": st.dictionaries(st.sampled_from(CODES + OTHER),
                                       st.lists(st.sampled_from(["lumbar", "cervical"]), max_size=2, unique=True),
                                       max_size=3),
        }),
        "practitioner": _maybe({"credential": st.sampled_from(CREDENTIALS), "license_active": st.booleans()},
                               {"license_state": st.just("TX")}),
    },
    optional={
        "payer_id": st.just("default"),
        "clinical": _maybe({}, {
            "diagnosis_codes": st.lists(st.sampled_from(DX), max_size=3),
            "prescription": _maybe({"present": st.booleans()}, {
                "prescriber": st.sampled_from(PRESCRIBERS),
                "date": st.sampled_from([None, "2025-11-20", "2026-02-27", "2026-08-22", "2026-11-21"])}),
            "functional_goals": st.booleans(),
            "progress_documented": st.booleans(),
            "measurable_improvement": st.booleans(),
            "visit_number": st.integers(1, 25),
            "visits_this_year": st.integers(0, 30),
            "red_flags": st.lists(st.sampled_from(RED_FLAGS), max_size=2, unique=True),
        }),
        "payment": _maybe({}, {
            "method": st.sampled_from(METHODS),
            "lomn_on_file": st.booleans(),
            "lomn_date": st.sampled_from([None, "2025-11-19", "2025-11-20", "2026-06-01", "2026-12-01"]),
        }),
    },
)

# -- random policies -----------------------------------------------------------------------------

NUMBER_FACTS = ["clinical.visit_number", "clinical.visits_this_year", "derived.total_timed_minutes",
                "derived.lomn_age_months", "derived.prescription_age_days"]
DATE_FACTS = ["date_of_service"]
STRING_FACTS = {"service.purpose": PURPOSES[:6], "practitioner.credential": CREDENTIALS[:5],
                "payment.method": METHODS}
BOOLEAN_FACTS = ["clinical.functional_goals", "practitioner.license_active", "payment.lomn_on_file"]
LIST_FACTS = {"clinical.diagnosis_codes": DX, "clinical.red_flags": RED_FLAGS[:4], "derived.billed_codes": CODES}
OUT_VALUES = ["a", "b", "c"]

VALUE_SETS = [
    value_set_from_document({"value_set": "dx_prefix", "match": "prefix", "codes": ["M54", "M62.83", "I89"]}, "<gen>"),
    value_set_from_document({"value_set": "some_purposes", "codes": ["pain", "injury", "relaxation"]}, "<gen>"),
    value_set_from_document({"value_set": "some_codes", "codes": ["97124", "97110"]}, "<gen>"),
]
_SETS_FOR = {"clinical.diagnosis_codes": "dx_prefix", "service.purpose": "some_purposes",
             "derived.billed_codes": "some_codes"}


NUMBERS = st.integers(-2, 40) | st.sampled_from([7.5, 22.5])
# days either side of and between the cases' dates of service (2026-02-28, 2026-11-20)
DATES = st.sampled_from(["2026-02-27", "2026-02-28", "2026-03-01", "2026-06-15", "2026-11-20", "2026-11-21"]).map(
    lambda day: f'date("{day}")')


@st.composite
def number_cell(draw, n=NUMBERS):
    """A cell of a number column, or of a date column with `n=DATES`."""
    kind = draw(st.sampled_from(["any", "cmp", "range", "eq", "list", "not"]))
    if kind == "any":
        return "-"
    if kind == "cmp":
        return f"{draw(st.sampled_from(['<', '<=', '>', '>=']))} {draw(n)}"
    if kind == "range":
        a, b = sorted((draw(n), draw(n)))
        return f"{draw(st.sampled_from(['[', '(', ']']))}{a}..{b}{draw(st.sampled_from([']', ')', '[']))}"
    if kind == "eq":
        return str(draw(n))
    if kind == "list":
        return ", ".join(str(draw(n)) for _ in range(draw(st.integers(2, 3))))
    inner = draw(number_cell(n).filter(lambda c: c != "-" and not c.startswith("not")))
    return f"not({inner})"


@st.composite
def string_cell(draw, values, value_set):
    kind = draw(st.sampled_from(["any", "eq", "list", "not", "set", "notset"] if value_set else ["any", "eq", "list", "not"]))
    lit = st.sampled_from(values).map(lambda v: f'"{v}"')
    if kind == "any":
        return "-"
    if kind == "eq":
        return draw(lit)
    if kind == "list":
        return ", ".join(draw(st.lists(lit, min_size=2, max_size=3, unique=True)))
    if kind == "not":
        return f"not({', '.join(draw(st.lists(lit, min_size=1, max_size=2, unique=True)))})"
    if kind == "set":
        return f"in {value_set}"
    return f"not(in {value_set})"


@st.composite
def policy_documents(draw):
    """1-3 tables; later tables may read earlier ones' outputs; returns (table docs, value sets)."""
    docs = []
    for k in range(draw(st.integers(1, 3))):
        policy = draw(st.sampled_from(["UNIQUE", "ANY", "FIRST", "PRIORITY", "COLLECT", "RULE ORDER"]))
        each = draw(st.sampled_from([None, None, "service.lines"]))
        inputs, cell_makers = {}, {}
        for j in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["number", "string", "boolean", "list", "count", "non_empty", "upstream", "date"]
                                        + (["item"] if each else [])))
            name = f"in{j}"
            if kind == "number":
                inputs[name] = {"from": draw(st.sampled_from(NUMBER_FACTS)), "type": "number"}
                if draw(st.booleans()):
                    inputs[name]["default"] = draw(st.integers(0, 5))
                cell_makers[name] = number_cell()
            elif kind == "date":
                inputs[name] = {"from": draw(st.sampled_from(DATE_FACTS)), "type": "date"}
                cell_makers[name] = number_cell(DATES)
            elif kind == "string":
                path = draw(st.sampled_from(sorted(STRING_FACTS)))
                inputs[name] = {"from": path, "type": "string"}
                cell_makers[name] = string_cell(STRING_FACTS[path], _SETS_FOR.get(path))
            elif kind == "boolean":
                inputs[name] = {"from": draw(st.sampled_from(BOOLEAN_FACTS)), "type": "boolean"}
                cell_makers[name] = st.sampled_from(["-", "true", "false"])
            elif kind == "list":
                path = draw(st.sampled_from(sorted(LIST_FACTS)))
                inputs[name] = {"from": path, "type": "list"}
                cell_makers[name] = string_cell(LIST_FACTS[path], _SETS_FOR.get(path))
            elif kind == "count":
                inputs[name] = {"from": draw(st.sampled_from(sorted(LIST_FACTS))), "type": "number", "transform": "count"}
                cell_makers[name] = number_cell()
            elif kind == "non_empty":
                inputs[name] = {"from": draw(st.sampled_from(sorted(LIST_FACTS))), "type": "boolean", "transform": "non_empty"}
                cell_makers[name] = st.sampled_from(["-", "true", "false"])
            elif kind == "item":
                field = draw(st.sampled_from(["cpt", "minutes"]))
                inputs[name] = {"from": f"item.{field}", "type": "string" if field == "cpt" else "number"}
                cell_makers[name] = string_cell(CODES, "some_codes") if field == "cpt" else number_cell()
            else:
                readable = [d for d in docs if not d.get("each")]
                if not readable:
                    inputs[name] = {"from": "clinical.functional_goals", "type": "boolean"}
                    cell_makers[name] = st.sampled_from(["-", "true", "false"])
                    continue
                up = draw(st.sampled_from(readable))
                collects = up["hit_policy"] in ("COLLECT", "RULE ORDER") and "aggregation" not in up
                out_name, out_spec = next(iter(up["outputs"].items()))
                if collects:
                    if out_spec["type"] != "string":
                        inputs[name] = {"from": "clinical.functional_goals", "type": "boolean"}
                        cell_makers[name] = st.sampled_from(["-", "true", "false"])
                        continue
                    inputs[name] = {"from": f"{up['table']}.{out_name}", "type": "list"}
                    cell_makers[name] = string_cell(OUT_VALUES, None)
                elif out_spec["type"] == "number":
                    inputs[name] = {"from": f"{up['table']}.{out_name}", "type": "number"}
                    cell_makers[name] = number_cell()
                else:
                    inputs[name] = {"from": f"{up['table']}.{out_name}", "type": "string"}
                    cell_makers[name] = string_cell(OUT_VALUES, None)
        aggregation = draw(st.sampled_from([None, "sum", "count", "min", "max"])) if policy == "COLLECT" else None
        if aggregation is not None:
            outputs = {"total": {"type": "number"}}
        elif draw(st.booleans()):
            outputs = {"label": {"type": "string", "allowed": OUT_VALUES}, "score": {"type": "number", "allowed": [1, 2, 3]}}
        else:
            outputs = {"label": {"type": "string", "allowed": OUT_VALUES}}
        rules = []
        for r in range(draw(st.integers(0, 6))):
            when = {name: draw(maker) for name, maker in cell_makers.items() if draw(st.booleans())}
            then = {o: draw(st.sampled_from(spec.get("allowed") or [1, 2, 5])) for o, spec in outputs.items()}
            rules.append({"id": f"R{r}", "when": when, "then": then})
        doc = {"table": f"t{k}", "hit_policy": policy, "inputs": inputs, "outputs": outputs, "rules": rules}
        if each:
            doc["each"] = each
        if aggregation:
            doc["aggregation"] = aggregation
        needs_default = (policy in ("UNIQUE", "ANY", "FIRST", "PRIORITY") or aggregation in ("min", "max"))
        if needs_default and (draw(st.booleans()) or aggregation in ("min", "max") or each or not rules):
            doc["default"] = {o: (spec.get("allowed") or [0])[0] for o, spec in outputs.items()}
        docs.append(doc)
    return docs


def tables_from(docs):
    return [table_from_document(doc, f"<gen {doc['table']}>") for doc in docs]
