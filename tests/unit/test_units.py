"""Allocation of units to codes (policy.md's CMS examples)."""
from __future__ import annotations

import pytest

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
