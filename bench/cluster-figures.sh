#!/usr/bin/env bash
# Throughput of the load command against 1 and 3 members on this machine,
# and against 3 members with maps of backup-count 0, 1 and async 1.
#
#   bench/cluster-figures.sh [duration]
#
# Members and the load command share the machine's cores; read the numbers
# as such.
set -euo pipefail
cd "$(dirname "$0")/.."
dur=${1:-10s}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/filbert" ./cmd/filbert
cat > "$work/hazelcast.xml" <<XML
<hazelcast xmlns="http://www.hazelcast.com/schema/config">
  <cluster-name>figures</cluster-name>
  <network>
    <port auto-increment="true" port-count="10">15701</port>
    <join><multicast enabled="false"/><tcp-ip enabled="true"><member>127.0.0.1:15701-15703</member></tcp-ip></join>
  </network>
  <map name="bk0"><backup-count>0</backup-count></map>
  <map name="bk1"><backup-count>1</backup-count></map>
  <map name="async1"><backup-count>0</backup-count><async-backup-count>1</async-backup-count></map>
</hazelcast>
XML
start() { # start n members, wait for each "member started"
  for i in $(seq "$1"); do
    "$work/filbert" --config "$work/hazelcast.xml" > "$work/m$i.log" 2>&1 &
    until grep -q '"member started"' "$work/m$i.log"; do sleep 0.1; done
  done
}
run() { # map label
  echo "== $2"
  "$work/filbert" bench -addr 127.0.0.1:15701 -cluster figures -map "$1" -c 64 -keys 10000 \
    -value-size 100 -read-ratio 0.8 -duration "$dur" -warmup 3s | grep -E 'ops/s|p99' || true
}
start 1
run bk1 "1 member (map with backup-count 1: no other member to hold it)"
kill $(jobs -p); wait 2>/dev/null || true
start 3
sleep 2 # let the first rebalance settle
run bk1 "3 members, backup-count 1 (sync)"
run bk0 "3 members, backup-count 0"
run async1 "3 members, async-backup-count 1"
