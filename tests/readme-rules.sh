#!/usr/bin/env bash
# readme-rules.sh: the README's list of rule ids per pack, generated from patterns/.
# `--check` fails when README.md is out of date; `--write` regenerates the section
# between the <!-- rules:begin --> and <!-- rules:end --> markers.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/logscrub}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{
    echo "<!-- rules:begin -->"
    for p in tokens credentials jndi pii pii-network starter; do
        printf 'include: ["%s/patterns/%s.yaml"]\n' "$root" "$p" > "$tmp/c.yaml"
        ids=$("$bin" -q -c "$tmp/c.yaml" --list-rules | cut -f1 | grep -v '^key\.' || true)
        n=$(printf '%s\n' "$ids" | grep -c . || true)
        printf '\n**%s.yaml** (%s rules): ' "$p" "$n"
        printf '%s\n' "$ids" | sed 's/.*/`&`/' | paste -sd, - | sed 's/,/, /g'
    done
    echo
    echo "<!-- rules:end -->"
} > "$tmp/section"
python3 - "$root/README.md" "$tmp/section" "${1:---check}" <<'PY'
import sys, re
readme, section, mode = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3]
text = open(readme).read()
pat = re.compile(r"<!-- rules:begin -->.*?<!-- rules:end -->\n", re.S)
if not pat.search(text):
    sys.exit("README.md has no <!-- rules:begin --> section")
new = pat.sub(lambda m: section, text)
if mode == "--write":
    open(readme, "w").write(new)
elif new != text:
    sys.exit("README.md: the rule list is out of date; run tests/readme-rules.sh --write")
print("readme: rule list up to date" if mode == "--check" else "readme: rule list written")
PY
