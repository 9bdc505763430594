#!/usr/bin/env bash
# Distributed stage-2 figures on SmolLM2-135M, each layout run in the same invocation:
#  - candidate throughput: 1 worker x 1 thread vs 2 workers x 1 thread (2 shards, and 2 replicas);
#  - peak RSS of each worker against its shard's share of the fp32 weights;
#  - the 2-worker run across network-namespace hosts with shaped links (default 1gbit; the
#    delay needs netem in the kernel) against loopback, and bytes on the wire per candidate.
#   bench/cluster.sh [--rate 1gbit] [--delay 1ms] [--sparsity 0.5] [--attention-count 2]
# (--attention-count bounds the stage-2 search: 2 iterations = 59 candidates; 0 = the balancing's)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=1gbit; delay=1ms; sparsity=0.5; attention=2
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --delay) delay=$2; shift 2 ;;
    --sparsity) sparsity=$2; shift 2 ;;
    --attention-count) attention=$2; shift 2 ;;
    -h|--help) sed -n 2,9p "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
bash scripts/install-deps.sh
swift build -c release 2>&1 | tail -n 1
tw=$PWD/.build/release/twossp; worker=$PWD/.build/release/twossp-worker
model=$($tw fetch smollm2-135m | cut -f2)
out=$(mktemp -d)
common=(--model smollm2-135m --sparsity "$sparsity" --calibration wiki --calibration-samples 1 --eval none --quiet)
[ "$attention" != 0 ] && common+=(--attention-count "$attention")

echo "== 1 worker x 1 thread" >&2
$tw prune "${common[@]}" --workers 1 --worker-threads 1 --report "$out/w1.json" >/dev/null
echo "== 2 workers x 1 thread (2 shards)" >&2
$tw prune "${common[@]}" --workers 2 --worker-threads 1 --replicas 1 --report "$out/w2.json" >/dev/null
echo "== 2 workers x 1 thread (2 replicas)" >&2
$tw prune "${common[@]}" --workers 2 --worker-threads 1 --replicas 2 --report "$out/r2.json" >/dev/null

netns="not run (needs root and iproute2)"
if [ "$(id -u)" -eq 0 ] && bash cluster/netns-hosts.sh up 3 --rate "$rate" --delay "$delay" 2>"$out/netns.err"; then
  trap 'bash cluster/netns-hosts.sh down --kill >/dev/null 2>&1 || true' EXIT
  netns=$(bash cluster/netns-hosts.sh status 2>&1 | tr '\n' ' ')
  host0=$(bash cluster/netns-hosts.sh addr 0)
  echo "== 2 workers x 1 thread across netns hosts ($rate)" >&2
  bash cluster/netns-hosts.sh exec 0 "$tw" prune "${common[@]}" --listen "tcp://$host0:5555" --expect-workers 2 \
    --insecure --report "$out/netns.json" >/dev/null &
  coordinator=$!
  for i in 1 2; do
    bash cluster/netns-hosts.sh exec "$i" "$worker" --connect "tcp://$host0:5555" --threads 1 --model "$model" \
      --name "netns-$i" --wait-seconds 120 2>/dev/null &
  done
  wait $coordinator
  wait
fi
python3 - "$out" "$netns" "$(cat "$out/netns.err" 2>/dev/null | tr '\n' ' ')" <<'PY'
import json, os, sys
out, netns, netns_err = sys.argv[1], sys.argv[2], sys.argv[3]
def load(name):
    p = os.path.join(out, name + ".json")
    return json.load(open(p)) if os.path.exists(p) else None
def throughput(r):
    n = sum(len(it["candidates"]) for it in r["stage2"])
    return n / r["runs"][0]["seconds"]["stage2"], n
w1, w2, r2, ns = load("w1"), load("w2"), load("r2"), load("netns")
base, n = throughput(w1)
print(f"stage-2 candidates: {n}")
print(f"1 worker  x 1 thread             : {base:6.3f} candidates/s")
for name, r in [("2 workers x 1 thread, 2 shards  ", w2), ("2 workers x 1 thread, 2 replicas", r2)]:
    t, _ = throughput(r)
    print(f"{name} : {t:6.3f} candidates/s  ({t / base:.2f}x)")
assert w1["stage2"] == w2["stage2"] == r2["stage2"], "decisions differ between layouts"
print("decisions identical across layouts: True")
# Shard share of the fp32 weights: blocks held (+ embedding / head on the end shards).
cfg = dict(d=576, ffn=1536, heads=9, kv=3, hd=64, vocab=49152, layers=30)
block = 4 * (2 * cfg["d"] * cfg["heads"] * cfg["hd"] + 2 * cfg["d"] * cfg["kv"] * cfg["hd"] + 3 * cfg["d"] * cfg["ffn"] + 2 * cfg["d"])
for r, label in [(w1, "1 worker"), (w2, "2 shards")]:
    for w in r["cluster"]["workers"]:
        lo, hi = w["blocks"]
        share = (hi - lo) * block + (4 * cfg["vocab"] * cfg["d"] if lo == 0 or hi == cfg["layers"] else 0)
        rss = w["peak_rss_bytes"]
        print(f"{label}: worker {w['index']} blocks {lo}-{hi - 1}: peak RSS {rss / 2**20:7.1f} MiB, "
              f"weights share {share / 2**20:7.1f} MiB ({rss / share:.2f}x)")
if ns:
    t, _ = throughput(ns)
    t2, _ = throughput(w2)
    wire = ns["cluster"]["bytes_sent"] + ns["cluster"]["bytes_received"]
    print(f"netns hosts ({netns.strip()}): {t:6.3f} candidates/s vs loopback {t2:6.3f} "
          f"({(1 - t / t2) * 100:+.1f}% slower)")
    print(f"bytes on the wire: {wire / 2**20:.1f} MiB in all, {wire / ns['cluster']['stage2_candidates'] / 2**20:.2f} MiB per stage-2 candidate")
    if netns_err.strip():
        print(f"note: {netns_err.strip()}")
else:
    print(f"netns hosts: {netns}")
PY
