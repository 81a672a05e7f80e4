#!/usr/bin/env bash
# run-perms.sh: quarantine and audit files are created 0600 whatever the umask, and
# an existing symlink, non-regular or group/world-writable file is refused (exit 3)
# without writing anything. Messages never echo record content.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "perms: FAIL: $1"; fi; }
printf 'rules:\n  - id: q\n    regex: "SECRET_[0-9]+"\n    keywords: [secret_]\n    action: quarantine\n' > "$tmp/r.yaml"
printf 'plain\nSECRET_42 held back\n' > "$tmp/in"

for sink in quarantine audit; do
    ( umask 000; "$bin" -c "$tmp/r.yaml" --$sink "$tmp/$sink.jsonl" "$tmp/in" > /dev/null 2> "$tmp/err" )
    check "$sink: created" '[ -s "$tmp/$sink.jsonl" ]'
    check "$sink: mode 600 under umask 000" '[ "$(stat -c %a "$tmp/$sink.jsonl")" = 600 ]'
    ln -s "$tmp/target" "$tmp/link-$sink"
    "$bin" -c "$tmp/r.yaml" --$sink "$tmp/link-$sink" "$tmp/in" > /dev/null 2> "$tmp/err"; rc=$?
    check "$sink: symlink refused (exit 3)" '[ $rc = 3 ] && [ ! -e "$tmp/target" ] && grep -q "symbolic link" "$tmp/err"'
    : > "$tmp/ww-$sink"; chmod 666 "$tmp/ww-$sink"
    "$bin" -c "$tmp/r.yaml" --$sink "$tmp/ww-$sink" "$tmp/in" > /dev/null 2> "$tmp/err"; rc=$?
    check "$sink: world-writable file refused" '[ $rc = 3 ] && [ ! -s "$tmp/ww-$sink" ] && grep -q "writable" "$tmp/err"'
    "$bin" -c "$tmp/r.yaml" --$sink "$tmp" "$tmp/in" > /dev/null 2> "$tmp/err"; rc=$?
    check "$sink: directory refused" '[ $rc = 3 ]'
    check "$sink: no record content in messages" '! grep -q SECRET_42 "$tmp/err"'
done
echo "perms: $pass passed, $fail failed"
[ $fail = 0 ]
