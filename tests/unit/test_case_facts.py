from __future__ import annotations

from datetime import date

import pytest

from service.case_facts import derive, months_before


@pytest.mark.parametrize("earlier, later, months", [
    (date(2025, 11, 20), date(2026, 11, 20), 12),
    (date(2025, 11, 19), date(2026, 11, 20), 13),
    (date(2025, 11, 21), date(2026, 11, 20), 12),
    (date(2026, 11, 20), date(2026, 11, 20), 0),
    (date(2026, 1, 31), date(2026, 2, 28), 1),
])
def test_months_before_counts_a_started_month(earlier, later, months):
    assert months_before(earlier, later) == months


def test_derive_reads_absent_facts_as_none_and_computes_derived_ones():
    facts = derive({"date_of_service": date(2026, 11, 20),
                    "service": {"purpose": "pain", "minutes": {"97124": 25, "97140": 15}, "other_codes": ["98941"],
                                "regions": {"97140": ["lumbar"], "98941": ["cervical"]}},
                    "payment": {"lomn_on_file": True, "lomn_date": date(2026, 1, 1)}})
    assert facts.values["derived.total_timed_minutes"] == 40
    assert facts.values["derived.billed_codes"] == ("97124", "97140")
    assert facts.values["derived.lomn_age_months"] == 11
    assert facts.values["clinical.visit_number"] is None
    assert facts.values["payer_id"] == "default"
    assert facts.items["service.lines"] == ({"cpt": "97124", "minutes": 25}, {"cpt": "97140", "minutes": 15})
    pairs = {(p["column1"], p["column2"]): p["same_region"] for p in facts.items["service.code_pairs"]}
    assert pairs[("98941", "97140")] is False        # documented separate regions
    assert pairs[("98941", "97124")] is True         # 97124 has no regions: cannot show separate sites


def test_a_letter_dated_after_the_service_reads_as_undated():
    facts = derive({"date_of_service": date(2026, 11, 20), "payment": {"lomn_date": date(2026, 12, 1)}})
    assert facts.values["derived.lomn_age_months"] == -1
