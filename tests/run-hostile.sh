#!/usr/bin/env bash
# run-hostile.sh: hostile input keeps work and memory bounded and fails closed:
# a 100 MB record, random binary data, JSON nested 100,000 deep, adversarial
# lines for every bundled rule; plus the terminal progress line and summary.
# No timing is asserted: every run only has to finish (a generous timeout, scaled
# by TEST_TIME_SCALE, catches a hang) with the right accounting.
# RSS_OVER_BASELINE=1 (the valgrind and ASan runs, whose tools have a large fixed
# footprint): the 64 MB peak-RSS bound applies to the growth over the same command
# on a one-line input, not to the whole peak.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/timescale.sh"
bin="$bin -c $root/patterns/default.yaml"   # explicit: the binary may live outside the tree
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "hostile: FAIL: $1"; fi; }
stat_of() { python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(d[sys.argv[2]])' "$1" "$2"; }
acct_ok() { python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); sys.exit(0 if d["records_in"]==d["clean"]+d["quarantined"]+d["dropped"] else 1)' "$1"; }

# 1. a 100 MB record between two normal ones: quarantined in pieces, memory flat
{ echo before; head -c 104857600 /dev/zero | tr '\0' 'x'; echo; echo after; } > "$tmp/big"
echo one line > "$tmp/one"
for t in 1 2; do
    base=0
    if [ "${RSS_OVER_BASELINE:-0}" = 1 ]; then
        /usr/bin/time -f %M -o "$tmp/rss" timeout "$(tsi 300)" $bin --threads $t --stats \
            --quarantine "$tmp/q1" "$tmp/one" > /dev/null 2>&1
        base=$(tail -1 "$tmp/rss")
    fi
    /usr/bin/time -f %M -o "$tmp/rss" timeout "$(tsi 300)" $bin --threads $t --stats --quarantine "$tmp/q$t" "$tmp/big" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    check "100 MB record (threads=$t): exit 1 (failed closed)" '[ $rc = 1 ]'
    check "100 MB record (threads=$t): neighbours pass, record quarantined" '[ "$(cat "$tmp/out")" = "$(printf "before\nafter")" ] && [ "$(stat_of "$tmp/err" failed_closed)" = 1 ] && acct_ok "$tmp/err"'
    check "100 MB record (threads=$t): quarantine holds all of it" '[ "$(python3 -c "import json,base64,sys; r=json.loads(open(sys.argv[1]).readline()); print(len(base64.b64decode(r[\"record_b64\"])))" "$tmp/q$t")" = 104857601 ]'
    rss=$(tail -1 "$tmp/rss")
    check "100 MB record (threads=$t): peak RSS under 64 MB ($rss KB, baseline $base KB)" \
        '[ -n "$rss" ] && [ $((rss - base)) -lt 65536 ]'
done

# 2. random binary data (NUL, invalid UTF-8, CR, very long and very short lines)
head -c 8000000 /dev/urandom > "$tmp/bin"
timeout "$(tsi 300)" $bin --stats "$tmp/bin" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "binary input: finishes (exit $rc) with consistent accounting" '[ $rc -le 1 ] && acct_ok "$tmp/err"'

# 3. JSON nested 100,000 deep around a secret-looking value: fails closed at
#    limits.max_depth (a record the prefilter does not select is never walked)
python3 -c 'print("{\"a\":" * 100000 + "\"Bearer abcdefghijklmnop\"" + "}" * 100000)' > "$tmp/deep.json"
echo '{"ok":true}' >> "$tmp/deep.json"
timeout "$(tsi 300)" $bin --format json --stats "$tmp/deep.json" > "$tmp/out" 2> "$tmp/err"; rc=$?
check "deep JSON: fails closed as depth, next record fine" '[ $rc = 1 ] && grep -q "\"depth\":1" "$tmp/err" && tail -1 "$tmp/out" | grep -q "{\"ok\":true}"'

# 4. adversarial lines for every bundled rule: each rule's keywords followed by
#    4 KB runs of the characters regexes backtrack on
$bin --list-rules | cut -f3 | tr ',' '\n' | grep . | sort -u > "$tmp/kw"
python3 - "$tmp/kw" > "$tmp/adv" <<'PY'
import sys
fills = ["a", "A1", " ", "-a", "=", "%41", "a.", "\\n", "/", "0", "aA0+/", "${", "\\u00"]
for kw in open(sys.argv[1]).read().split("\n"):
    if kw:
        for f in fills:
            print(kw + (f * (4096 // len(f))) + "\x01")
PY
timeout "$(tsi 600)" $bin --threads 2 --stats "$tmp/adv" > /dev/null 2> "$tmp/err"; rc=$?
check "adversarial lines for every rule ($(wc -l < "$tmp/adv") lines): finish, accounting holds (exit $rc)" '[ $rc -le 1 ] && acct_ok "$tmp/err"'

# 5. at a terminal: progress line and per-rule summary on stderr
printf 'ok\nAuthorization: Bearer 0VrbBGI09QYNdaKy8isWydfh\n' > "$tmp/small"
script -qec "$bin --threads 1 $tmp/small > /dev/null" /dev/null > "$tmp/tty" 2>&1
check "terminal: progress line and summary table" 'tr "\r" "\n" < "$tmp/tty" | grep -q "records  1 findings" && grep -q "http-bearer  *1" "$tmp/tty"'
echo "hostile: $pass passed, $fail failed"
[ $fail = 0 ]
