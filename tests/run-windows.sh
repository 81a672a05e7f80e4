#!/usr/bin/env bash
# run-windows.sh: rules whose matches start a known distance before a keyword
# (scrub_lead.h) are tried only around the places where the prefilter saw
# their keywords. That must change nothing: the same inputs scanned with the
# DFA prefilter (LOGSCRUB_PREFILTER=dfa: no keyword places, every rule tried
# over the whole text) give the same output, quarantine and counts.
# Inputs: every match example of every pack, alone and inside lines built to
# put the window at its edges (the keyword earlier and later in the line,
# several times, in other cases, after multi-byte characters, escaped so the
# decoded view is used, more rules on a line than a span keeps places for);
# and, when ../shared is there, the first lines of every corpus file. Also the
# load warning about a regex that accepts names none of its keywords hold.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$root/../shared}
tmp=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "windows: FAIL: $1"; fi; }

python3 - "$root/patterns" "$tmp" "$shared" <<'PY'
import glob, json, os, random, sys, yaml
pdir, tmp, shared = sys.argv[1:4]
r = random.Random(7)
ex, kws = [], set()
for f in sorted(glob.glob(os.path.join(pdir, "*.yaml"))):
    doc = yaml.safe_load(open(f)) or {}
    for rule in doc.get("rules") or []:
        kws.update(k for k in rule.get("keywords") or [] if "\n" not in k)
        for e in ((rule.get("examples") or {}).get("match") or []):
            if "\n" not in e and "\r" not in e:
                ex.append(e)
kws = sorted(kws)
lines = []
for e in ex:
    k1, k2 = r.choice(kws), r.choice(kws)
    lines += [
        e,
        "%s %s %s" % (k1, "x" * r.randint(0, 90), e),             # a keyword before
        "%s %s %s" % (e, "y" * r.randint(0, 90), k1.upper()),     # a keyword after
        "%s | %s | %s" % (e, k2, e),                              # twice, a keyword between
        "\u00e9\u4e2d\U0001F600" * r.randint(1, 3) + e,         # multi-byte text before
        e.swapcase(),                                             # other case
        e.replace("=", "%3D").replace(":", "%3A"),                # the decoded view
        " ".join(r.sample(kws, 6)) + " " + e,                     # many rules on the line
        json.dumps({"msg": e, "k": k1}),
    ]
r.shuffle(lines)
with open(os.path.join(tmp, "lines.log"), "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
n = 0
with open(os.path.join(tmp, "corpus.log"), "wb") as out:
    for f in sorted(glob.glob(os.path.join(shared, "corpus", "**", "*"), recursive=True)):
        if os.path.isfile(f) and not f.endswith(".md"):
            with open(f, "rb") as src:
                for i, line in enumerate(src):
                    if i >= 3000:
                        break
                    out.write(line if line.endswith(b"\n") else line + b"\n")
                    n += 1
print("windows: %d example lines, %d corpus lines" % (len(lines), n))
PY

for pack in "$root"/patterns/*.yaml; do
    name=$(basename "$pack" .yaml)
    for input in lines corpus; do
        [ -s "$tmp/$input.log" ] || continue
        for fmt in raw auto; do
            run() { # $1: tag; the rest: environment
                local tag=$1; shift
                env "$@" "$bin" -q -c "$pack" --threads 1 --format $fmt --stats \
                    --quarantine "$tmp/$tag.q" < "$tmp/$input.log" > "$tmp/$tag.out" 2> "$tmp/$tag.err"
                echo $? > "$tmp/$tag.rc"
            }
            rm -f "$tmp"/hs.q "$tmp"/dfa.q
            run hs LOGSCRUB_PREFILTER=
            run dfa LOGSCRUB_PREFILTER=dfa
            check "$name $input $fmt: output" "cmp -s '$tmp/hs.out' '$tmp/dfa.out'"
            # quarantine entries without their time stamps
            check "$name $input $fmt: quarantine" \
                "cmp -s <(sed 's/\"time\":\"[^\"]*\"//' '$tmp/hs.q' 2>/dev/null) <(sed 's/\"time\":\"[^\"]*\"//' '$tmp/dfa.q' 2>/dev/null)"
            check "$name $input $fmt: counts and exit" "cmp -s '$tmp/hs.err' '$tmp/dfa.err' && cmp -s '$tmp/hs.rc' '$tmp/dfa.rc'"
        done
    done
done
# the inputs must exercise the rules: the default packs find something
check "the example lines hold findings" "grep -q '\"findings\": *[1-9]' '$tmp/hs.err' || \
    LOGSCRUB_PREFILTER= '$bin' -q -c '$root/patterns/default.yaml' --stats < '$tmp/lines.log' 2>&1 >/dev/null | grep -q '\"redacted\": *[1-9]'"

# The same reader warns about a regex that accepts a name none of its keywords
# hold (such records are never scanned by the rule); the bundled packs have none.
cat > "$tmp/gap.yaml" <<'YAML'
rules:
  - id: gap-rule
    regex: '(?i:auth(?:orization|[_-]?header))\s*[:=]\s*(\S{16,})'
    keywords: ['authorization', 'auth_header', 'auth-header']
YAML
"$bin" -c "$tmp/gap.yaml" --check > /dev/null 2> "$tmp/gap.err"
check "--check names a keyword gap" "grep -q \"gap.yaml:3:[0-9]*: rule 'gap-rule': the regex accepts matches beginning 'authheader'\" '$tmp/gap.err'"
"$bin" -c "$root/patterns/default.yaml" --check > /dev/null 2> "$tmp/default.err"
check "the default packs have no keyword gap" "! grep -q 'accepts matches beginning' '$tmp/default.err'"

echo "windows: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
