#!/usr/bin/env python3
"""Writes examples/small-plan.ndjson and examples/small-plan.csv.

A small, entirely synthetic plan: two clinics in two time zones, five
clinicians, a fortnight of published slots and a dozen requests whose stories
cover every event type (met and missed deadlines, a declined timely offer,
group care offered for an individual request, an out-of-network referral, a
clinical extension, a withdrawal, harm while waiting, a voided event).
No real person is described. Run it again after changing it; the output is
deterministic.
"""
import csv
import json
from datetime import datetime, timedelta, timezone

PT = timezone(timedelta(hours=-8))  # California in winter (PST)
ET = timezone(timedelta(hours=-5))  # New York in winter (EST)
events = []


def ts(dt):
    s = dt.isoformat()
    return s[:-6] + "Z" if s.endswith("+00:00") else s


def add(event_type, at, **fields):
    n = len(events) + 1
    ev = {"event_id": f"ex-{n:04d}", "type": event_type, "occurred_at": ts(at)}
    ev.update({k: (ts(v) if isinstance(v, datetime) else v) for k, v in fields.items()})
    events.append(ev)
    return ev


start = datetime(2024, 1, 2, 8, 0, tzinfo=PT)
add("clinic.registered", start, clinic="oak", time_zone="America/Los_Angeles", network="bay", name="Oakland Behavioral Health")
add("clinic.registered", start, clinic="bkn", time_zone="America/New_York", network="east", name="Brooklyn Counseling Center")
clinicians = [("oak-md1", "oak", "psychiatrist", "1"), ("oak-th1", "oak", "non_physician_mh", "1"),
              ("oak-th2", "oak", "non_physician_mh", "0.6"), ("oak-sud1", "oak", "sud", "1"),
              ("bkn-th1", "bkn", "non_physician_mh", "0.8")]
for cid, clinic, ptype, fte in clinicians:
    extra = {"languages": ["en", "es"]} if cid == "oak-th2" else {}
    add("clinician.registered", start, clinician_id=cid, clinic=clinic, provider_type=ptype, fte=float(fte), **extra)

# Three weeks of slots: weekdays, 9:00 and 14:00 local, one group session on Wednesdays.
slots = {}
for day in range(21):
    for cid, clinic, _, _ in clinicians:
        tz = PT if clinic == "oak" else ET
        d = datetime(2024, 1, 8, tzinfo=tz) + timedelta(days=day)
        if d.weekday() >= 5:
            continue
        for hour in (9, 14):
            sid = f"{cid}-{d:%m%d}-{hour}"
            s = d.replace(hour=hour)
            fmt = "group" if (cid == "oak-th1" and d.weekday() == 2 and hour == 14) else "individual"
            extra = {"capacity": 8} if fmt == "group" else {}
            add("slot.published", start, slot_id=sid, clinician_id=cid, clinic=clinic,
                start=s, end=s + timedelta(minutes=50), format=fmt, **extra)
            slots[sid] = s
add("slot.withdrawn", datetime(2024, 1, 9, 12, 0, tzinfo=PT), slot_id="oak-th2-0115-9")


def req(rid, at, clinic="oak", urgency="routine", ptype="non_physician_mh", visit="initial", **extra):
    return add("request.opened", at, request_id=rid, patient_id=f"pt-{rid}", clinic=clinic,
               urgency=urgency, provider_type=ptype, visit=visit, **extra)


def offer(rid, oid, at, slot, clinician, ptype="non_physician_mh", fmt="individual", modality="in_person", **extra):
    return add("offer.made", at, request_id=rid, offer_id=oid, appointment_at=slots[slot],
               clinician_id=clinician, provider_type=ptype, format=fmt, modality=modality, slot_id=slot, **extra)


