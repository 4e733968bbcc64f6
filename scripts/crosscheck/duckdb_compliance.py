#!/usr/bin/env python3
"""Computes the ca-dmhc compliance table from exported events with DuckDB SQL,
independently of carequeue: time zones by Python's zoneinfo, business days
from the Python `holidays` package (US federal, with observed days), and the
verdict rules of docs/rules.md written in SQL.

    carequeue events --db DB > events.ndjson
    python3 duckdb_compliance.py events.ndjson --as-of 2024-08-01T00:00:00Z

Prints one JSON object per standard: requests and the five verdict counts.
"""
import argparse
import csv
import json
import os
import sys
import tempfile
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import holidays

DEFAULT_TZ = "America/Los_Angeles"
# The standards of rulesets/ca-dmhc.toml: id, urgency, prior_auth, provider
# types, visits, clock start, unit, n, effective from.
STANDARDS = [
    ("urgent-48h", "urgent", False, None, None, "request", "h", 48, "2010-01-17"),
    ("urgent-96h", "urgent", True, None, None, "request", "h", 96, "2010-01-17"),
    ("psychiatrist-15bd", "routine", None, "psychiatrist", "initial", "request", "bd", 15, "2010-01-17"),
    ("non-physician-10bd", "routine", None, "non_physician_mh,sud", "initial", "request", "bd", 10, "2010-01-17"),
    ("primary-care-10bd", "routine", None, "primary_care", "initial", "request", "bd", 10, "2010-01-17"),
    ("sb221-follow-up-10bd", "routine", None, "non_physician_mh,sud", "follow_up", "prior_appointment", "bd", 10, "2022-07-01"),
]


