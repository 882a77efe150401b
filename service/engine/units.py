"""Allocation of the session's timed units to CPT codes (CMS 8-minute rule, second half).

The number of units comes from the `units` table; which codes get them is this function.
"""
from __future__ import annotations

UNIT_MINUTES = 15


def allocate_units(total_units: int, minutes: dict[str, int]) -> dict[str, int]:
    """One unit per full 15 minutes of a code; the rest to the codes with most leftover minutes.

    When every code has under 8 minutes but the total reaches 8, the code with the most minutes
    has the most leftover, so it gets the unit. Ties go to the code with more minutes, then to
    the lower code, so the answer is reproducible.
    """
    units = {code: m // UNIT_MINUTES for code, m in minutes.items()}
    by_fewest = sorted(minutes, key=lambda c: (minutes[c], c))
    while sum(units.values()) > total_units:
        code = next(c for c in by_fewest if units[c] > 0)
        units[code] -= 1
    remaining = total_units - sum(units.values())
    order = sorted(minutes, key=lambda c: (-(minutes[c] % UNIT_MINUTES), -minutes[c], c))
    while remaining > 0 and order:
        for code in order:
            if remaining == 0:
                break
            units[code] += 1
            remaining -= 1
    return units