def book_and_attend(rid, aid, at, slot, clinician, oid=None, attend=True, modality="in_person"):
    extra = {"offer_id": oid} if oid else {}
    add("appointment.booked", at, request_id=rid, appointment_id=aid, appointment_at=slots[slot],
        clinician_id=clinician, format="individual", modality=modality, slot_id=slot, **extra)
    if attend:
        add("appointment.attended", slots[slot] + timedelta(minutes=50), request_id=rid, appointment_id=aid)


# r01: routine therapy, offered within 10 business days, booked and attended.
req("r01", datetime(2024, 1, 8, 10, 15, tzinfo=PT), channel="phone")
offer("r01", "o01", datetime(2024, 1, 8, 11, 0, tzinfo=PT), "oak-th1-0111-9", "oak-th1")
book_and_attend("r01", "a01", datetime(2024, 1, 8, 11, 5, tzinfo=PT), "oak-th1-0111-9", "oak-th1", "o01")
add("request.closed", datetime(2024, 1, 11, 10, 0, tzinfo=PT), request_id="r01", reason="served")

# r02: urgent psychiatry, offered the next day (within 48 hours).
req("r02", datetime(2024, 1, 8, 16, 40, tzinfo=PT), urgency="urgent", ptype="psychiatrist")
offer("r02", "o02", datetime(2024, 1, 8, 17, 0, tzinfo=PT), "oak-md1-0109-14", "oak-md1", ptype="psychiatrist", modality="video")
book_and_attend("r02", "a02", datetime(2024, 1, 8, 17, 2, tzinfo=PT), "oak-md1-0109-14", "oak-md1", "o02", modality="video")

# r03: routine therapy, timely offer declined for patient preference, later slot booked.
req("r03", datetime(2024, 1, 9, 9, 0, tzinfo=PT), requested_format="individual")
offer("r03", "o03a", datetime(2024, 1, 9, 9, 30, tzinfo=PT), "oak-th2-0112-14", "oak-th2")
add("offer.declined", datetime(2024, 1, 9, 9, 31, tzinfo=PT), request_id="r03", offer_id="o03a", reason="patient_preference")
offer("r03", "o03b", datetime(2024, 1, 9, 9, 35, tzinfo=PT), "oak-th2-0119-14", "oak-th2")
book_and_attend("r03", "a03", datetime(2024, 1, 9, 9, 36, tzinfo=PT), "oak-th2-0119-14", "oak-th2", "o03b")

# r04: individual care requested, only group offered: substitution.
req("r04", datetime(2024, 1, 9, 13, 0, tzinfo=PT), requested_format="individual")
offer("r04", "o04", datetime(2024, 1, 9, 13, 20, tzinfo=PT), "oak-th1-0110-14", "oak-th1", fmt="group")

# r05: urgent, no capacity; referred out of network; harm reported while waiting.
req("r05", datetime(2024, 1, 10, 8, 5, tzinfo=PT), urgency="urgent", ptype="non_physician_mh")
add("harm.reported", datetime(2024, 1, 11, 22, 0, tzinfo=PT), request_id="r05", kind="ed_visit", entered_at=datetime(2024, 1, 12, 9, 0, tzinfo=PT))
add("referral.out_of_network", datetime(2024, 1, 12, 10, 0, tzinfo=PT), request_id="r05", provider="Synthetic Counseling LLC",
    appointment_at=datetime(2024, 1, 13, 10, 0, tzinfo=PT))

# r06: SB 221 follow-up after r01's visit, offered 8 business days later.
req("r06", datetime(2024, 1, 11, 10, 0, tzinfo=PT), visit="follow_up", prior_appointment_id="a01")
offer("r06", "o06", datetime(2024, 1, 11, 10, 5, tzinfo=PT), "oak-th1-0123-9", "oak-th1")

# r07: routine psychiatry with a documented clinical extension.
req("r07", datetime(2024, 1, 10, 15, 0, tzinfo=PT), ptype="psychiatrist")
add("extension.documented", datetime(2024, 1, 12, 9, 0, tzinfo=PT), request_id="r07", clinician_id="oak-md1",
    extended_to=datetime(2024, 2, 16, 17, 0, tzinfo=PT), reason="stable on current medication; monthly review appropriate")

