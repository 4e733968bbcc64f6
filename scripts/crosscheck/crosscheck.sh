#!/usr/bin/env bash
# Cross-checks carequeue's compliance table against an independent DuckDB
# implementation (duckdb_compliance.py) on a synthetic workload
# (make_workload.py, about 3.3 events a request), and benchmarks the two:
#
#   scripts/crosscheck/crosscheck.sh [REQUESTS] [WORKDIR]   # default 100000, a temporary folder
#
# 1. writes the workload, ingests it into an SQLite ledger, exports the events
#    and converts them to Parquet with DuckDB (not timed; kept in WORKDIR
#    for a rerun),
# 2. times `carequeue report --format json` (the full report: compliance,
#    access measures, integrity checks, the chain check) with its peak memory
#    (/usr/bin/time), and DuckDB's compliance table from the Parquet file
#    (reading the file included; its peak memory),
# 3. checks that every count of every standard is identical and prints both
#    times, both peak memories and the ratios.
#
# DuckDB and the holidays package come from PyPI into a virtualenv
# ($CAREQUEUE_VENV, default target/crosscheck-venv); they are never
# carequeue's dependencies. Exits 0 when every count is identical, 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
requests="${1:-100000}"
if [ -n "${2:-}" ]; then
    work="$2"
    mkdir -p "$work"
else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
venv="${CAREQUEUE_VENV:-$repo/target/crosscheck-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "duckdb==2.0.1" "holidays==0.109"
fi
cargo build --release -q --manifest-path "$repo/Cargo.toml" -p carequeue
cq="$repo/target/release/carequeue"
duck() { "$venv/bin/python" "$here/duckdb_compliance.py" "$@"; }

if [ ! -f "$work/ledger.db" ]; then
    # Requests drawn over 180 days from 150 days ago, so that some deadlines
    # are still ahead; the workload leaves out whatever would happen after
    # now (the ledger refuses events that have not happened yet).
    start="$(date -u -d '150 days ago' +%Y-%m-%d)"
    python3 "$here/make_workload.py" --requests "$requests" --seed 7 --start "$start" > "$work/workload.ndjson"
    if ! "$cq" ingest --db "$work/ledger.db" "$work/workload.ndjson" | tail -1; then
        rm -f "$work/ledger.db" "$work/ledger.db-wal" "$work/ledger.db-shm"
        echo "crosscheck: the workload was not ingested" >&2
        exit 1
    fi
    rm "$work/workload.ndjson"
    "$cq" events --db "$work/ledger.db" > "$work/export.ndjson"
    duck to-parquet "$work/export.ndjson" "$work/events.parquet"
    rm "$work/export.ndjson"
fi
as_of="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

/usr/bin/time -f "%e %M" -o "$work/carequeue.time" \
    "$cq" report --db "$work/ledger.db" --rules ca-dmhc --as-of "$as_of" --format json --out "$work/carequeue.json" --timings
read -r ours ours_kb < "$work/carequeue.time"
duck compliance "$work/events.parquet" --as-of "$as_of" > "$work/duckdb.ndjson"
duck compare "$work/carequeue.json" "$work/duckdb.ndjson" "$ours" "$ours_kb"
