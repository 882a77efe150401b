from __future__ import annotations

import pytest

from service.case_schema import CaseInvalid, load_case, normalise_icd10


@pytest.mark.parametrize("raw, code", [
    ("M54.50", "M54.50"), ("m5450", "M54.50"), ("M545", "M54.5"), ("M54", "M54"), (" S13.4XXA ", "S13.4XXA"),
    ("U07.1", "U07.1"), ("u071", "U07.1"), ("M5", None), ("M54.50000", None), ("54.50", None), ("M54-50", None),
])
def test_icd10_codes_are_normalised_to_the_dotted_form(raw, code):
    assert normalise_icd10(raw) == code


def test_a_loaded_case_has_dotted_codes_and_dates():
    case = load_case({"date_of_service": "2026-11-20", "service": {"purpose": "pain"},
                      "practitioner": {"credential": "PT", "license_active": True},
                      "clinical": {"diagnosis_codes": ["m6283"]}})
    assert case["clinical"]["diagnosis_codes"] == ["M62.83"] and case["date_of_service"].year == 2026


@pytest.mark.parametrize("value", [1, 0, "true", None])
def test_booleans_are_json_booleans_only(value):
    with pytest.raises(CaseInvalid) as info:
        load_case({"service": {"purpose": "pain"}, "practitioner": {"credential": "PT", "license_active": value}})
    assert info.value.errors[0]["field"] == "practitioner.license_active"
