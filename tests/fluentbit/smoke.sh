#!/bin/sh
# smoke.sh: runs a real fluent-bit ($FLUENT_BIT) with out_logscrub.so and checks the redaction.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: FLUENT_BIT=/path/to/fluent-bit tests/fluentbit/smoke.sh build/out_logscrub.so tests/fluentbit
# Skips (exit 0) when FLUENT_BIT is unset. Needs a Fluent Bit >= 2.0.7 with
# FLB_HAVE_PROXY_GO. Runs the dummy input for a few seconds, then checks that
# the clean file has redacted records only and that every sink line is JSON.
set -u
so=$1
dir=$2
if [ -z "${FLUENT_BIT:-}" ]; then
    echo "smoke: FLUENT_BIT not set, skipped"
    exit 0
fi
tmp=$(mktemp -d /tmp/logscrub-smoke.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT
"$FLUENT_BIT" -e "$so" \
    -i dummy -p 'dummy={"msg":"Authorization: Bearer abcdef0123456789"}' -p samples=3 \
    -i dummy -p 'dummy={"k":"-----BEGIN PRIVATE KEY-----","msg":"Bearer abcdef0123456789"}' \
    -p samples=3 \
    -i dummy -p 'dummy={"msg":"plain"}' -p samples=3 \
    -o logscrub -m '*' -p "config=$dir/rules.yaml" -p "clean=$tmp/clean.jsonl" \
    -p "quarantine=$tmp/quar.jsonl" -p "audit=$tmp/audit.jsonl" -f 1 >"$tmp/log" 2>&1 &
pid=$!
sleep 5
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
fail=0
check() {
    if eval "$2"; then echo "smoke: ok   $1"; else echo "smoke: FAIL $1"; fail=1; fi
}
check "fluent-bit exited cleanly (rc=$rc)" '[ $rc -eq 0 ]'
check "plugin initialised" 'grep -q "\[out_logscrub\] .*rules loaded" "$tmp/log"'
check "3 redacted records forwarded" '[ "$(grep -c "Bearer \[REDACTED:test-bearer\]" "$tmp/clean.jsonl")" -eq 3 ]'
check "3 plain records forwarded" '[ "$(grep -c "\"msg\":\"plain\"" "$tmp/clean.jsonl")" -eq 3 ]'
check "3 records quarantined" '[ "$(wc -l < "$tmp/quar.jsonl")" -eq 3 ]'
check "no secret in the clean output" '! grep -q "abcdef0123456789\|PRIVATE KEY" "$tmp/clean.jsonl"'
check "no secret in the audit output" '! grep -q "abcdef0123456789" "$tmp/audit.jsonl"'
check "quarantine file is 0600" '[ "$(stat -c %a "$tmp/quar.jsonl")" = 600 ]'
for f in clean quar audit; do
    check "$f lines are JSON" 'python3 -c "import json,sys; [json.loads(l) for l in sys.stdin]" < "$tmp/$f.jsonl"'
done
[ $fail -eq 0 ] || { echo "smoke: fluent-bit log:"; grep -i "logscrub\|error" "$tmp/log" | head -20; }
exit $fail
