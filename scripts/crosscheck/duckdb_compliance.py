#!/usr/bin/env python3
"""The ca-dmhc compliance table computed by DuckDB alone from exported events,
independently of carequeue: every table is derived in SQL from the events in
Parquet (time zones by DuckDB's ICU), business days are Monday to Friday less
US federal holidays from the Python `holidays` package (a small table), and the
verdict rules of docs/rules.md are written in SQL. A clinical extension moves
an hour-counted deadline to the instant of `extended_to` and a day-counted one
to the end of `extended_to`'s local date in the clinic's zone (E1).

    python3 duckdb_compliance.py to-parquet events.ndjson events.parquet
    python3 duckdb_compliance.py compliance events.parquet --as-of 2024-08-01T00:00:00Z > duckdb.ndjson
    python3 duckdb_compliance.py compare carequeue.json duckdb.ndjson SECONDS PEAK_KB

`compliance` prints one JSON object per standard, then a line
`{"seconds": s, "peak_rss_mb": m}` (the query, reading the Parquet file
included; the process's peak memory). `compare` checks carequeue's report
(JSON) against it count by count, prints both times and memories, and exits 1
when a count differs.
"""
import argparse
import json
import resource
import sys
import time
from datetime import date, datetime, timedelta

import duckdb
import holidays

DEFAULT_TZ = "America/Los_Angeles"
STANDARDS = [
    ("urgent-48h", "urgent", False, None, None, "request", "h", 48, "2010-01-17"),
    ("urgent-96h", "urgent", True, None, None, "request", "h", 96, "2010-01-17"),
    ("psychiatrist-15bd", "routine", None, "psychiatrist", "initial", "request", "bd", 15, "2010-01-17"),
    ("non-physician-10bd", "routine", None, "non_physician_mh,sud", "initial", "request", "bd", 10, "2010-01-17"),
    ("primary-care-10bd", "routine", None, "primary_care", "initial", "request", "bd", 10, "2010-01-17"),
    ("sb221-follow-up-10bd", "routine", None, "non_physician_mh,sud", "follow_up", "prior_appointment", "bd", 10, "2022-07-01"),
]
COLUMNS = {
    "event_id": "VARCHAR", "type": "VARCHAR", "occurred_at": "VARCHAR", "clinic": "VARCHAR",
    "time_zone": "VARCHAR", "request_id": "VARCHAR", "urgency": "VARCHAR", "provider_type": "VARCHAR",
    "visit": "VARCHAR", "prior_auth": "BOOLEAN", "requested_format": "VARCHAR",
    "prior_appointment_at": "VARCHAR", "appointment_at": "VARCHAR", "format": "VARCHAR",
    "in_network": "BOOLEAN", "offer_id": "VARCHAR", "extended_to": "VARCHAR", "reason": "VARCHAR",
    "voids": "VARCHAR",
}


def to_parquet(source, target):
    db = duckdb.connect()
    columns = ", ".join(f"'{k}': '{v}'" for k, v in COLUMNS.items())
    db.execute(f"""
        COPY (SELECT row_number() OVER () AS seq, *
              FROM read_json('{source}', format = 'newline_delimited', columns = {{{columns}}}))
        TO '{target}' (FORMAT parquet, COMPRESSION zstd)
    """)


