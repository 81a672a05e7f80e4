#!/usr/bin/env bash
# run-eval.sh: detection report: recall per rule family on the labelled files,
# false positives on the labelled negatives, and findings per file of the real-log
# corpus in ../shared/corpus (skipped when absent). Fails when recall is below 100%
# on the labelled positives, when a negative line is flagged, or when the tokens,
# credentials or jndi packs flag anything in the corpus.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
lab=$root/tests/eval/labelled
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

pack_cfg() { # pack files -> a config including them
    local out=$tmp/cfg-$1.yaml; shift
    { printf 'include: ['; local sep=""; for p in "$@"; do printf '%s"%s"' "$sep" "$root/patterns/$p"; sep=", "; done; printf ']\n'; } > "$out"
    echo "$out"
}
secrets=$(pack_cfg secrets tokens.yaml credentials.yaml)
jndi=$(pack_cfg jndi jndi.yaml)
pii=$(pack_cfg pii pii.yaml)
pnet=$(pack_cfg pnet pii-network.yaml)

# recall: per expected rule id, lines whose finding list contains it
recall() { # file cfg
    local f=$1 cfg=$2 name; name=$(basename "$f" .txt)
    cut -f1 "$f" > "$tmp/in"; cut -f2 "$f" > "$tmp/want"
    "$bin" -q -c "$cfg" --threads 1 --audit "$tmp/audit-$name" "$tmp/in" > /dev/null 2>&1
    python3 - "$tmp/want" "$tmp/audit-$name" "$name" <<'PY' || status=1
import json, sys, collections
want = [l.rstrip("\n") for l in open(sys.argv[1])]
got = collections.defaultdict(set)
for line in open(sys.argv[2]):
    a = json.loads(line)
    got[int(a["origin"].rsplit(":", 1)[1])].add(a["rule"])
per = collections.defaultdict(lambda: [0, 0])
for i, rule in enumerate(want, 1):
    per[rule][1] += 1
    per[rule][0] += rule in got[i]
hit = sum(v[0] for v in per.values()); tot = sum(v[1] for v in per.values())
miss = [(r, v) for r, v in sorted(per.items()) if v[0] < v[1]]
print(f"{sys.argv[3]:28s} detected {hit}/{tot} lines, {len(per)} rule families" + ("" if not miss else "; missed: " + ", ".join(f"{r} {v[0]}/{v[1]}" for r, v in miss)))
sys.exit(1 if miss else 0)
PY
}
echo "== recall on labelled positives"
recall "$lab/tokens-positive.txt" "$secrets"
recall "$lab/credentials-positive.txt" "$secrets"
recall "$lab/pii-positive.txt" "$pii"
recall "$lab/pii-network-positive.txt" "$pnet"

echo "== false positives on labelled negatives (tokens + credentials + jndi)"
both=$(pack_cfg both tokens.yaml credentials.yaml jndi.yaml)
"$bin" -q -c "$both" --threads 1 --stats "$lab/negatives.txt" > /dev/null 2> "$tmp/neg"
fp=$(grep -o '"findings":[0-9]*' "$tmp/neg" | cut -d: -f2)
echo "negatives.txt                $fp finding(s) on $(wc -l < "$lab/negatives.txt") lines"
[ "$fp" = 0 ] || { status=1; grep -o '"rules":{[^}]*}' "$tmp/neg"; }

corpus=$root/../shared/corpus
if [ -d "$corpus" ]; then
    echo "== findings on ../shared/corpus (per file: secrets+jndi / pii / pii-network)"
    total=0
    while IFS= read -r -d '' f; do
        case "$f" in *LICENSE*|*README*) continue ;; esac
        n1=$("$bin" -q -c "$both" --stats "$f" 2>&1 >/dev/null | grep -o '"findings":[0-9]*' | cut -d: -f2)
        n2=$("$bin" -q -c "$pii" --stats "$f" 2>&1 >/dev/null | grep -o '"findings":[0-9]*' | cut -d: -f2)
        n3=$("$bin" -q -c "$pnet" --stats "$f" 2>&1 >/dev/null | grep -o '"findings":[0-9]*' | cut -d: -f2)
        printf '%-70s %6s %6s %6s\n' "${f#$corpus/}" "$n1" "$n2" "$n3"
        total=$((total + n1))
    done < <(find "$corpus" -type f -print0 | sort -z)
    echo "secrets+jndi findings on the corpus: $total"
    [ "$total" = 0 ] || status=1
else
    echo "== corpus: skipped (../shared/corpus is absent)"
fi
exit $status
