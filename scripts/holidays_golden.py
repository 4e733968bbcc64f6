#!/usr/bin/env python3
"""Writes crates/calendar/test_data/python-holidays.txt: the outside truth the
calendar tests compare carequeue's generated holidays with.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install holidays==0.109
    /tmp/venv/bin/python scripts/holidays_golden.py > crates/calendar/test_data/python-holidays.txt

Each line is `SET DATE NAME`, where SET is `us` (holidays.US: federal holidays with
their observed days), `us-ca` (holidays.US(subdiv="CA"), California's list),
`gb-eng` (holidays.UK(subdiv="ENG")) or `lunar-new-year` (the Chinese
lunisolar calendar's table), for the years 1990 to 2100. The package is a
test oracle only; carequeue never depends on it.
"""
import sys

import holidays
from holidays.calendars.chinese import _ChineseLunisolar

YEARS = range(1990, 2101)
print(f"# python holidays {holidays.__version__}, years {YEARS.start}-{YEARS.stop - 1}")
for name, table in [
    ("us", holidays.US(years=YEARS)),
    ("us-ca", holidays.US(subdiv="CA", years=YEARS)),
    ("gb-eng", holidays.UK(subdiv="ENG", years=YEARS)),
]:
    for day in sorted(table):
        print(f"{name} {day.isoformat()} {table.get(day)}")
lunar = _ChineseLunisolar()
for year in YEARS:
    day, exact = lunar.lunar_new_year_date(year)
    if exact:
        print(f"lunar-new-year {day.isoformat()} Lunar New Year")
sys.stdout.flush()
