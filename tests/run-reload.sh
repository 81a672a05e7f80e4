#!/usr/bin/env bash
# run-reload.sh: SIGHUP hot reload under load, with a valid and an invalid new config,
# on the single-thread stream and on the thread pool. The pauses that let a phase be
# read before the next signal scale with TEST_TIME_SCALE (tests/timescale.sh).
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/timescale.sh"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "reload: FAIL: $1"; fi; }

rules_a() { printf 'rules:\n  - id: alpha\n    regex: "SECRET_A_[0-9]+"\n    keywords: [secret_a_]\n'; }
rules_b() { printf 'rules:\n  - id: beta\n    regex: "SECRET_B_[0-9]+"\n    keywords: [secret_b_]\n'; }

for threads in 1 2; do
    rules_a > "$tmp/rules.yaml"
    rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"
    "$bin" -c "$tmp/rules.yaml" --threads $threads --stats < "$tmp/fifo" > "$tmp/out" 2> "$tmp/err" &
    pid=$!
    exec 3> "$tmp/fifo"
    # phase 1: rules A; a burst of load
    for i in $(seq 1 2000); do echo "p1 line $i SECRET_A_$i SECRET_B_$i"; done >&3
    tsleep 0.5
    # phase 2: valid new config (B)
    rules_b > "$tmp/rules.yaml"
    kill -HUP $pid; tsleep 0.5
    for i in $(seq 1 2000); do echo "p2 line $i SECRET_A_$i SECRET_B_$i"; done >&3
    tsleep 0.5
    # phase 3: invalid config: old rules (B) keep running
    printf 'rules:\n  - id: broken\n    regex: "(unclosed"\n' > "$tmp/rules.yaml"
    kill -HUP $pid; tsleep 0.5
    for i in $(seq 1 2000); do echo "p3 line $i SECRET_A_$i SECRET_B_$i"; done >&3
    exec 3>&-
    wait $pid; rc=$?
    check "threads=$threads exit status $rc" '[ $rc = 0 ]'
    check "threads=$threads all 6000 lines out" '[ "$(wc -l < "$tmp/out")" = 6000 ]'
    check "threads=$threads phase 1 used rules A" '! grep "^p1" "$tmp/out" | grep -q SECRET_A_ && [ "$(grep "^p1" "$tmp/out" | grep -c SECRET_B_)" = 2000 ]'
    check "threads=$threads phase 2 used rules B" '! grep "^p2" "$tmp/out" | grep -q SECRET_B_ && [ "$(grep "^p2" "$tmp/out" | grep -c SECRET_A_)" = 2000 ]'
    check "threads=$threads phase 3 kept rules B" '! grep "^p3" "$tmp/out" | grep -q SECRET_B_'
    check "threads=$threads invalid config reported" 'grep -q "reload failed, keeping the previous rules: .*rules.yaml:3:12: rule .broken.: regex: missing closing parenthesis" "$tmp/err"'
    check "threads=$threads stats count both rule sets" 'grep -q "\"alpha\":2000" "$tmp/err" && grep -q "\"beta\":4000" "$tmp/err"'
    check "threads=$threads accounting" 'grep -q "\"records_in\":6000,\"clean\":6000" "$tmp/err"'
done
echo "reload: $pass passed, $fail failed"
[ $fail = 0 ]
