"""WhatsApp timestamps: the ways phones write them, and which way round the date is.

A line's date may be day-first (30/12/2021), month-first (12/30/21) or year-first
(2021-12-30), with slashes, dots or dashes; the time 24-hour or 12-hour, with or
without seconds, and "PM", "pm" or "p. m." after an optional (no-break) space.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

#: A date and time as the start of a WhatsApp line writes them.
STAMP = (
    r"(?P<d1>\d{1,4})[./-](?P<d2>\d{1,2})[./-](?P<d3>\d{1,4}),?\s"
    r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<sec>\d{2}))?"
    r"(?:\s?(?P<half>[AaPp])\.?\s?[Mm]\.?)?"
)


def order_vote(stamp: re.Match[str]) -> Literal["day", "month"] | None:
    """Which order one line's date proves: a first field over 12 is a day, a second a month."""
    first, second = stamp["d1"], stamp["d2"]
    if len(first) > 2:
        return None
    if int(first) > 12:
        return "day"
    if int(second) > 12:
        return "month"
    return None


def timestamp(stamp: re.Match[str], month_first: bool) -> datetime:
    """The line's date and time; ValueError if they do not exist (31/02, 13 pm)."""
    first, second, third = stamp["d1"], stamp["d2"], stamp["d3"]
    if len(first) == 4:
        year, month, day = int(first), int(second), int(third)
    elif len(third) in (2, 4):
        year = int(third) + (2000 if len(third) == 2 else 0)
        month, day = (int(first), int(second)) if month_first else (int(second), int(first))
    else:
        raise ValueError(f"no year in {stamp[0]!r}")
    hour = int(stamp["hour"])
    if stamp["half"]:
        if not 1 <= hour <= 12:
            raise ValueError(f"hour {hour} on a 12-hour clock")
        hour = hour % 12 + (12 if stamp["half"] in "Pp" else 0)
    return datetime(year, month, day, hour, int(stamp["minute"]), int(stamp["sec"] or 0))
