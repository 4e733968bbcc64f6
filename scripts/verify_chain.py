#!/usr/bin/env python3
"""Recompute a carequeue SQLite ledger's hash chain without carequeue.

An independent check of docs/ledger.md, using only Python's standard library:
every event's hash is recomputed from the previous hash, its sequence number,
its recorded_at and its stored body; every body is checked to be in canonical
form (RFC 8785 for carequeue's values, which Python's json module reproduces);
and every batch row's hash is recomputed from the one before it.

    python3 scripts/verify_chain.py LEDGER.db [--expect-head SEQ:HASH]

Prints the head on success; exits 1 naming the first bad event otherwise.
"""
import argparse
import bisect
import hashlib
import json
import sqlite3
import sys

DOMAINS = {"live": "carequeue-ledger-v1\n", "backfill": "carequeue-ledger-backfill-v1\n"}
BATCH_DOMAINS = {"live": "carequeue-batch-v1\n", "backfill": "carequeue-backfill-batch-v1\n"}
GENESIS = "0" * 64


def canonical(body: str) -> str:
    return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger")
    parser.add_argument("--expect-head")
    args = parser.parse_args()
    conn = sqlite3.connect(f"file:{args.ledger}?mode=ro", uri=True)
    # A ledger from before migration 2 has no kind column: every batch is live.
    columns = [row[1] for row in conn.execute("PRAGMA table_info(batches)")]
    kind = "kind" if "kind" in columns else "'live'"
    batches = conn.execute(
        "SELECT batch_id, recorded_at, first_seq, last_seq, head_hash, n_read, n_new, n_duplicate, source, batch_hash,"
        f" {kind} FROM batches ORDER BY batch_id").fetchall()
    # Each event is hashed under its batch's kind: the batches with new
    # events, by their first sequence number.
    spans = [(row[2], row[3], row[10]) for row in batches if row[3] >= row[2]]
    firsts = [span[0] for span in spans]

    def kind_of(seq):
        at = bisect.bisect_right(firsts, seq) - 1
        if at >= 0 and spans[at][0] <= seq <= spans[at][1]:
            return spans[at][2]
        return "live"  # no batch holds it: the batch check below fails
    prev, expected_seq = GENESIS, 1
    hashes = {0: GENESIS}
    rows = conn.execute("SELECT seq, event_id, recorded_at, body, hash FROM events ORDER BY seq")
    for seq, event_id, recorded_at, body, stored in rows:
        if seq != expected_seq:
            print(f"event {seq} ({event_id}): expected sequence number {expected_seq}", file=sys.stderr)
            return 1
        domain = DOMAINS.get(kind_of(seq))
        if domain is None:
            print(f"event {seq} ({event_id}): its batch has an unknown kind", file=sys.stderr)
            return 1
        entry = f"{domain}{prev}\n{seq}\n{recorded_at}\n{body}".encode("utf-8")
        computed = hashlib.sha256(entry).hexdigest()
        if computed != stored:
            print(f"event {seq} ({event_id}): hash {stored} but the chain gives {computed}", file=sys.stderr)
            return 1
        if canonical(body) != body:
            print(f"event {seq} ({event_id}): body is not canonical", file=sys.stderr)
            return 1
        prev, expected_seq = computed, seq + 1
        hashes[seq] = computed
    head_seq = expected_seq - 1
    prev_batch = GENESIS
    for batch_id, recorded_at, first, last_seq, head_hash, n_read, n_new, n_dup, source, stored, kind in batches:
        if kind not in BATCH_DOMAINS:
            print(f"batch {batch_id}: unknown kind {kind!r}", file=sys.stderr)
            return 1
        fields = [prev_batch, batch_id, recorded_at, first, last_seq, head_hash, n_read, n_new, n_dup]
        entry = (BATCH_DOMAINS[kind] + "".join(f"{f}\n" for f in fields) + source).encode("utf-8")
        computed = hashlib.sha256(entry).hexdigest()
        if computed != stored or hashes.get(last_seq) != head_hash:
            print(f"batch {batch_id}: its hash or head does not follow from the chain", file=sys.stderr)
            return 1
        prev_batch = computed
    last = conn.execute("SELECT last_seq, head_hash FROM batches ORDER BY batch_id DESC LIMIT 1").fetchone()
    if (last or (0, GENESIS)) != (head_seq, prev):
        print(f"the last batch records head {last} but the chain ends at {head_seq}:{prev}", file=sys.stderr)
        return 1
    if args.expect_head:
        seq, _, digest = args.expect_head.partition(":")
        if hashes.get(int(seq)) != digest:
            print(f"the chain does not pass through {args.expect_head}", file=sys.stderr)
            return 1
    print(f"{head_seq}:{prev}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
