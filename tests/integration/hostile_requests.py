"""A corpus of hostile decision requests: (name, body bytes, content type, expected status, field)."""
from __future__ import annotations

import copy
import json

from tests.conftest import ROOT

CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())
CANARY = "CANARY-77f3"


def _with(path: str, value) -> bytes:
    case = copy.deepcopy(CASE)
    node = case
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value
    return json.dumps(case).encode()


def _raw(text: str) -> bytes:
    return text.encode("utf-8")


CORPUS = [
    # wrong types
    ("purpose is a number", _with("service.purpose", 7), 422, "service.purpose"),
    ("purpose is a list", _with("service.purpose", ["pain"]), 422, "service.purpose"),
    ("license_active is a string", _with("practitioner.license_active", "true"), 422, "practitioner.license_active"),
    ("license_active is 1", _with("practitioner.license_active", 1), 422, "practitioner.license_active"),
    ("visit_number is a string", _with("clinical.visit_number", "3"), 422, "clinical.visit_number"),
    ("visit_number is a bool", _with("clinical.visit_number", True), 422, "clinical.visit_number"),
    ("minutes is a list", _with("service.minutes", [25]), 422, "service.minutes"),
    ("minutes value is a string", _with("service.minutes", {"97124": "25"}), 422, "service.minutes.97124"),
    ("diagnosis_codes is a string", _with("clinical.diagnosis_codes", "M54.50"), 422, "clinical.diagnosis_codes"),
    ("diagnosis code is an object", _with("clinical.diagnosis_codes", [{"code": "M54"}]), 422, "clinical.diagnosis_codes[0]"),
    ("payment is a string", _with("payment", "insurance"), 422, "payment"),
    ("case_id is a number", _with("case_id", 1042), 422, "case_id"),
    # out of range
    ("visit_number zero", _with("clinical.visit_number", 0), 422, "clinical.visit_number"),
    ("visit_number huge", _with("clinical.visit_number", 10**30), 422, "clinical.visit_number"),
    ("visits negative", _with("clinical.visits_this_year", -5), 422, "clinical.visits_this_year"),
    ("minutes negative", _with("service.minutes", {"97124": -1}), 422, "service.minutes.97124"),
    ("minutes over a day", _with("service.minutes", {"97124": 100000}), 422, "service.minutes.97124"),
    ("minutes fractional", _with("service.minutes", {"97124": 7.5}), 422, "service.minutes.97124"),
    ("case_id too long", _with("case_id", CANARY * 20), 422, "case_id"),
    # huge lists and strings
    ("10,000 diagnosis codes", _with("clinical.diagnosis_codes", ["M54.50"] * 10_000), 422, "clinical.diagnosis_codes"),
    ("10,000 red flags", _with("clinical.red_flags", ["other"] * 10_000), 422, "clinical.red_flags"),
    ("10,000 other codes", _with("service.other_codes", ["98941"] * 10_000), 422, "service.other_codes"),
    ("10,000 minute entries", _with("service.minutes", {f"{90000 + i}": 1 for i in range(10_000)}), 422, "service.minutes"),
    ("huge purpose string", _with("service.purpose", CANARY * 50_000), 422, "service.purpose"),
    ("huge unknown field", _with("notes", CANARY * 50_000), 422, "notes"),
    ("body over 1 MiB", _with("service.purpose", "x" * (1024 * 1024 + 10)), 413, "$"),
    # deep nesting
    ("nested lists 100,000 deep", _raw("[" * 100_000 + "]" * 100_000), 422, "$"),
    ("nested objects 5,000 deep", _raw('{"a":' * 5000 + "1" + "}" * 5000), 422, "$"),
    ("regions nested too deep", _with("service.regions", {"97140": [["lumbar"]]}), 422, "$"),
    ("a list nested in techniques", _with("service.techniques", [["effleurage"]]), 422, "service.techniques[0]"),
    # encoding and syntax
    ("invalid UTF-8", b'{"case_id": "\xc3\x28"}', 400, "$"),
    ("UTF-16 body", json.dumps(CASE).encode("utf-16"), 400, "$"),
    ("lone surrogate escape", _with("case_id", "\ud800"), 422, "$"),
    ("truncated JSON", json.dumps(CASE).encode()[:-5], 400, "$"),
    ("trailing garbage", json.dumps(CASE).encode() + b" trailing", 400, "$"),
    ("single quotes", _raw("{'service': {}}"), 400, "$"),
    ("empty body", b"", 400, "$"),
    ("whitespace body", b"   \n", 400, "$"),
    ("NaN", _raw(json.dumps(CASE).replace('"visit_number": 3', '"visit_number": NaN')), 400, "$"),
    ("Infinity", _raw(json.dumps(CASE).replace('"visit_number": 3', '"visit_number": Infinity')), 400, "$"),
    ("-Infinity", _raw(json.dumps(CASE).replace('"visits_this_year": 3', '"visits_this_year": -Infinity')), 400, "$"),
    ("duplicate keys", _raw(json.dumps(CASE)[:-1] + ', "case_id": "' + CANARY + '"}'), 422, "case_id"),
    ("duplicate nested keys", _raw(json.dumps(CASE).replace('"purpose": "pain"', '"purpose": "pain", "purpose": "relaxation"')), 422, "purpose"),
    # null where an object belongs
    ("null body", b"null", 422, "$"),
    ("service null", _with("service", None), 422, "service"),
    ("practitioner null", _with("practitioner", None), 422, "practitioner"),
    ("clinical null", _with("clinical", None), 422, "clinical"),
    ("prescription null", _with("clinical.prescription", None), 422, "clinical.prescription"),
    ("array body", _raw(json.dumps([CASE])), 422, "$"),
    ("string body", _raw(json.dumps(CANARY)), 422, "$"),
    # malformed dates
    ("date 2026-02-30", _with("date_of_service", "2026-02-30"), 422, "date_of_service"),
    ("date with time", _with("date_of_service", "2026-11-20T10:00:00"), 422, "date_of_service"),
    ("date US style", _with("date_of_service", "11/20/2026"), 422, "date_of_service"),
    ("date as number", _with("date_of_service", 20261120), 422, "date_of_service"),
    ("lomn date garbage", _with("payment.lomn_date", CANARY), 422, "payment.lomn_date"),
    ("prescription date month 13", _with("clinical.prescription", {"present": True, "date": "2026-13-01"}), 422, "clinical.prescription.date"),
    # ICD-10 look-alikes
    ("ICD too short", _with("clinical.diagnosis_codes", ["M5"]), 422, "clinical.diagnosis_codes[0]"),
    ("ICD too long", _with("clinical.diagnosis_codes", ["M54.501234"]), 422, "clinical.diagnosis_codes[0]"),
    ("ICD with a dash", _with("clinical.diagnosis_codes", ["M54-50"]), 422, "clinical.diagnosis_codes[0]"),
    ("ICD starting with a digit", _with("clinical.diagnosis_codes", ["154.50"]), 422, "clinical.diagnosis_codes[0]"),
    ("ICD with an injection", _with("clinical.diagnosis_codes", ["M54'; DROP TABLE--"]), 422, "clinical.diagnosis_codes[0]"),
    ("ICD with unicode digits", _with("clinical.diagnosis_codes", ["M５4.50"]), 422, "clinical.diagnosis_codes[0]"),
    ("CPT key with letters", _with("service.minutes", {"9712X4": 10}), 422, "service.minutes"),
    # contract
    ("unknown top-level field", _with(CANARY.lower(), 1), 422, CANARY.lower()),
    ("unknown nested field", _with("clinical.colour", "red"), 422, "clinical.colour"),
    ("enum outside the contract", _with("practitioner.credential", "RN"), 422, "practitioner.credential"),
    ("payer id with spaces", _with("payer_id", "acme health"), 422, "payer_id"),
    ("unknown payer", _with("payer_id", "no-such-payer"), 404, "payer_id"),
]