# r08: withdrawn by the patient before any offer.
req("r08", datetime(2024, 1, 10, 11, 0, tzinfo=PT))
add("request.closed", datetime(2024, 1, 12, 16, 0, tzinfo=PT), request_id="r08", reason="withdrawn")

# r09: Brooklyn, re-triaged from routine to urgent, offered by video.
req("r09", datetime(2024, 1, 9, 10, 0, tzinfo=ET), clinic="bkn")
add("request.triaged", datetime(2024, 1, 10, 9, 0, tzinfo=ET), request_id="r09", urgency="urgent")
offer("r09", "o09", datetime(2024, 1, 10, 9, 30, tzinfo=ET), "bkn-th1-0111-14", "bkn-th1", modality="video")
book_and_attend("r09", "a09", datetime(2024, 1, 10, 9, 31, tzinfo=ET), "bkn-th1-0111-14", "bkn-th1", "o09", modality="video")

# r10: SUD request, booked, cancelled by the provider, rebooked, no-show.
req("r10", datetime(2024, 1, 11, 14, 0, tzinfo=PT), ptype="sud", prior_auth=True)
offer("r10", "o10", datetime(2024, 1, 11, 14, 30, tzinfo=PT), "oak-sud1-0116-9", "oak-sud1", ptype="sud")
book_and_attend("r10", "a10", datetime(2024, 1, 11, 14, 31, tzinfo=PT), "oak-sud1-0116-9", "oak-sud1", "o10", attend=False)
add("appointment.cancelled", datetime(2024, 1, 15, 8, 0, tzinfo=PT), request_id="r10", appointment_id="a10", by="provider", reason="clinician unavailable")
book_and_attend("r10", "a10b", datetime(2024, 1, 15, 8, 10, tzinfo=PT), "oak-sud1-0118-14", "oak-sud1", attend=False)
add("appointment.no_show", slots["oak-sud1-0118-14"] + timedelta(minutes=15), request_id="r10", appointment_id="a10b")

# r11: still waiting, never offered anything (open past its deadline as of February).
req("r11", datetime(2024, 1, 12, 12, 0, tzinfo=PT), actor="callcentre-7")

# r12: an offer entered against the wrong request, voided.
req("r12", datetime(2024, 1, 12, 13, 0, tzinfo=PT))
wrong = offer("r12", "o12", datetime(2024, 1, 12, 13, 30, tzinfo=PT), "oak-th2-0117-9", "oak-th2")
add("event.voided", datetime(2024, 1, 12, 13, 45, tzinfo=PT), voids=wrong["event_id"], reason="offer recorded against the wrong request")

fields = ["event_id", "type", "occurred_at", "entered_at", "actor", "clinic", "time_zone", "network", "name",
          "clinician_id", "provider_type", "fte", "languages", "slot_id", "start", "end", "format", "capacity",
          "new_patients", "request_id", "patient_id", "urgency", "visit", "prior_auth", "requested_format",
          "prior_appointment_id", "prior_appointment_at", "channel", "offer_id", "appointment_at", "modality",
          "in_network", "reason", "appointment_id", "by", "extended_to", "provider", "kind", "voids"]
with open("small-plan.ndjson", "w") as f:
    for ev in events:
        f.write(json.dumps(ev, separators=(",", ":")) + "\n")
with open("small-plan.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(fields)
    for ev in events:
        row = []
        for k in fields:
            v = ev.get(k)
            if v is None:
                row.append("")
            elif isinstance(v, bool):
                row.append("true" if v else "false")
            elif isinstance(v, list):
                row.append(";".join(v))
            else:
                row.append(str(v))
        w.writerow(row)
print(len(events), "events")
