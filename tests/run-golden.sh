#!/usr/bin/env bash
# run-golden.sh: runs every tests/golden/NNNN-name case against a logscrub binary.
# A case holds rules.yaml, input (or input.sh that prints it), expected (stdout),
# and optionally args (extra arguments, one line), expected.rc (exit code, default 0),
# expected.err (text that must appear in stderr), expected.quarantine /
# expected.audit (file contents, with "time" fields removed), expected.json (marker:
# every output line must parse as JSON). Every case that
# produces stats is also checked for records_in == clean + quarantined + dropped.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

strip_time() { sed -E 's/"time":"[^"]*",//'; }

for dir in "$here"/golden/*/; do
    name=$(basename "$dir")
    [ -n "${GOLDEN_FILTER:-}" ] && [[ "$name" != *"$GOLDEN_FILTER"* ]] && continue
    rm -f "$tmp"/*
    if [ -x "$dir/input.sh" ]; then "$dir/input.sh" > "$tmp/input"; else cp "$dir/input" "$tmp/input" 2>/dev/null || : > "$tmp/input"; fi
    args=()
    [ -f "$dir/args" ] && read -r -a args < "$dir/args"
    # GOLDEN_EXTRA: more arguments for every case (e.g. --threads 1)
    [ -n "${GOLDEN_EXTRA:-}" ] && args+=(${GOLDEN_EXTRA})
    extra=()
    [ -f "$dir/expected.quarantine" ] && extra+=(--quarantine "$tmp/q")
    [ -f "$dir/expected.audit" ] && extra+=(--audit "$tmp/a")
    ( cd "$dir" && LOGSCRUB_TEST_KEY=golden-key "$bin" -c rules.yaml --stats "${extra[@]}" "${args[@]}" < "$tmp/input" > "$tmp/out" 2> "$tmp/err" )
    rc=$?
    want_rc=0
    [ -f "$dir/expected.rc" ] && want_rc=$(cat "$dir/expected.rc")
    ok=1 why=""
    if [ "$rc" != "$want_rc" ]; then ok=0; why="exit code $rc, expected $want_rc"; fi
    if [ $ok = 1 ] && [ -f "$dir/expected" ] && ! cmp -s "$tmp/out" "$dir/expected"; then ok=0; why="stdout differs"; fi
    if [ $ok = 1 ] && [ -f "$dir/expected.err" ] && ! grep -qF -- "$(cat "$dir/expected.err")" "$tmp/err"; then ok=0; why="stderr lacks: $(cat "$dir/expected.err")"; fi
    if [ $ok = 1 ] && [ -f "$dir/expected.json" ] && ! python3 -c 'import json,sys
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    json.loads(line)' "$tmp/out" 2>/dev/null; then ok=0; why="an output line is not valid JSON"; fi
    for sink in quarantine audit; do
        f="$tmp/${sink:0:1}"
        if [ $ok = 1 ] && [ -f "$dir/expected.$sink" ]; then
            if ! strip_time < "$f" | cmp -s - "$dir/expected.$sink"; then ok=0; why="$sink file differs"; fi
            mode=$(stat -c %a "$f" 2>/dev/null)
            if [ "$mode" != 600 ]; then ok=0; why="$sink file mode $mode, expected 600"; fi
        fi
    done
    stats=$(grep '^{"records_in"' "$tmp/err" | tail -1)
    if [ $ok = 1 ] && [ -n "$stats" ]; then
        if ! python3 -c 'import json,sys; s=json.loads(sys.argv[1]); sys.exit(0 if s["records_in"]==s["clean"]+s["quarantined"]+s["dropped"] else 1)' "$stats"; then
            ok=0; why="accounting broken: $stats"
        fi
        if [ -f "$dir/expected.stats" ] && ! python3 - "$stats" "$dir/expected.stats" <<'PY'
import json, sys
got = json.loads(sys.argv[1]); want = json.load(open(sys.argv[2]))
bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
sys.exit(1 if bad else 0)
PY
        then ok=0; why="stats differ from expected.stats: $stats"; fi
    fi
    if [ $ok = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "golden $name: FAIL: $why"; [ -n "${VERBOSE:-}" ] && { diff <(cat "$tmp/out") "$dir/expected" | head -20; cat "$tmp/err"; }; fi
done
echo "golden: $pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]
