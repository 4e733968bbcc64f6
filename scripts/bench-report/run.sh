#!/usr/bin/env bash
# Benchmark of the full report against DuckDB computing the same compliance
# table from the same events exported as Parquet, in one run:
#
#   scripts/bench-report/run.sh [REQUESTS] [WORKDIR]    # default 1000000, a temporary folder
#
# 1. writes a synthetic workload of REQUESTS request histories
#    (scripts/crosscheck/make_workload.py: about 3.3 events a request),
# 2. ingests it into an SQLite ledger, exports the events and converts them
#    to Parquet with DuckDB (not timed),
# 3. times `carequeue report --format json` (the full report: compliance,
#    access measures, integrity checks, the chain check) with its peak memory
#    (/usr/bin/time), and DuckDB's compliance table from the Parquet file
#    (duckdb_parquet.py: reading the file included; its peak memory),
# 4. checks that every count of every standard is identical and prints the
#    times, the peak memories and the ratio.
#
# DuckDB and the holidays package come from PyPI into a virtualenv
# ($CAREQUEUE_VENV, default target/crosscheck-venv); never carequeue's
# dependencies. Exits 1 when a count differs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
requests="${1:-1000000}"
work="${2:-$(mktemp -d)}"
mkdir -p "$work"
venv="${CAREQUEUE_VENV:-$repo/target/crosscheck-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "duckdb==2.0.1" "holidays==0.109"
fi
cargo build --release -q --manifest-path "$repo/Cargo.toml" -p carequeue
cq="$repo/target/release/carequeue"

start="$(date -u -d '150 days ago' +%Y-%m-%d)"
if [ ! -f "$work/ledger.db" ]; then
    python3 "$repo/scripts/crosscheck/make_workload.py" --requests "$requests" --seed 7 --start "$start" > "$work/workload.ndjson"
    "$cq" ingest --db "$work/ledger.db" "$work/workload.ndjson" | tail -1
    rm "$work/workload.ndjson"
    "$cq" events --db "$work/ledger.db" > "$work/export.ndjson"
    "$venv/bin/python" "$here/duckdb_parquet.py" to-parquet "$work/export.ndjson" "$work/events.parquet"
    rm "$work/export.ndjson"
fi
as_of="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

/usr/bin/time -f "%e %M" -o "$work/carequeue.time" \
    "$cq" report --db "$work/ledger.db" --rules ca-dmhc --as-of "$as_of" --format json --out "$work/carequeue.json"
read -r ours ours_kb < "$work/carequeue.time"
"$venv/bin/python" "$here/duckdb_parquet.py" compliance "$work/events.parquet" --as-of "$as_of" > "$work/duckdb.ndjson"

"$venv/bin/python" - "$work/carequeue.json" "$work/duckdb.ndjson" "$ours" "$ours_kb" "$work/events.parquet" <<'PY'
import json, os, sys
ours = {r["standard"]: r for r in json.load(open(sys.argv[1]))["rows"]}
lines = [json.loads(l) for l in open(sys.argv[2])]
timing = lines[-1]
theirs = {r["standard"]: r for r in lines[:-1]}
keys = ["requests", "met", "missed", "open_within", "open_overdue", "excluded"]
bad = 0
for standard in sorted(set(ours) | set(theirs)):
    a, b = ours.get(standard, {}), theirs.get(standard, {})
    same = all(a.get(k) == b.get(k) for k in keys)
    bad += not same
    print(f"{standard:<22} " + " ".join(f"{a.get(k, '-'):>10}" for k in keys) + ("  identical" if same else "  DIFFERENT"))
requests = sum(r["requests"] for r in ours.values())
ours_s, ours_mb = float(sys.argv[3]), int(sys.argv[4]) / 1024
print(f"carequeue report (full, from the SQLite ledger): {ours_s:.2f} s, peak {ours_mb:.0f} MB")
print(f"DuckDB compliance table (from {os.path.getsize(sys.argv[5]) / 1e6:.0f} MB of Parquet): {timing['seconds']:.2f} s, peak {timing['peak_rss_mb']:.0f} MB")
print(f"ratio carequeue / DuckDB: time {ours_s / timing['seconds']:.2f}, memory {ours_mb / timing['peak_rss_mb']:.2f}")
sys.exit(1 if bad else 0)
PY
