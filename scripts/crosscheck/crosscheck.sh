#!/usr/bin/env bash
# Cross-checks carequeue's compliance table against an independent DuckDB
# implementation (duckdb_compliance.py) on a synthetic workload
# (make_workload.py). DuckDB and the holidays package come from PyPI into a
# virtualenv; they are never carequeue's dependencies.
#
#   scripts/crosscheck/crosscheck.sh [REQUESTS]   # default 100000
#
# Exits 0 when every count of every standard is identical, 1 otherwise.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
requests="${1:-100000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

venv="${CAREQUEUE_VENV:-$repo/target/crosscheck-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "duckdb==2.0.1" "holidays==0.109"
fi
cargo build --release -q --manifest-path "$repo/Cargo.toml" -p carequeue
cq="$repo/target/release/carequeue"

# Requests over the last 150 days, so that some deadlines are still ahead.
start="$(date -u -d '150 days ago' +%Y-%m-%d)"
python3 "$here/make_workload.py" --requests "$requests" --seed 7 --start "$start" > "$work/workload.ndjson"
"$cq" ingest --db "$work/ledger.db" "$work/workload.ndjson" | tail -1
as_of="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$cq" events --db "$work/ledger.db" > "$work/export.ndjson"

started=$(date +%s.%N)
"$cq" report --db "$work/ledger.db" --rules ca-dmhc --as-of "$as_of" --format json --out "$work/carequeue.json"
ours=$(echo "$(date +%s.%N) - $started" | bc)
started=$(date +%s.%N)
"$venv/bin/python" "$here/duckdb_compliance.py" "$work/export.ndjson" --as-of "$as_of" > "$work/duckdb.ndjson"
theirs=$(echo "$(date +%s.%N) - $started" | bc)

"$venv/bin/python" - "$work/carequeue.json" "$work/duckdb.ndjson" <<'PY'
import json, sys
ours = {r["standard"]: r for r in json.load(open(sys.argv[1]))["rows"]}
theirs = {r["standard"]: r for r in map(json.loads, open(sys.argv[2]))}
keys = ["requests", "met", "missed", "open_within", "open_overdue", "excluded"]
bad = 0
print(f"{'standard':<22} " + " ".join(f"{k:>12}" for k in keys))
for standard in sorted(set(ours) | set(theirs)):
    a, b = ours.get(standard, {}), theirs.get(standard, {})
    same = all(a.get(k) == b.get(k) for k in keys)
    bad += not same
    print(f"{standard:<22} " + " ".join(f"{a.get(k, '-'):>12}" for k in keys) + ("  identical" if same else "  DIFFERENT"))
    if not same:
        print(f"{'  duckdb':<22} " + " ".join(f"{b.get(k, '-'):>12}" for k in keys))
sys.exit(1 if bad else 0)
PY
echo "carequeue report: ${ours} s; DuckDB (load, tables in Python, SQL): ${theirs} s"
