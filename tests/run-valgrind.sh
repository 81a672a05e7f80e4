#!/usr/bin/env bash
# run-valgrind.sh: the unit tests, the golden tests and the bundled rule examples under valgrind.
# Usage: tests/run-valgrind.sh [LOGSCRUB_BINARY [RUN_UNIT_BINARY [NO_JIT_SO]]]
#
# Every process runs under memcheck with --leak-check=full; definite and indirect
# leaks count as errors. Valgrind's own reports go to one log file per process
# (never mixed into the program's stderr, which the golden runner inspects), and
# any non-empty log fails the run. The golden runner sees an exit code of 99 for
# a process with errors, so the case fails there as well.
#
# PCRE2 JIT is switched off with the no_jit.so preload (tests/inject/no_jit.c):
# JIT code's SIMD subject scans read bytes past the subject, which memcheck
# reports as uninitialised conditional jumps in unnamed frames (a false positive
# unless PCRE2 is built with --enable-valgrind). VALGRIND_JIT=1 keeps the JIT.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "${1:-./logscrub}")" && pwd)/$(basename "${1:-./logscrub}")
unit=$(cd "$(dirname "${2:-build/run-unit}")" && pwd)/$(basename "${2:-build/run-unit}")
nojit=$(cd "$(dirname "${3:-build/no_jit.so}")" && pwd)/$(basename "${3:-build/no_jit.so}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
fail=0

if ! command -v valgrind >/dev/null; then
    echo "valgrind: not installed"; exit 1
fi
PRE=(env)
if [ "${VALGRIND_JIT:-0}" != 1 ]; then
    [ -f "$nojit" ] || { echo "valgrind: $nojit missing (make build/no_jit.so)"; exit 1; }
    PRE=(env LD_PRELOAD="$nojit")
fi
VG=("${PRE[@]}" valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect -q --log-file="$tmp/logs/vg.%p.log")
mkdir -p "$tmp/logs"

# The wrapper the golden runner takes for the logscrub binary.
cat > "$tmp/logscrub" <<EOF
#!/bin/sh
exec $(printf '%q ' "${VG[@]}") "$bin" "\$@"
EOF
chmod +x "$tmp/logscrub"

step() {
    local name=$1 t0 rc; shift
    t0=$(date +%s)
    "$@" > "$tmp/step.out" 2>&1
    rc=$?
    echo "valgrind $name: rc $rc, $(( $(date +%s) - t0 ))s ($(tail -1 "$tmp/step.out"))"
    if [ $rc != 0 ]; then fail=1; tail -20 "$tmp/step.out"; fi
}

step unit "${VG[@]}" "$unit"
step golden "$here/run-golden.sh" "$tmp/logscrub"
step patterns "$tmp/logscrub" -q --test-rules -c "$root/patterns/default.yaml"

# Any report in any process log is a failure, whatever the exit codes said.
nlogs=$(ls "$tmp/logs" | wc -l)
bad=0
for f in "$tmp/logs"/*.log; do
    if [ -s "$f" ]; then
        bad=$((bad+1)); fail=1
        echo "valgrind: report in $(basename "$f"):"; head -40 "$f"
    fi
done
echo "valgrind: $nlogs processes checked, $bad with errors or leaks, $(( $(date +%s) - start ))s total"
[ $fail = 0 ]
