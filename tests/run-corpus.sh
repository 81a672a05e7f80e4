#!/usr/bin/env bash
# run-corpus.sh: logscrub over the real-log corpus in ../shared/corpus (skipped when absent).
# Checks: the tokens/credentials/jndi packs (the default config) find nothing in any
# corpus file (false positives); with --format json every output line that was JSON
# on input still parses; and files without findings come out byte-identical.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=${1:-./logscrub}
cfg=$(cd "$(dirname "$0")/.." && pwd)/patterns/default.yaml   # explicit: the binary may live outside the tree
corpus=${CORPUS:-$(cd "$(dirname "$0")/../.." && pwd)/shared/corpus}
[ -d "$corpus" ] || corpus=$(cd "$(dirname "$0")/.." && pwd)/../shared/corpus
if [ ! -d "$corpus" ]; then
    echo "corpus: skipped (../shared/corpus is absent)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
while IFS= read -r -d '' f; do
    case "$f" in *LICENSE*|*README*) continue ;; esac
    fmt=raw
    case "$f" in */json/*) fmt=json ;; esac
    "$bin" -c "$cfg" --format "$fmt" --stats "$f" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    findings=$(grep -o '"findings":[0-9]*' "$tmp/err" | head -1 | cut -d: -f2)
    ok=1 why=""
    if [ "$rc" != 0 ]; then ok=0; why="exit $rc"; fi
    if [ $ok = 1 ] && [ "${findings:-x}" != 0 ]; then ok=0; why="$findings finding(s): $(grep -o '"rules":{[^}]*}' "$tmp/err")"; fi
    if [ $ok = 1 ] && ! cmp -s "$f" "$tmp/out"; then ok=0; why="output differs from input without findings"; fi
    if [ $ok = 1 ] && [ $fmt = json ] && ! python3 - "$f" "$tmp/out" <<'PY'
import json, sys
src = open(sys.argv[1], "rb").read().split(b"\n")
out = open(sys.argv[2], "rb").read().split(b"\n")
for a, b in zip(src, out):
    try:
        json.loads(a)
    except ValueError:
        continue
    json.loads(b)
PY
    then ok=0; why="a JSON line no longer parses"; fi
    if [ $ok = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "corpus ${f#$corpus/}: FAIL: $why"; fi
done < <(find "$corpus" -type f -print0 | sort -z)
echo "corpus: $pass passed, $fail failed"
[ $fail = 0 ]
