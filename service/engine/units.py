"""Allocation of the session's timed units to CPT codes (CMS 8-minute rule, second half).

The number of units comes from the `units` table; which codes get them is this function.
"""
from __future__ import annotations

UNIT_MINUTES = 15


def allocate_units(total_units: int, minutes: dict[str, int]) -> dict[str, int]:
    """One unit per full 15 minutes of a code; the rest to the codes with most leftover minutes.

    When every code has under 8 minutes but the total reaches 8, the code with the most minutes
    has the most leftover, so it gets the unit. Ties go to the code with more minutes, then to
    the lower code, so the answer is reproducible. Arithmetic per code, not a loop per unit, so
    the time does not depend on `total_units`.
    """
    units = {code: m // UNIT_MINUTES for code, m in minutes.items()}
    excess = sum(units.values()) - total_units
    for code in sorted(minutes, key=lambda c: (minutes[c], c)):     # too many: the fewest minutes lose first
        taken = min(units[code], max(excess, 0))
        units[code] -= taken
        excess -= taken
    order = sorted(minutes, key=lambda c: (-(minutes[c] % UNIT_MINUTES), -minutes[c], c))
    if order and excess < 0:                                         # too few: round robin, most leftover first
        rounds, extra = divmod(-excess, len(order))
        for position, code in enumerate(order):
            units[code] += rounds + (position < extra)
    return units
