#!/usr/bin/env bash
# Runs the integration tests of the official Hazelcast Go client
# (github.com/hazelcast/hazelcast-go-client v1.5.0, unchanged, from the module
# cache) against Filbert members started by `filbert rc`, the remote
# controller, and prints one line per test:
#
#   PASS name | FAIL name: first line of the reason | SKIP name: reason
#
# then "# package: ..." summaries and a final "N passed, M failed, K skipped"
# line counting leaf tests (tests without subtests).
#
# Usage: compat-tests/official-go-suite.sh [options] [package ...]
#
#   package          package of the client module: ".", "./sql/...", ... (default ./...)
#   --run REGEX      go test -run pattern, e.g. '^(TestMap|TestClient)$' or 'TestMap/^Put$'
#   --skip REGEX     go test -skip pattern
#   --timeout DUR    time a test may run without finishing or starting a subtest (default 90s);
#                    a test exceeding it fails and the test binary is restarted past it
#   --ratchet        exit 1 if a test listed in compat-tests/official-go-suite.expected that
#                    belongs to the selected tests does not pass
#   --update         rewrite the selected part of official-go-suite.expected from this run
#   -v               print the output of every failing leaf test
#   --keep           keep the work directory (member logs, controller log, JSON events)
#
# Environment (read by the client's suite): HZ_VERSION (default 5.3.6), MEMBER_COUNT
# (default 1), DISABLE_NONSMART (default 1: smart routing only; set 0 for both modes),
# DISABLE_SMART, ENABLE_SSL, SLOW_ENABLED, FLAKY_ENABLED, ALL_ENABLED.
# FILBERT_BIN names a prebuilt filbert binary to use instead of building ./cmd/filbert.
#
# The suite talks to the controller on localhost:9701, which must be free. Packages run
# one after another; each test binary gets fresh clusters (the controller shuts clusters
# down when a test binary disconnects). Only Go and network access to the Go module
# proxy are needed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
client_module=github.com/hazelcast/hazelcast-go-client@v1.5.0
expected="$root/compat-tests/official-go-suite.expected"

run_pattern="" skip_pattern="" timeout=90s ratchet=0 update=0 verbose=0 keep=0
packages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --run) run_pattern=$2; shift 2 ;;
    --skip) skip_pattern=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --ratchet) ratchet=1; shift ;;
    --update) update=1; shift ;;
    -v) verbose=1; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; packages+=("$@"); break ;;
    -*) echo "official-go-suite: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) packages+=("$1"); shift ;;
  esac
done
[ ${#packages[@]} -gt 0 ] || packages=(./...)

export HZ_VERSION=${HZ_VERSION:-5.3.6}
export MEMBER_COUNT=${MEMBER_COUNT:-1}
export DISABLE_NONSMART=${DISABLE_NONSMART:-1}

note() { echo "official-go-suite: $*" >&2; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if port_open 9701; then
  note "something already listens on 127.0.0.1:9701 (another run of this suite?); stop it first"; exit 3
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/filbert-go-suite.XXXXXX")
rc_pid=""
cleanup() {
  local status=$?
  if [ -n "$rc_pid" ] && kill -0 "$rc_pid" 2>/dev/null; then
    kill -TERM "$rc_pid" 2>/dev/null || true
    wait "$rc_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ] || [ "$status" -gt 1 ]; then
    echo "official-go-suite: work directory kept: $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cd "$root"
if [ -n "${FILBERT_BIN:-}" ]; then
  filbert=$FILBERT_BIN
else
  note "building filbert"
  go build -o "$work/filbert" ./cmd/filbert
  filbert=$work/filbert
fi
go build -o "$work/suitereport" ./compat-tests/suitereport

note "fetching $client_module"
client_dir=$(go mod download -json "$client_module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$client_dir" ] || [ ! -d "$client_dir" ]; then
  note "could not locate $client_module in the module cache"; exit 3
fi
cp -R "$client_dir" "$work/hazelcast-go-client"
chmod -R u+w "$work/hazelcast-go-client"
(cd "$work/hazelcast-go-client" && go mod download)

note "starting the remote controller (log: $work/rc.log)"
mkdir -p "$work/member-logs"
"$filbert" rc -addr 127.0.0.1:9701 -member-binary "$filbert" -member-logs "$work/member-logs" \
  2>"$work/rc.log" &
rc_pid=$!
for _ in $(seq 1 300); do
  port_open 9701 && break
  if ! kill -0 "$rc_pid" 2>/dev/null; then
    note "the remote controller exited:"; tail -5 "$work/rc.log" >&2; exit 3
  fi
  sleep 0.1
done
port_open 9701 || { note "the remote controller did not listen on 9701"; exit 3; }

args=(-dir "$work/hazelcast-go-client" -tags hazelcastinternal,hazelcastinternaltest
  -timeout "$timeout" -json-log "$work/events.jsonl")
[ -n "$run_pattern" ] && args+=(-run "$run_pattern")
[ -n "$skip_pattern" ] && args+=(-skip "$skip_pattern")
[ "$verbose" = 1 ] && args+=(-v)
[ "$ratchet" = 1 ] && args+=(-expected "$expected" -ratchet)
[ "$update" = 1 ] && args+=(-expected "$expected" -update)

note "HZ_VERSION=$HZ_VERSION MEMBER_COUNT=$MEMBER_COUNT DISABLE_NONSMART=$DISABLE_NONSMART packages: ${packages[*]}"
"$work/suitereport" "${args[@]}" "${packages[@]}"