def compliance(source, as_of_text):
    db = duckdb.connect()
    as_of = int(datetime.fromisoformat(as_of_text.replace("Z", "+00:00")).timestamp() * 1_000_000)
    first, last = date(1990, 1, 1), date(2100, 12, 31)
    federal = holidays.US(years=range(first.year, last.year + 1))
    days, count, day = [], 0, first
    while day <= last:
        business = day.weekday() < 5 and day not in federal
        count += business
        days.append((day, business, count))
        day += timedelta(days=1)
    db.execute("CREATE TABLE days (day DATE, business BOOLEAN, cum INTEGER)")
    db.executemany("INSERT INTO days VALUES (?, ?, ?)", days)
    db.execute("CREATE TABLE standards (id TEXT, urgency TEXT, prior_auth BOOLEAN, providers TEXT, "
               "visits TEXT, clock TEXT, unit TEXT, n INTEGER, effective DATE)")
    db.executemany("INSERT INTO standards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", STANDARDS)

    started = time.perf_counter()
    db.execute(f"CREATE VIEW ev AS SELECT * FROM read_parquet('{source}')")
    db.execute("""
        CREATE TABLE live AS SELECT * FROM ev
        WHERE event_id NOT IN (SELECT voids FROM ev WHERE type = 'event.voided' AND voids IS NOT NULL)
    """)
    db.execute(f"""
        CREATE TABLE zones AS SELECT clinic, arg_max(time_zone, seq) AS tz
        FROM live WHERE type = 'clinic.registered' GROUP BY clinic
    """)
    db.execute(f"""
        CREATE TABLE requests AS
        SELECT l.request_id, coalesce(z.tz, '{DEFAULT_TZ}') AS tz,
               epoch_us(l.occurred_at::TIMESTAMPTZ) AS opened,
               timezone(coalesce(z.tz, '{DEFAULT_TZ}'), l.occurred_at::TIMESTAMPTZ)::DATE AS opened_date,
               l.urgency, l.provider_type AS provider, l.visit, coalesce(l.prior_auth, false) AS prior_auth,
               coalesce(l.requested_format, 'any') AS requested_format,
               epoch_us(l.prior_appointment_at::TIMESTAMPTZ) AS prior,
               timezone(coalesce(z.tz, '{DEFAULT_TZ}'), l.prior_appointment_at::TIMESTAMPTZ)::DATE AS prior_date
        FROM live l LEFT JOIN zones z USING (clinic) WHERE l.type = 'request.opened'
    """)
    db.execute("""
        CREATE TABLE triages AS
        SELECT l.request_id, epoch_us(l.occurred_at::TIMESTAMPTZ) AS ts,
               timezone(r.tz, l.occurred_at::TIMESTAMPTZ)::DATE AS ts_date
        FROM live l JOIN requests r USING (request_id)
        WHERE l.type = 'request.triaged' AND l.urgency = 'urgent'
    """)
    db.execute("""
        CREATE TABLE offers AS
        SELECT request_id, 'offer' AS kind, epoch_us(occurred_at::TIMESTAMPTZ) AS made,
               epoch_us(appointment_at::TIMESTAMPTZ) AS appt, provider_type AS provider, format,
               coalesce(in_network, true) AS in_network
        FROM live WHERE type = 'offer.made'
        UNION ALL
        SELECT request_id, 'booking', epoch_us(occurred_at::TIMESTAMPTZ), epoch_us(appointment_at::TIMESTAMPTZ),
               NULL, format, true
        FROM live WHERE type = 'appointment.booked' AND offer_id IS NULL
        UNION ALL
        SELECT request_id, 'referral', epoch_us(occurred_at::TIMESTAMPTZ), epoch_us(appointment_at::TIMESTAMPTZ),
               NULL, 'individual', false
        FROM live WHERE type = 'referral.out_of_network'
    """)
    db.execute("""
        CREATE TABLE extensions AS
        SELECT request_id, epoch_us(occurred_at::TIMESTAMPTZ) AS made, event_id,
               extended_to::TIMESTAMPTZ AS extended_to
        FROM live WHERE type = 'extension.documented'
    """)
    db.execute("""
        CREATE TABLE closes AS
        SELECT request_id, epoch_us(occurred_at::TIMESTAMPTZ) AS ts, reason
        FROM live WHERE type = 'request.closed'
    """)
    db.execute(f"""
        CREATE TABLE day_ends AS
        SELECT t.tz, d.day, epoch_us(timezone(t.tz, (d.day + 1)::TIMESTAMP)) - 1 AS end_us
        FROM (SELECT DISTINCT tz FROM requests) t CROSS JOIN days d
        WHERE d.day BETWEEN (SELECT min(opened_date) - 1 FROM requests)
                        AND (SELECT max(opened_date) + 400 FROM requests)
    """)
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
    business AS (SELECT d.cum, d.day FROM days d WHERE d.business),
    base AS (
        SELECT e.*,
               CASE WHEN e.unit = 'h' THEN e.start + e.n * 3600000000::BIGINT
                    ELSE de.end_us END AS deadline0
        FROM effective e
        LEFT JOIN days sd ON sd.day = e.start_date
        LEFT JOIN business b ON e.unit = 'bd' AND b.cum = sd.cum + e.n
        LEFT JOIN day_ends de ON de.day = b.day AND de.tz = e.tz
    ),
    ext AS (
        -- E1: hours extend to the instant; days to the last microsecond of
        -- extended_to's local date in the clinic's zone (the same "end of
        -- day" as day_ends: local midnight of the next date, less one).
        SELECT b.request_id, b.standard, x.made,
               CASE WHEN b.unit = 'h' THEN epoch_us(x.extended_to)
                    ELSE epoch_us(timezone(b.tz, (timezone(b.tz, x.extended_to)::DATE + 1)::TIMESTAMP)) - 1
               END AS extended_to,
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
    last_deadline AS (
        SELECT request_id, standard, arg_max(deadline, k) AS deadline FROM chain GROUP BY request_id, standard
    ),
    final AS (SELECT b.*, l.deadline FROM base b JOIN last_deadline l USING (request_id, standard)),
    first_close AS (
        SELECT request_id, min(ts) AS ts, arg_min(reason, ts) AS reason FROM closes GROUP BY request_id
    ),
    met AS (
        SELECT DISTINCT f.request_id, f.standard FROM final f JOIN offers o USING (request_id)
        WHERE o.appt IS NOT NULL AND o.appt >= o.made AND o.appt >= f.start AND o.made <= f.deadline
          AND o.appt <= f.deadline AND coalesce(o.provider, f.provider) = f.provider
          AND NOT (f.requested_format = 'individual' AND o.format = 'group')
    ),
    responded AS (
        SELECT DISTINCT request_id FROM offers UNION SELECT DISTINCT request_id FROM closes
    ),
    judged AS (
        SELECT f.request_id, f.standard, m.request_id IS NOT NULL AS met,
               (c.reason IN ('withdrawn', 'unreachable', 'declined_care') AND c.ts <= f.deadline) IS TRUE AS excluded,
               {as_of} <= f.deadline AS within, r.request_id IS NOT NULL AS responded
        FROM final f
        LEFT JOIN met m USING (request_id, standard)
        LEFT JOIN first_close c USING (request_id)
        LEFT JOIN responded r USING (request_id)
    )
    SELECT standard, count(*) AS requests,
           count(*) FILTER (WHERE met) AS met,
           count(*) FILTER (WHERE NOT met AND NOT excluded AND NOT within AND responded) AS missed,
           count(*) FILTER (WHERE NOT met AND NOT excluded AND within) AS open_within,
           count(*) FILTER (WHERE NOT met AND NOT excluded AND NOT within AND NOT responded) AS open_overdue,
           count(*) FILTER (WHERE NOT met AND excluded) AS excluded
    FROM judged GROUP BY standard ORDER BY standard
    """).fetchall()
    seconds = time.perf_counter() - started
    for standard, requests_n, met, missed, within, overdue, excluded in rows:
        print(json.dumps({"standard": standard, "requests": requests_n, "met": met, "missed": missed,
                          "open_within": within, "open_overdue": overdue, "excluded": excluded}))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak}))


def compare(ours_path, theirs_path, ours_seconds, ours_kb):
    ours = {r["standard"]: r for r in json.load(open(ours_path))["rows"]}
    lines = [json.loads(line) for line in open(theirs_path)]
    timing = lines[-1]
    theirs = {r["standard"]: r for r in lines[:-1]}
    keys = ["requests", "met", "missed", "open_within", "open_overdue", "excluded"]
    bad = 0
    print(f"{'standard':<22} " + " ".join(f"{k:>12}" for k in keys))
    for standard in sorted(set(ours) | set(theirs)):
        a, b = ours.get(standard, {}), theirs.get(standard, {})
        same = all(a.get(k) == b.get(k) for k in keys)
        bad += not same
        print(f"{standard:<22} " + " ".join(f"{a.get(k, '-'):>12}" for k in keys)
              + ("  identical" if same else "  DIFFERENT"))
        if not same:
            print(f"{'  duckdb':<22} " + " ".join(f"{b.get(k, '-'):>12}" for k in keys))
    ours_mb = ours_kb / 1024
    print(f"carequeue report (full, from the SQLite ledger): {ours_seconds:.2f} s, peak {ours_mb:.0f} MB")
    print(f"DuckDB compliance table (from Parquet): {timing['seconds']:.2f} s, peak {timing['peak_rss_mb']:.0f} MB")
    print(f"ratio carequeue / DuckDB: time {ours_seconds / timing['seconds']:.2f}, "
          f"memory {ours_mb / timing['peak_rss_mb']:.2f}")
    return 1 if bad else 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("to-parquet")
    p.add_argument("source")
    p.add_argument("target")
    c = sub.add_parser("compliance")
    c.add_argument("source")
    c.add_argument("--as-of", required=True)
    k = sub.add_parser("compare")
    k.add_argument("ours")
    k.add_argument("theirs")
    k.add_argument("seconds", type=float)
    k.add_argument("peak_kb", type=int)
    args = parser.parse_args()
    if args.command == "to-parquet":
        to_parquet(args.source, args.target)
    elif args.command == "compliance":
        compliance(args.source, args.as_of)
    else:
        return compare(args.ours, args.theirs, args.seconds, args.peak_kb)


if __name__ == "__main__":
    sys.exit(main())
