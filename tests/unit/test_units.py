"""Allocation of units to codes (policy.md's CMS examples)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.engine.units import allocate_units


@pytest.mark.parametrize("total, minutes, expected", [
    (3, {"97110": 33, "97140": 7}, {"97110": 2, "97140": 1}),        # policy.md's example
    (3, {"97112": 24, "97110": 23}, {"97112": 2, "97110": 1}),        # more leftover wins
    (1, {"97124": 7, "97140": 7}, {"97124": 1, "97140": 0}),          # a tie: lower code, reproducibly
    (1, {"97124": 5, "97140": 6}, {"97124": 0, "97140": 1}),          # all under 8: the most minutes
    (2, {"97124": 30}, {"97124": 2}),
    (0, {"97124": 7}, {"97124": 0}),
    (0, {}, {}),
    (4, {"97124": 15, "97140": 15, "97530": 15, "97110": 8}, {"97124": 1, "97140": 1, "97530": 1, "97110": 1}),
])
def test_allocation(total, minutes, expected):
    assert allocate_units(total, minutes) == expected


def test_never_allocates_more_than_the_table_gives():
    assert sum(allocate_units(1, {"97124": 30, "97140": 30}).values()) == 1


def reference_allocation(total_units: int, minutes: dict[str, int]) -> dict[str, int]:
    """The rule written out one unit at a time: what the arithmetic version must equal."""
    units = {code: m // 15 for code, m in minutes.items()}
    by_fewest = sorted(minutes, key=lambda c: (minutes[c], c))
    while sum(units.values()) > total_units:
        code = next(c for c in by_fewest if units[c] > 0)
        units[code] -= 1
    remaining = total_units - sum(units.values())
    order = sorted(minutes, key=lambda c: (-(minutes[c] % 15), -minutes[c], c))
    while remaining > 0 and order:
        for code in order:
            if remaining == 0:
                break
            units[code] += 1
            remaining -= 1
    return units


@given(total=st.integers(0, 96),
       minutes=st.dictionaries(st.sampled_from(["97110", "97112", "97124", "97140", "97530", "97535"]),
                               st.integers(0, 200), min_size=1, max_size=5))
def test_allocation_equals_the_unit_by_unit_rule(total, minutes):
    assert allocate_units(total, minutes) == reference_allocation(total, minutes)


def test_a_huge_total_is_allocated_at_once():
    total = 10 ** 15
    units = allocate_units(total, {"97124": 37, "97140": 10})
    assert sum(units.values()) == total
    assert units == {"97124": 2 + (total - 2) // 2, "97140": (total - 2) // 2}
