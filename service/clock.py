"""One "today" for the whole service: a payer's date in its time zone (UTC unless it sets one).

Case defaults, the registry, effective dates and sync all ask here, so a case without a date of
service and the policy chosen for it never disagree about which day it is.
"""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = "UTC"


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_time_zone(name: str) -> bool:
    try:
        zone(name)
        return True
    except (ZoneInfoNotFoundError, ValueError):
        return False


def today(time_zone: str = UTC) -> date:
    return datetime.now(zone(time_zone)).date()
