#!/usr/bin/env bash
# Benchmark: M/M/10 at utilisation 0.9 in carequeue's simulator, SimPy and
# Ciw, in one run, as customers per second and carequeue's speed ratio.
#
#   scripts/bench-sim/run.sh [CUSTOMERS] [PEER_CUSTOMERS]
#
# carequeue runs CUSTOMERS (default 10,000,000). SimPy and Ciw run
# PEER_CUSTOMERS (default the same; at 10 million they take minutes: pass
# 1000000 for a quick run; their customers per second barely change with the
# count). SimPy 4.1.2 and Ciw 3.2.7 come from PyPI into a virtualenv.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
customers="${1:-10000000}"
peers="${2:-$customers}"
venv="${CAREQUEUE_BENCH_VENV:-$repo/target/bench-sim-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "simpy==4.1.2" "ciw==3.2.7"
fi
cargo build --release -q --manifest-path "$repo/Cargo.toml" -p carequeue
ours=$("$repo/target/release/carequeue" simulate queue --arrival-rate 9 --service-rate 1 --servers 10 \
    --customers "$customers" --seed 1 --format json)
simpy=$("$venv/bin/python" "$here/peers.py" --tool simpy --customers "$peers")
ciw=$("$venv/bin/python" "$here/peers.py" --tool ciw --customers "$peers")
python3 - "$ours" "$simpy" "$ciw" <<'PY'
import json, sys
ours, simpy, ciw = (json.loads(a) for a in sys.argv[1:])
print(f"M/M/10, lambda 9, mu 1 (utilisation 0.9); Erlang C mean wait 0.668732")
print(f"carequeue  {ours['customers']:>10} customers {ours['seconds']:8.2f} s {ours['customers_per_second']:>12,.0f}/s  mean wait {ours['mean_wait']:.4f} ± {ours['mean_wait_ci95']:.4f}")
for peer in (simpy, ciw):
    ratio = ours["customers_per_second"] / peer["customers_per_second"]
    print(f"{peer['tool']:<10} {peer['customers']:>10} customers {peer['seconds']:8.2f} s {peer['customers_per_second']:>12,.0f}/s  mean wait {peer['mean_wait']:.4f}   carequeue is {ratio:,.0f}x")
PY
