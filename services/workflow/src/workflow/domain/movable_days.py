"""Movable feasts, as plain date arithmetic: Easter Sunday and days counted from it."""

from __future__ import annotations

from datetime import date, timedelta


def easter_sunday(year: int) -> date:
    """Easter Sunday of the Gregorian ``year`` (the anonymous Gregorian algorithm, "Meeus/Jones/
    Butcher"): 2026-04-05, 2027-03-28, 2028-04-16."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def after_easter(year: int, days: int) -> date:
    """The day ``days`` after Easter Sunday (Corpus Christi: 60; Good Friday: -2)."""
    return easter_sunday(year) + timedelta(days=days)
