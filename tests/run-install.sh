#!/usr/bin/env bash
# run-install.sh: `make install PREFIX=...` puts the binary, the packs, the man page
# (and the plugin when built) in place, and the installed binary finds its packs.
# Usage: tests/run-install.sh [MAKE_VARIABLE=VALUE...]
# The arguments go to every make call, so another build can be installed (make asan
# passes its BUILD, BIN, SAN, ...). RUN_WRAPPER, when set, is a command that runs the
# installed binary (tests/run-valgrind.sh passes its valgrind wrapper).
# SPDX-License-Identifier: Apache-2.0
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
target=$(basename "${BIN:-logscrub}")
for a in "$@"; do
    case $a in BIN=*) target=${a#BIN=} ;; esac
done
# make install rebuilt main.o for the scratch prefix: build the binary again for its own.
trap 'rm -rf "$tmp"; make -C "$root" -s "$@" "$target" >/dev/null 2>&1' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "install: FAIL: $1"; fi; }
make -C "$root" -s "$@" install PREFIX="$tmp/prefix" > "$tmp/log" 2>&1
check "make install succeeds" '[ $? = 0 ]'
check "binary installed" '[ -x "$tmp/prefix/bin/logscrub" ]'
check "packs installed" '[ -f "$tmp/prefix/share/logscrub/patterns/default.yaml" ] && [ -f "$tmp/prefix/share/logscrub/patterns/tokens.yaml" ]'
check "man page installed" '[ -f "$tmp/prefix/share/man/man1/logscrub.1" ]'
out=$(cd / && printf 'Authorization: Bearer 0VrbBGI09QYNdaKy8isWydfh\n' | HOME=$tmp ${RUN_WRAPPER:-} "$tmp/prefix/bin/logscrub")
check "installed binary uses the installed default packs" '[ "$out" = "Authorization: Bearer [REDACTED:http-bearer]" ]'
echo "install: $pass passed, $fail failed"
[ $fail = 0 ]
