#!/usr/bin/env python3
"""Writes a synthetic workload of request histories as NDJSON, for the DuckDB
cross-check. Independent of carequeue's own generators: plain Python with a
fixed seed (random.Random), so the same arguments give the same file.

    python3 make_workload.py --requests 20000 --seed 7 > workload.ndjson
"""
import argparse
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

CLINICS = [("la1", "America/Los_Angeles"), ("la2", "America/Los_Angeles"),
           ("sf1", "America/Los_Angeles"), ("ny1", "America/New_York"), ("ny2", "America/New_York")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--start", default="2024-01-01", help="the first day of requests (UTC)")
    parser.add_argument("--now", default=None,
                        help="leave out events after this moment (RFC 3339; default: now), as a "
                             "ledger refuses events that have not happened yet")
    args = parser.parse_args()
    now = (datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now
           else datetime.now(timezone.utc))
    rng = random.Random(args.seed)
    n = 0
    write = sys.stdout.write

    def emit(kind, at, **fields):
        # Written as made: millions of requests need no memory.
        nonlocal n
        n += 1
        ev = {"event_id": f"w{n}", "type": kind, "occurred_at": at}
        ev.update(fields)
        # An event of the future is not written. Every reference points to
        # an event that happened before the one referring, so what remains
        # is whole; the random draws are the same either way.
        if datetime.fromisoformat(at) <= now:
            write(json.dumps(ev, separators=(",", ":")) + "\n")
        return ev

    def ts(moment, tz):
        local = moment.astimezone(ZoneInfo(tz))
        text = local.isoformat(timespec="seconds")
        return text

    base = datetime.fromisoformat(args.start).replace(tzinfo=timezone.utc)
    for clinic, tz in CLINICS:
        emit("clinic.registered", ts(base, tz), clinic=clinic, time_zone=tz, network="net-" + clinic[:2])
    providers = ["non_physician_mh"] * 5 + ["psychiatrist"] * 2 + ["sud", "primary_care", "other"]
    for r in range(args.requests):
        clinic, tz = rng.choice(CLINICS)
        rid = f"r{r}"
        opened = base + timedelta(seconds=rng.randrange(0, 180 * 86400))
        urgent = rng.random() < 0.15
        provider = rng.choice(providers)
        follow_up = rng.random() < 0.25
        fields = dict(request_id=rid, patient_id=f"p{rng.randrange(4000)}", clinic=clinic,
                      urgency="urgent" if urgent else "routine", provider_type=provider,
                      visit="follow_up" if follow_up else "initial",
                      prior_auth=rng.random() < 0.2,
                      requested_format=rng.choice(["individual", "individual", "any", "group"]))
        if follow_up and rng.random() < 0.9:
            fields["prior_appointment_at"] = ts(opened - timedelta(seconds=rng.randrange(0, 4 * 86400)), tz)
        emit("request.opened", ts(opened, tz), **fields)
        if not urgent and rng.random() < 0.05:
            emit("request.triaged", ts(opened + timedelta(seconds=rng.randrange(3600, 5 * 86400)), tz),
                 request_id=rid, urgency="urgent")
        offers = []
        for k in range(rng.choice([0, 1, 1, 2, 3])):
            made = opened + timedelta(seconds=rng.randrange(0, 20 * 86400))
            lead = timedelta(seconds=rng.randrange(-86400 if rng.random() < 0.03 else 3600, 30 * 86400))
            offer_provider = "psychiatrist" if rng.random() < 0.05 else provider
            ev = emit("offer.made", ts(made, tz), request_id=rid, offer_id=f"{rid}-o{k}",
                      appointment_at=ts(made + lead, tz), clinician_id="d1", provider_type=offer_provider,
                      format="group" if rng.random() < 0.1 else "individual", modality="video",
                      in_network=rng.random() > 0.05)
            offers.append(ev)
            if rng.random() < 0.1:
                emit("offer.declined", ts(made + timedelta(minutes=5), tz), request_id=rid,
                     offer_id=f"{rid}-o{k}", reason=rng.choice(["patient_preference", "time"]))
        if rng.random() < 0.1:
            made = opened + timedelta(seconds=rng.randrange(0, 10 * 86400))
            emit("appointment.booked", ts(made, tz), request_id=rid, appointment_id=f"{rid}-a",
                 appointment_at=ts(made + timedelta(seconds=rng.randrange(3600, 20 * 86400)), tz),
                 clinician_id="d1", format="individual", modality="in_person")
        if rng.random() < 0.03:
            made = opened + timedelta(seconds=rng.randrange(0, 15 * 86400))
            emit("referral.out_of_network", ts(made, tz), request_id=rid, provider="Elsewhere",
                 appointment_at=ts(made + timedelta(days=rng.randrange(1, 10)), tz))
        for _ in range(rng.choice([0] * 30 + [1, 2])):
            made = opened + timedelta(seconds=rng.randrange(0, 25 * 86400))
            emit("extension.documented", ts(made, tz), request_id=rid, clinician_id="d1",
                 extended_to=ts(opened + timedelta(days=rng.randrange(5, 60)), tz), reason="stable")
        if rng.random() < 0.5:
            emit("request.closed", ts(opened + timedelta(seconds=rng.randrange(0, 60 * 86400)), tz),
                 request_id=rid, reason=rng.choice(["served", "withdrawn", "unreachable", "declined_care", "other"]))
        if offers and rng.random() < 0.02:
            emit("event.voided", ts(opened + timedelta(days=30), tz), voids=offers[0]["event_id"],
                 reason="entered against the wrong request")


if __name__ == "__main__":
    main()
