#!/usr/bin/env bash
# tests/bench/shapes.sh: `make bench-shapes`, logscrub's speed on lines of one shape each.
# SPDX-License-Identifier: Apache-2.0
#
# Generates the shapes of tests/bench/shapes.py (SHAPES_MB megabytes each, default
# 20; deterministic) under $BUILD/bench/shapes and times logscrub (default.yaml, one
# thread) on each: the median of SHAPES_RUNS runs (default 5) of hyperfine, or of
# `date` around plain runs without it. Writes $BUILD/bench/shapes.md. Reports only;
# nothing asserts a timing. No corpus or network needed.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LOGSCRUB=${LOGSCRUB:-./logscrub}
case $LOGSCRUB in */*) ;; *) LOGSCRUB=./$LOGSCRUB ;; esac
MB=${SHAPES_MB:-20}
RUNS=${SHAPES_RUNS:-5}
dir=$BUILD/bench/shapes
mkdir -p "$dir"
python3 tests/bench/shapes.py "$dir" "$MB"
out=$BUILD/bench/shapes.md
{
    echo "# logscrub on single-shape inputs (make bench-shapes)"
    echo
    echo "tree $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${MB} MB per shape, default.yaml, --threads 1, median of $RUNS runs"
    echo
    echo "| shape | MB/s | ms |"
    echo "|---|---:|---:|"
} > "$out"
for f in "$dir"/*.log; do
    name=$(basename "$f" .log)
    cmd="$LOGSCRUB -c patterns/default.yaml --threads 1 $f"
    if command -v hyperfine > /dev/null; then
        ms=$(hyperfine -N -w 1 -r "$RUNS" --output=null --export-json "$dir/$name.json" "$cmd" > /dev/null 2>&1 &&
             python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["results"][0]["median"]*1000))' "$dir/$name.json")
    else
        ts=()
        for _ in $(seq "$RUNS"); do
            s=$(date +%s%N); $cmd > /dev/null; e=$(date +%s%N); ts+=($(( (e - s) / 1000000 )))
        done
        ms=$(printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
    fi
    rate=$(python3 -c "import os,sys; print(round(os.path.getsize(sys.argv[1]) / 1e6 / (int(sys.argv[2]) / 1000.0)))" "$f" "$ms")
    printf '%-22s %6s MB/s  (%s ms)\n' "$name" "$rate" "$ms"
    echo "| $name | $rate | $ms |" >> "$out"
done
echo "written: $out"