def micros(text):
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(moment.timestamp() * 1_000_000)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("events")
    parser.add_argument("--as-of", required=True)
    args = parser.parse_args()
    as_of = micros(args.as_of)

    events = [json.loads(line) for line in open(args.events)]
    voided = {e["voids"] for e in events if e["type"] == "event.voided"}
    events = [e for e in events if e["event_id"] not in voided]
    zones = {e["clinic"]: e["time_zone"] for e in events if e["type"] == "clinic.registered"}

    def local_date(text, clinic):
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment.astimezone(ZoneInfo(zones.get(clinic, DEFAULT_TZ))).date()

    requests, triages, offers, extensions, closes = [], [], [], [], []
    clinic_of = {}
    for e in events:
        t = e["type"]
        if t == "request.opened":
            clinic_of[e["request_id"]] = e["clinic"]
    for e in events:
        t, at = e["type"], e["occurred_at"]
        rid = e.get("request_id")
        clinic = clinic_of.get(rid)
        if t == "request.opened":
            prior = e.get("prior_appointment_at")
            requests.append((rid, zones.get(clinic, DEFAULT_TZ), micros(at), local_date(at, clinic), e["urgency"],
                             e["provider_type"], e["visit"], bool(e.get("prior_auth", False)),
                             e.get("requested_format", "any"),
                             micros(prior) if prior else None, local_date(prior, clinic) if prior else None))
        elif t == "request.triaged" and e["urgency"] == "urgent":
            triages.append((rid, micros(at), local_date(at, clinic)))
        elif t == "offer.made":
            offers.append((rid, "offer", micros(at), micros(e["appointment_at"]), e["provider_type"], e["format"],
                           e.get("in_network", True)))
        elif t == "appointment.booked" and "offer_id" not in e:
            offers.append((rid, "booking", micros(at), micros(e["appointment_at"]), None, e["format"], True))
        elif t == "referral.out_of_network":
            offers.append((rid, "referral", micros(at), micros(e["appointment_at"]) if "appointment_at" in e else None,
                           None, "individual", False))
        elif t == "extension.documented":
            extensions.append((rid, micros(at), e["event_id"], micros(e["extended_to"])))
        elif t == "request.closed":
            closes.append((rid, micros(at), e["reason"]))

    # Business days: Monday to Friday less US federal holidays (observed).
    first, last = date(2022, 1, 1), date(2027, 12, 31)
    federal = holidays.US(years=range(first.year, last.year + 1))
    days, count, day = [], 0, first
    while day <= last:
        business = day.weekday() < 5 and day not in federal
        count += business
        days.append((day, business, count))
        day += timedelta(days=1)
    # The end of each local day, per time zone, in microseconds.
    ends = []
    for tz in sorted(set(zones.values()) | {DEFAULT_TZ}):
        for (day, _, _) in days:
            nxt = datetime.combine(day + timedelta(days=1), datetime.min.time(), ZoneInfo(tz))
            ends.append((tz, day, int(nxt.timestamp() * 1_000_000) - 1))

    db = duckdb.connect()
    tables = {
        "requests": ("request_id TEXT, tz TEXT, opened BIGINT, opened_date DATE, urgency TEXT, provider TEXT, "
                     "visit TEXT, prior_auth BOOLEAN, requested_format TEXT, prior BIGINT, prior_date DATE", requests),
        "triages": ("request_id TEXT, ts BIGINT, ts_date DATE", triages),
        "offers": ("request_id TEXT, kind TEXT, made BIGINT, appt BIGINT, provider TEXT, format TEXT, in_network BOOLEAN", offers),
        "extensions": ("request_id TEXT, made BIGINT, event_id TEXT, extended_to BIGINT", extensions),
        "closes": ("request_id TEXT, ts BIGINT, reason TEXT", closes),
        "days": ("day DATE, business BOOLEAN, cum INTEGER", days),
        "day_ends": ("tz TEXT, day DATE, end_us BIGINT", ends),
        "standards": ("id TEXT, urgency TEXT, prior_auth BOOLEAN, providers TEXT, visits TEXT, clock TEXT, "
                      "unit TEXT, n INTEGER, effective DATE", STANDARDS),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (columns, data) in tables.items():
            path = os.path.join(tmp, name + ".csv")
            with open(path, "w", newline="") as f:
                csv.writer(f).writerows([["" if v is None else v for v in row] for row in data])
            db.execute(f"CREATE TABLE {name} ({columns})")
            if data:
                db.execute(f"COPY {name} FROM '{path}' (HEADER false, NULLSTR '')")

    rows = db.execute(f"""
    WITH RECURSIVE first_triage AS (
        SELECT request_id, min(ts) AS ts, arg_min(ts_date, ts) AS ts_date FROM triages GROUP BY request_id
    ),
    req AS (
        SELECT r.*, CASE WHEN r.urgency = 'urgent' OR t.ts IS NOT NULL THEN 'urgent' ELSE 'routine' END AS eff_urgency,
               t.ts AS triaged, t.ts_date AS triaged_date
        FROM requests r LEFT JOIN first_triage t USING (request_id)
    ),
    applies AS (
        SELECT q.request_id, q.tz, q.provider, q.requested_format, s.id AS standard, s.unit, s.n, s.effective,
               CASE
                 WHEN s.clock = 'prior_appointment' THEN coalesce(q.prior, q.opened)
                 WHEN s.urgency = 'urgent' AND q.urgency = 'routine' AND q.triaged IS NOT NULL THEN greatest(q.triaged, q.opened)
                 ELSE q.opened END AS start,
               CASE
                 WHEN s.clock = 'prior_appointment' THEN coalesce(q.prior_date, q.opened_date)
                 WHEN s.urgency = 'urgent' AND q.urgency = 'routine' AND q.triaged IS NOT NULL
                      THEN CASE WHEN q.triaged >= q.opened THEN q.triaged_date ELSE q.opened_date END
                 ELSE q.opened_date END AS start_date
        FROM req q JOIN standards s
          ON q.eff_urgency = s.urgency
         AND (s.prior_auth IS NULL OR s.prior_auth = q.prior_auth)
         AND (s.providers IS NULL OR list_contains(string_split(s.providers, ','), q.provider))
         AND (s.visits IS NULL OR s.visits = q.visit)
    ),
    effective AS (SELECT * FROM applies WHERE start_date >= effective),
    base AS (
        SELECT e.*,
               CASE WHEN e.unit = 'h' THEN e.start + e.n * 3600000000::BIGINT
                    ELSE (SELECT de.end_us FROM days d2 JOIN day_ends de ON de.day = d2.day AND de.tz = e.tz
                          WHERE d2.business AND d2.cum = (SELECT cum FROM days WHERE day = e.start_date) + e.n)
               END AS deadline0
        FROM effective e
    ),
    ext AS (
        SELECT b.request_id, b.standard, x.made, x.extended_to,
               row_number() OVER (PARTITION BY b.request_id, b.standard ORDER BY x.made, x.event_id) AS k
        FROM base b JOIN extensions x USING (request_id)
    ),
    chain AS (
        SELECT request_id, standard, 0 AS k, deadline0 AS deadline FROM base
        UNION ALL
        SELECT c.request_id, c.standard, x.k,
               CASE WHEN x.made <= c.deadline AND x.extended_to > c.deadline THEN x.extended_to ELSE c.deadline END
        FROM chain c JOIN ext x ON x.request_id = c.request_id AND x.standard = c.standard AND x.k = c.k + 1
    ),
    final AS (
        SELECT b.*, (SELECT c.deadline FROM chain c WHERE c.request_id = b.request_id AND c.standard = b.standard
                     ORDER BY c.k DESC LIMIT 1) AS deadline
        FROM base b
    ),
    judged AS (
        SELECT f.request_id, f.standard,
          EXISTS (
            SELECT 1 FROM offers o WHERE o.request_id = f.request_id AND o.appt IS NOT NULL
              AND o.appt >= o.made AND o.appt >= f.start AND o.made <= f.deadline AND o.appt <= f.deadline
              AND coalesce(o.provider, f.provider) = f.provider
              AND NOT (f.requested_format = 'individual' AND o.format = 'group')
          ) AS met,
          EXISTS (
            SELECT 1 FROM closes c WHERE c.request_id = f.request_id
              AND c.reason IN ('withdrawn', 'unreachable', 'declined_care')
              AND c.ts = (SELECT min(ts) FROM closes c2 WHERE c2.request_id = f.request_id)
              AND c.ts <= f.deadline
          ) AS excluded,
          {as_of} <= f.deadline AS within,
          EXISTS (SELECT 1 FROM offers o WHERE o.request_id = f.request_id)
            OR EXISTS (SELECT 1 FROM closes c WHERE c.request_id = f.request_id) AS responded
        FROM final f
    )
    SELECT standard, count(*) AS requests,
           count(*) FILTER (WHERE met) AS met,
           count(*) FILTER (WHERE NOT met AND NOT excluded AND NOT within AND responded) AS missed,
           count(*) FILTER (WHERE NOT met AND NOT excluded AND within) AS open_within,
           count(*) FILTER (WHERE NOT met AND NOT excluded AND NOT within AND NOT responded) AS open_overdue,
           count(*) FILTER (WHERE NOT met AND excluded) AS excluded
    FROM judged GROUP BY standard ORDER BY standard
    """).fetchall()
    for standard, requests_n, met, missed, within, overdue, excluded in rows:
        print(json.dumps({"standard": standard, "requests": requests_n, "met": met, "missed": missed,
                          "open_within": within, "open_overdue": overdue, "excluded": excluded}))


if __name__ == "__main__":
    sys.exit(main())
