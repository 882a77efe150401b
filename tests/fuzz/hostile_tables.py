"""A corpus of hostile table documents: (name, file text or bytes, table name it claims, needle in the error)."""
from __future__ import annotations

import yaml

from tests.conftest import TABLES

PERFORMER = (TABLES / "payers" / "acme-health" / "performer.yaml").read_text()
PWNED = "/tmp/massage-rules-pwned"


def performer(**changes) -> str:
    doc = yaml.safe_load(PERFORMER)
    doc.update(changes)
    return yaml.safe_dump({k: v for k, v in doc.items() if v is not None}, sort_keys=False)


def performer_rule(when=None, then=None, rule_id="F1") -> str:
    return performer(rules=[{"id": rule_id, "when": when or {}, "then": then or {"covered": True}}])


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(9))

CORPUS = [
    ("billion laughs", BOMB, "performer", "aliases"),
    ("merge key alias", "base: &b {title: x}\ntable: performer\n<<: *b\n", "performer", "aliases"),
    ("python object tag", f"table: !!python/object/apply:os.system ['touch {PWNED}']\n", "performer", "constructor"),
    ("python name tag", "table: !!python/name:os.system\n", "performer", "constructor"),
    ("python module tag", "table: !!python/module:os\n", "performer", "constructor"),
    ("binary tag", performer(title="x").replace("title: x", "title: !!binary aGVsbG8="), "performer", "`title` must be text"),
    ("set tag", performer().replace("hit_policy: FIRST", "hit_policy: !!set {FIRST: null}"), "performer", "hit_policy"),
    ("50 MB document", performer(title="x" * (50 * 1024 * 1024)), "performer", "limit"),
    ("100,000 rows", performer(rules=[{"id": f"R{i}", "when": {"credential": '"PT"'}, "then": {"covered": True}}
                                     for i in range(100_000)]), "performer", ""),   # over the size limit, or 20,000 rows
    ("30,000 short rows", "table: performer\nhit_policy: COLLECT\noutputs: {covered: {type: boolean}}\nrules:\n"
     + "".join(f"- {{id: R{i}, then: {{covered: true}}}}\n" for i in range(30_000)), "performer", "at most 10000"),
    ("yaml nested 20,000 deep", "table: " + "[" * 20_000 + "]" * 20_000 + "\n", "performer", ""),
    ("not UTF-8", b"table: performer\ntitle: \xff\xfe\n", "performer", "UTF-8"),
    ("tabs for indentation", "table: performer\nrules:\n\t- id: F1\n", "performer", "not valid YAML"),
    ("empty document", "", "performer", "mapping"),
    ("a list, not a mapping", "- table: performer\n", "performer", "mapping"),
    ("python code in a cell", performer_rule({"credential": "__import__('os').system('id')"}), "performer", "row F1, column credential"),
    ("eval in a cell", performer_rule({"credential": "eval(\"1\")"}), "performer", "row F1, column credential"),
    ("durable_rules JSON in a cell", performer_rule({"credential": '{"$or": [{"i0": "PT"}]}'}), "performer", "row F1, column credential"),
    ("durable_rules operator as a cell", performer_rule({"credential": "$neq PT"}), "performer", "row F1, column credential"),
    ("quoted injection outside the input's values", performer_rule({"credential": '"PT\\"}, {\\"$t\\": \\"x"'}),
     "performer", "not one of the input's values"),
    ("regex in a cell", performer_rule({"credential": "/.*/"}), "performer", "row F1, column credential"),
    ("cell over 4,096 characters", performer_rule({"credential": '"' + "P" * 5000 + '"'}), "performer", "longer than"),
    ("infinite number", performer_rule({"credential": "1e999"}), "performer", ""),
    ("unknown hit policy", performer(hit_policy="MOSTLY"), "performer", "hit_policy 'MOSTLY'"),
    ("lowercase hit policy", performer(hit_policy="first"), "performer", "hit_policy 'first'"),
    ("rules not a list", performer(rules={"F1": {}}), "performer", "`rules` must be a list"),
    ("outputs a list", performer(outputs=["covered"]), "performer", "`outputs` must be a mapping"),
    ("inputs a string", performer(inputs="credential"), "performer", "`inputs` must be a mapping"),
    ("numeric table name", performer(table=42), "performer", "`table` must be a name"),
    ("table named like a case fact root", performer(table="service"), "service", "case-fact root"),
    ("row id with injection", performer_rule(rule_id="F1'; DROP TABLE table_versions; --"), "performer", "needs an `id`"),
    ("duplicate row ids", performer(rules=[{"id": "F1", "when": {}, "then": {"covered": True}},
                                           {"id": "F1", "when": {}, "then": {"covered": False}}]), "performer", "duplicate row id"),
    ("unknown input in a row", performer_rule({"nope": '"PT"'}), "performer", "unknown input 'nope'"),
    ("unknown value set", performer_rule({"credential": "in nowhere"}), "performer", "unknown value set"),
    ("output of the wrong type", performer_rule(then={"covered": "yes"}), "performer", "does not fit output type boolean"),
    ("unknown source path", performer(inputs={"credential": {"from": "__class__.__mro__", "type": "string"}}),
     "performer", "unknown input source"),
    ("cycle between tables", yaml.safe_dump({
        "table": "care_stage", "hit_policy": "FIRST", "inputs": {"c": {"from": "classification.classification", "type": "string"}},
        "outputs": {"past_reassessment": {"type": "boolean"}}, "rules": [{"id": "S1", "when": {}, "then": {"past_reassessment": False}}]}),
     "care_stage", "cycle"),
    ("overlapping UNIQUE rows", performer(hit_policy="UNIQUE", rules=[
        {"id": "F1", "when": {"credential": '"PT", "LMT"'}, "then": {"covered": True}},
        {"id": "F2", "when": {"credential": '"PT"'}, "then": {"covered": False}}]), "performer", "overlap under UNIQUE"),
    ("FIRST row that can never fire", performer(rules=[
        {"id": "F1", "when": {}, "then": {"covered": True}},
        {"id": "F2", "when": {"credential": '"PT"'}, "then": {"covered": False}}]), "performer", "can never fire"),
    ("gap without a default", performer(default=None, hit_policy="UNIQUE"), "performer", "no row matches some cases"),
    ("answer table with the wrong shape", yaml.safe_dump({
        "table": "line_modifiers", "hit_policy": "FIRST", "each": "service.lines",
        "inputs": {"credential": {"from": "practitioner.credential", "type": "string"}},
        "outputs": {"modifier": {"type": "string"}}, "rules": [{"id": "G1", "when": {}, "then": {"modifier": "GP"}}]}),
     "line_modifiers", "must use COLLECT"),
]
