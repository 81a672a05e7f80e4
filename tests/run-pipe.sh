#!/usr/bin/env bash
# run-pipe.sh: the pipe filter behaves in a pipeline: a record is passed on while the
# input is idle (not held in a buffer), a closed reader ends it quietly (EPIPE:
# exit 3, no noise), and SIGTERM flushes what was read and exits cleanly. Waits scale
# with TEST_TIME_SCALE (tests/timescale.sh).
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/timescale.sh"
cfg=$(cd "$(dirname "$0")/.." && pwd)/patterns/default.yaml   # explicit: the binary may live outside the tree
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "pipe: FAIL: $1"; fi; }
for t in 1 2; do
    rm -f "$tmp/fifo" "$tmp/out"; mkfifo "$tmp/fifo"
    "$bin" -c "$cfg" --threads $t < "$tmp/fifo" > "$tmp/out" &
    pid=$!
    exec 3> "$tmp/fifo"
    echo "first Authorization: Bearer 0VrbBGI09QYNdaKy8isWydfh" >&3
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -s "$tmp/out" ] && break; tsleep 0.2; done
    check "threads=$t: a record leaves while the input is idle" '[ "$(cat "$tmp/out")" = "first Authorization: Bearer [REDACTED:http-bearer]" ]'
    echo "partial line without newline" >&3
    kill -TERM $pid; tsleep 0.3; exec 3>&-
    wait $pid; rc=$?
    check "threads=$t: SIGTERM exits 0 after flushing" '[ $rc = 0 ] && grep -q "^partial line" "$tmp/out"'
    seq 1 300000 | sed "s/$/ some log text/" | "$bin" -c "$cfg" --threads $t 2> "$tmp/err" | head -1 > /dev/null
    rc=${PIPESTATUS[2]}
    check "threads=$t: closed reader ends quietly with exit 3" '[ $rc = 3 ] && [ ! -s "$tmp/err" ]'
done
echo "pipe: $pass passed, $fail failed"
[ $fail = 0 ]
