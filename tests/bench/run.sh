#!/usr/bin/env bash
# tests/bench/run.sh: the throughput harness behind `make bench` (issue 7).
# SPDX-License-Identifier: Apache-2.0
#
# Builds benchmark inputs under $BUILD/bench with ../shared/bench/make-corpus
# (raw Loghub-based lines with 0.1% secrets, a 10%-dirty variant, and a
# JSON-lines wrapping of the raw input), then measures in one run:
#   logscrub with patterns/default.yaml on 1 thread and on all threads,
#   logscrub with patterns/starter.yaml ("starter pack"),
#   logscrub with every bundled non-PII pack when default.yaml has fewer rules,
#   cat FILE | cat, rg --passthru --pcre2 -r and perl -p with the same regexes,
# and peak RSS on a 1 GB input. Prints a table (MB/s median, records/s, ratio,
# peak RSS) and writes it with the exact commands to $BUILD/bench/results.md.
# Timings are reported, never asserted. No network.
#
# Environment (make passes these through):
#   LOGSCRUB      binary (default ./logscrub)        BUILD       build dir (default build)
#   BENCH_INPUT   use this file as the raw input instead of make-corpus output
#   BENCH_SHARED  the shared checkout (default <repo>/../shared)
#   BENCH_MB      size of the generated inputs in MiB (default 200)
#   BENCH_RUNS    hyperfine runs per measurement (default 5)
#   BENCH_RSS_MB  size of the peak-RSS input in MiB (default 1024; 0 skips)
#   BENCH_SLOW_S  a tool whose full-input run would exceed this many seconds is
#                 timed on an evenly strided sample of the input sized to take
#                 about this long, with at most 3 runs (default 15)
#   BENCH_KAFKA   1 runs `make bench-kafka` when mk/*.mk defines it (default 1)
#   BENCH_KAFKA_RUNS  how many times (default 5; the median is reported)
#   BENCH_CASES   subset of "raw dirty json" (default all three)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

BUILD=${BUILD:-build}
LOGSCRUB=${LOGSCRUB:-./logscrub}
case $LOGSCRUB in */*) ;; *) LOGSCRUB=./$LOGSCRUB ;; esac
SHARED=${BENCH_SHARED:-$ROOT/../shared}
MAKE_CORPUS=$SHARED/bench/make-corpus
BENCH_INPUT=${BENCH_INPUT:-}
BENCH_MB=${BENCH_MB:-200}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_RSS_MB=${BENCH_RSS_MB:-1024}
BENCH_SLOW_S=${BENCH_SLOW_S:-15}
BENCH_KAFKA=${BENCH_KAFKA:-1}
BENCH_KAFKA_RUNS=${BENCH_KAFKA_RUNS:-5}
BENCH_CASES=${BENCH_CASES:-raw dirty json}
OUT=$BUILD/bench
RES=$OUT/results.tsv
LOG=$OUT/bench.log

have_shared=0
[ -x "$MAKE_CORPUS" ] && have_shared=1
if [ "$have_shared" = 0 ] && [ -z "$BENCH_INPUT" ]; then
    echo "bench: skipped: $MAKE_CORPUS not found and BENCH_INPUT is unset" \
         "(set BENCH_INPUT=FILE to measure any log file)"
    exit 0
fi
if [ -n "$BENCH_INPUT" ] && [ ! -r "$BENCH_INPUT" ]; then
    echo "bench: BENCH_INPUT=$BENCH_INPUT is not readable" >&2
    exit 2
fi
for tool in hyperfine python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required" >&2; exit 2; }
done
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: /usr/bin/time is required (Debian package: time)" >&2; exit 2; }
[ -x "$LOGSCRUB" ] || { echo "bench: $LOGSCRUB not built (run make first)" >&2; exit 2; }

mkdir -p "$OUT/samples"
# Measure a private copy: the tree is shared and $LOGSCRUB may be relinked mid-run.
cp "$LOGSCRUB" "$OUT/logscrub.tmp" && mv "$OUT/logscrub.tmp" "$OUT/logscrub"
LOGSCRUB_SRC=$LOGSCRUB
LOGSCRUB=$OUT/logscrub
: > "$RES"
: > "$LOG"
NPROC=$(nproc)
HELP=$("$LOGSCRUB" --help 2>&1 || true)
has_opt() { grep -q -- "$1" <<<"$HELP"; }

say() { printf '%s\n' "$*"; printf '%s\n' "$*" >> "$LOG"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ---- machine ---------------------------------------------------------------
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
VERSION=$("$LOGSCRUB" --version 2>&1 | head -1)
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- filter patterns 2>/dev/null || REV="$REV+local changes in filter/ or patterns/"
MACHINE="machine: nproc=$NPROC, cpu=${CPU:-unknown}, kernel $(uname -r); load average at start $LOAD_START"
say "$MACHINE"
say "logscrub: $VERSION, tree $REV (measured copy of $LOGSCRUB_SRC: $LOGSCRUB)"

# ---- options detected at run time -------------------------------------------
T1=() TN=() FMT_JSON=()
if has_opt '--threads'; then
    T1=(--threads 1)
    TN=(--threads "$NPROC")
else
    say "note: $LOGSCRUB --help lists no --threads: single-thread rows use the default, the all-threads row is skipped"
fi
if has_opt '--format'; then
    FMT_JSON=(--format json)
else
    say "note: $LOGSCRUB --help lists no --format: the JSON input is scanned as plain lines"
fi

# ---- inputs -------------------------------------------------------------------
corpus() {  # corpus MB SECRET_RATE -> path (cached; make-corpus is deterministic)
    local f=$OUT/corpus-${1}mb-sr${2}.log
    if [ ! -s "$f" ]; then
        "$MAKE_CORPUS" --mb "$1" --secret-rate "$2" --seed 1 --out "$f.tmp" 2>>"$LOG"
        mv "$f.tmp" "$f"
    fi
    printf '%s\n' "$f"
}

# JSON lines: each raw line becomes {"ts":..,"level":..,"msg":"<escaped line>"}.
jsonify() {  # jsonify IN OUT
    [ -s "$2" ] && [ "$2" -nt "$1" ] && return 0
    python3 - "$1" "$2.tmp" <<'PY'
import json, sys, zlib, datetime
src, dst = sys.argv[1], sys.argv[2]
levels = ["info", "info", "info", "debug", "warn", "error"]
t0 = datetime.datetime(2025, 3, 14, 9, 0, 0, tzinfo=datetime.timezone.utc)
with open(src, "rb") as f, open(dst, "wb", buffering=1 << 20) as out:
    for i, ln in enumerate(f):
        ln = ln.rstrip(b"\n").rstrip(b"\r")
        ts = (t0 + datetime.timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        rec = {"ts": ts, "level": levels[zlib.crc32(ln) % len(levels)],
               "msg": ln.decode("utf-8", "replace")}
        out.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode() + b"\n")
PY
    mv "$2.tmp" "$2"
}

# An evenly strided sample (every k-th line) keeps the corpus mix and secret rate.
sample() {  # sample FILE BYTES -> path
    local f=$1 want=$2 s
    s=$OUT/samples/$(basename "$f").$((want / 1000))k
    if [ ! -s "$s" ] || [ "$f" -nt "$s" ]; then
        python3 - "$f" "$want" "$s.tmp" <<'PY'
import os, sys
src, want, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
k = max(1, -(-os.path.getsize(src) // max(want, 1)))
with open(src, "rb") as f, open(dst, "wb") as out:
    for i, ln in enumerate(f):
        if i % k == 0:
            out.write(ln)
PY
        mv "$s.tmp" "$s"
    fi
    printf '%s\n' "$s"
}

# The input cut at newlines into N nearly equal parts (cached).
split_parts() {  # split_parts FILE N -> paths
    local f=$1 n=$2 i
    if [ ! -s "$OUT/parts/$(basename "$f").$n.0" ] || [ "$f" -nt "$OUT/parts/$(basename "$f").$n.0" ]; then
        mkdir -p "$OUT/parts"
        python3 - "$f" "$n" "$OUT/parts/$(basename "$f").$n" <<'PY'
import os, sys
src, n, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size = os.path.getsize(src)
with open(src, "rb") as f:
    data = f.read()
start = 0
for i in range(n):
    end = size if i == n - 1 else data.index(b"\n", max(start, size * (i + 1) // n)) + 1
    with open("%s.%d" % (dst, i), "wb") as out:
        out.write(data[start:end])
    start = end
PY
    fi
    for ((i = 0; i < n; i++)); do printf '%s\n' "$OUT/parts/$(basename "$f").$n.$i"; done
}

declare -A INPUT
if [ -n "$BENCH_INPUT" ]; then
    INPUT[raw]=$BENCH_INPUT
    RAW_LABEL="raw ($(basename "$BENCH_INPUT"))"
else
    INPUT[raw]=$(corpus "$BENCH_MB" 0.001)
    RAW_LABEL="raw 0.1% secrets"
fi
if [ "$have_shared" = 1 ]; then
    INPUT[dirty]=$(corpus "$BENCH_MB" 0.1)
fi
INPUT[json]=$OUT/$(basename "${INPUT[raw]}" .log).jsonl
jsonify "${INPUT[raw]}" "${INPUT[json]}"
declare -A LABEL=([raw]="$RAW_LABEL" [dirty]="10% dirty" [json]="JSON lines")

declare -A BYTES LINES
for c in raw dirty json; do
    [ -n "${INPUT[$c]:-}" ] || continue
    BYTES[$c]=$(stat -c %s "${INPUT[$c]}")
    LINES[$c]=$(wc -l < "${INPUT[$c]}")
    say "input $c: ${INPUT[$c]} (${BYTES[$c]} bytes, ${LINES[$c]} records)"
done

# ---- configs and the rg/perl rule sets ----------------------------------------
ALLPACKS=$OUT/allpacks.yaml
{
    echo "# generated by tests/bench/run.sh: every bundled pack except starter and the opt-in PII packs"
    echo "include:"
    for p in patterns/*.yaml; do
        case $(basename "$p") in default.yaml|starter.yaml|pii*.yaml) continue ;; esac
        echo "  - $ROOT/$p"
    done
    echo "defaults:"
    echo "  action: redact"
    echo '  replacement: "[REDACTED:{id}]"'
} > "$ALLPACKS"

nrules() { "$LOGSCRUB" --list-rules -c "$1" 2>/dev/null | wc -l; }
declare -A CFG=([default]=patterns/default.yaml [starter]=patterns/starter.yaml)
N_DEFAULT=$(nrules patterns/default.yaml)
N_STARTER=$(nrules patterns/starter.yaml)
BASE_CFGS=(default)
if "$LOGSCRUB" -q --check -c "$ALLPACKS" >/dev/null 2>>"$LOG"; then
    N_ALL=$(nrules "$ALLPACKS")
    if [ "$N_ALL" -gt "$N_DEFAULT" ]; then
        CFG[allpacks]=$ALLPACKS
        BASE_CFGS+=(allpacks)
    fi
else
    say "note: $ALLPACKS does not load; the all-packs rows are skipped"
fi
declare -A CFG_DESC=([default]="default.yaml ($N_DEFAULT rules)" [starter]="starter pack ($N_STARTER rules)")
[ -n "${CFG[allpacks]:-}" ] && CFG_DESC[allpacks]="all non-PII packs ($N_ALL rules)"

# Rules whose pattern column is a bare lowercase name are detectors (e.g. log4shell).
declare -A RX_DESC
rulesets() {  # rulesets NAME: writes $OUT/rules-NAME.{tsv,pat,pl}
    local name=$1 cfg=${CFG[$1]} tsv=$OUT/rules-$1.tsv pat=$OUT/rules-$1.pat
    "$LOGSCRUB" --list-rules -c "$cfg" > "$tsv"
    local total det=0 rgbad=() plbad=() id act kw p
    total=$(wc -l < "$tsv")
    : > "$pat"
    while IFS=$'\t' read -r id act kw p; do
        if [[ $p =~ ^[a-z][a-z0-9_-]*$ ]]; then det=$((det + 1)); continue; fi
        local ok=1 rc=0
        rg --pcre2 -q -e "$p" /dev/null 2>/dev/null || rc=$?
        [ "$rc" -le 1 ] || { rgbad+=("$id"); ok=0; }
        perl -e 'my $p = shift; eval { qr/$p/; 1 } or exit 2' -- "$p" 2>/dev/null || { plbad+=("$id"); ok=0; }
        [ "$ok" = 1 ] && printf '%s\n' "$p" >> "$pat"
    done < "$tsv"
    local used; used=$(wc -l < "$pat")
    # One s/// per rule; the qr// objects are compiled once in BEGIN.
    {
        echo "# generated by tests/bench/run.sh from: logscrub --list-rules -c $cfg"
        echo "BEGIN { open my \$f, '<', '$ROOT/$pat' or die \"\$!\"; chomp(my @p = <\$f>);"
        echo "        @main::R = map { qr/\$_/ } @p; }"
        local i
        for ((i = 0; i < used; i++)); do echo "s/\$main::R[$i]/[REDACTED]/g;"; done
    } > "$OUT/rules-$1.pl"
    RX_DESC[$1]="$used of $total rules (detectors skipped: $det; rg rejected: ${#rgbad[@]}${rgbad:+ ${rgbad[*]}}; perl rejected: ${#plbad[@]}${plbad:+ ${plbad[*]}})"
    say "rg/perl rule set for ${CFG_DESC[$1]}: ${RX_DESC[$1]}"
    local rc=0
    rg --pcre2 -q -f "$pat" /dev/null 2>>"$LOG" || rc=$?
    if [ "$rc" -gt 1 ]; then
        say "note: rg rejects the combined alternation for $1; its rg rows are skipped"
        RX_DESC[$1]="${RX_DESC[$1]}; rg: combined alternation rejected"
        : > "$OUT/rules-$1.rgbad"
    fi
}
for c in "${BASE_CFGS[@]}"; do rulesets "$c"; done

# ---- measuring ----------------------------------------------------------------
# measure CASE TOOL REF CMD-TEMPLATE [sample]: @F@ in the template is the input.
# Each row gets one /usr/bin/time run (peak RSS) and hyperfine --warmup 1 --runs
# BENCH_RUNS on the full input. With "sample" (the rg/perl baselines), a probe on
# a ~256 KB strided sample estimates the full-input time first, and a tool that
# would need more than BENCH_SLOW_S per run is timed on a strided sample sized
# to take about BENCH_SLOW_S, with at most 3 runs and no warmup.
measure() {
    local case=$1 tool=$2 ref=$3 tmpl=$4 may_sample=${5:-}
    local file=${INPUT[$case]} bytes=${M_BYTES:-${BYTES[$case]}} lines=${M_LINES:-${LINES[$case]}}
    local probe est target=$file note="" runs=$BENCH_RUNS warm=1 cmd
    if [ -n "$may_sample" ]; then
        probe=$(sample "$file" 262144)
        local pbytes; pbytes=$(stat -c %s "$probe")
        # startup (config compile) on an empty input, then the probe sample
        local t0 pt
        "$TIME" -f '%e' -o "$OUT/time.txt" bash -c "${tmpl//@F@//dev/null}" >/dev/null 2>&1 || true
        t0=$(tail -1 "$OUT/time.txt")
        "$TIME" -f '%e' -o "$OUT/time.txt" bash -c "${tmpl//@F@/$probe}" >/dev/null 2>&1 || true
        pt=$(tail -1 "$OUT/time.txt")
        est=$(python3 -c "print(max($pt - $t0, 0.005) * $bytes / $pbytes + $t0)")
        if python3 -c "import sys; sys.exit(0 if $est > $BENCH_SLOW_S else 1)"; then
            local want
            want=$(python3 -c "print(int($bytes * $BENCH_SLOW_S / $est))")
            [ "$want" -lt "$pbytes" ] && want=$pbytes
            target=$(sample "$file" "$want")
            bytes=$(stat -c %s "$target")
            lines=$(wc -l < "$target")
            note="sample $(python3 -c "print('%.1f' % ($bytes / 1e6))") MB"
            runs=$((BENCH_RUNS < 3 ? BENCH_RUNS : 3))
            warm=0
        fi
    fi
    cmd=${tmpl//@F@/$target}
    local l1; l1=$(load1)
    local tf=$OUT/time.txt rc=0
    "$TIME" -f '%e %M %x' -o "$tf" bash -c "$cmd" >/dev/null 2>>"$LOG" || true
    local rss; rss=$(awk 'END {print $2}' "$tf")
    rc=$(awk 'END {print $3}' "$tf")
    local j=$OUT/hf-$case-${tool//[^A-Za-z0-9]/_}.json
    {
        echo "\$ $cmd"
        hyperfine --style basic -i --warmup "$warm" --runs "$runs" --export-json "$j" "$cmd" 2>&1
    } >> "$LOG"
    local med n cpu
    local bad
    read -r med n cpu bad < <(python3 -c "import json; r = json.load(open('$j'))['results'][0]; print(r['median'], len(r['times']), r['user'] + r['system'], ','.join(sorted(set(str(c) for c in r.get('exit_codes', []) if c))) or '-')")
    if [[ $tmpl == rg\ * ]]; then  # rg exits 1 when nothing matched
        [ "$rc" = 1 ] && rc=0
        bad=${bad//1/}; bad=${bad//,/}; bad=${bad:--}
    fi
    [ "$rc" = 0 ] || note="${note:+$note; }exit $rc"
    [ "$bad" = - ] || note="${note:+$note; }hyperfine exit codes $bad"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
        "$case" "$tool" "$ref" "$bytes" "$lines" "$med" "$n" "$rss" "$l1" "$note" "$cmd" "$cpu" >> "$RES"
    python3 -c "print('  %-10s %-48s %9.4g MB/s  (median of %s, %.3f s%s)' % ('$case', '''$tool''', $bytes / 1e6 / $med, $n, $med, '; $note' if '$note' else ''))" | tee -a "$LOG"
}

ls_cmd() {  # ls_cmd CONFIG EXTRA... -> command template
    printf '%q ' "$LOGSCRUB" -c "$1" "${@:2}"
    printf '@F@ > /dev/null'
}

for case in $BENCH_CASES; do
    [ -n "${INPUT[$case]:-}" ] || { say "note: no $case input (needs $MAKE_CORPUS); skipped"; continue; }
    say "case ${LABEL[$case]}:"
    extra=()
    [ "$case" = json ] && extra=("${FMT_JSON[@]}")
    measure "$case" "logscrub ${CFG_DESC[default]}, 1 thread" default \
        "$(ls_cmd patterns/default.yaml "${T1[@]}" "${extra[@]}")"
    if [ "${#TN[@]}" -gt 0 ]; then
        measure "$case" "logscrub ${CFG_DESC[default]}, $NPROC threads" default \
            "$(ls_cmd patterns/default.yaml "${TN[@]}" "${extra[@]}")"
    fi
    if [ "${#TN[@]}" -gt 0 ] && [ "$case" = raw ]; then
        # The scaling ceiling of this machine: NPROC independent single-thread
        # processes, each on 1/NPROC of the input (cut at newlines), each with its
        # own start-up, sharing nothing. No thread pool can beat it.
        # Compared with one such process alone on its part: how much of N cores
        # this machine gives N independent processes.
        par="" one="" first=""
        for part in $(split_parts "${INPUT[$case]}" "$NPROC"); do
            par+="$(printf '%q ' "$LOGSCRUB" -c patterns/default.yaml "${T1[@]}" "$part") > /dev/null & "
            [ -n "$first" ] || first=$part
        done
        one="$(printf '%q ' "$LOGSCRUB" -c patterns/default.yaml "${T1[@]}" "$first") > /dev/null"
        measure "$case" "$NPROC x logscrub 1 thread, 1/$NPROC of the input each, in parallel" default \
            "${par}wait"
        M_BYTES=$(stat -c %s "$first") M_LINES=$(wc -l < "$first") \
            measure "$case" "1 x logscrub 1 thread, 1/$NPROC of the input, alone" default "$one"
    fi
    measure "$case" "logscrub ${CFG_DESC[starter]}, 1 thread" default \
        "$(ls_cmd patterns/starter.yaml "${T1[@]}" "${extra[@]}")"
    if [ -n "${CFG[allpacks]:-}" ]; then
        measure "$case" "logscrub ${CFG_DESC[allpacks]}, 1 thread" allpacks \
            "$(ls_cmd "$ALLPACKS" "${T1[@]}" "${extra[@]}")"
        if [ "${#TN[@]}" -gt 0 ]; then
            measure "$case" "logscrub ${CFG_DESC[allpacks]}, $NPROC threads" allpacks \
                "$(ls_cmd "$ALLPACKS" "${TN[@]}" "${extra[@]}")"
        fi
    fi
    measure "$case" "cat | cat" default "cat @F@ | cat > /dev/null"
    # rg/perl: the default rule set on every case, the all-packs set on the raw case.
    rxcfgs=(default)
    [ "$case" = raw ] && [ -n "${CFG[allpacks]:-}" ] && rxcfgs+=(allpacks)
    for rc in "${rxcfgs[@]}"; do
        n=$(wc -l < "$OUT/rules-$rc.pat")
        [ "$n" -gt 0 ] || { say "note: no regex rules for $rc; rg/perl skipped"; continue; }
        if [ ! -e "$OUT/rules-$rc.rgbad" ]; then
            measure "$case" "rg --passthru --pcre2 ($n regexes of $rc)" "$rc" \
                "rg --passthru --pcre2 --no-filename --no-line-number --color never -f $OUT/rules-$rc.pat -r '[REDACTED]' @F@ > /dev/null" sample
        fi
        measure "$case" "perl -p ($n s///g of $rc)" "$rc" "perl -p $OUT/rules-$rc.pl @F@ > /dev/null" sample
    done
done

# ---- peak RSS on a large input ------------------------------------------------
if [ "$BENCH_RSS_MB" != 0 ]; then
    if [ "$have_shared" = 1 ]; then
        say "case RSS input ${BENCH_RSS_MB} MiB (one run each, /usr/bin/time -f %M):"
        big=$(corpus "$BENCH_RSS_MB" 0.001)
        INPUT[rss]=$big BYTES[rss]=$(stat -c %s "$big") LINES[rss]=$(wc -l < "$big")
        LABEL[rss]="raw ${BENCH_RSS_MB} MiB (RSS)"
        for t in 1 N; do
            [ "$t" = N ] && [ "${#TN[@]}" = 0 ] && continue
            if [ "$t" = 1 ]; then opts=("${T1[@]}") tl="1 thread"; else opts=("${TN[@]}") tl="$NPROC threads"; fi
            cmd=$(ls_cmd patterns/default.yaml "${opts[@]}")
            cmd=${cmd//@F@/$big}
            l1=$(load1)
            "$TIME" -f '%e %M %x %U %S' -o "$OUT/time.txt" bash -c "$cmd" >/dev/null 2>>"$LOG" || true
            read -r el rss xc us ss < <(tail -1 "$OUT/time.txt")
            cpu=$(python3 -c "print($us + $ss)")
            note=""; [ "$xc" = 0 ] || note="exit $xc"
            printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' rss \
                "logscrub ${CFG_DESC[default]}, $tl" default "${BYTES[rss]}" "${LINES[rss]}" \
                "$el" 1 "$rss" "$l1" "$note" "$cmd" "$cpu" >> "$RES"
            say "  rss        logscrub $tl: peak RSS $((rss / 1024)) MiB, $el s"
        done
    else
        say "note: the ${BENCH_RSS_MB} MiB RSS input needs $MAKE_CORPUS; skipped"
    fi
fi

# ---- Kafka sidecar ---------------------------------------------------------------
KAFKA_TXT=$OUT/kafka.txt
rm -f "$KAFKA_TXT"
if [ "$BENCH_KAFKA" != 0 ] && grep -qs '^bench-kafka[[:space:]]*:\|[[:space:]]bench-kafka[[:space:]]*:' mk/*.mk; then
    # Several runs and their median: one run's figure moves by half with the VM.
    say "kafka: ${MAKE:-make} bench-kafka, $BENCH_KAFKA_RUNS runs"
    for ((k = 1; k <= BENCH_KAFKA_RUNS; k++)); do
        rc=0
        # the tree's own binary: the Kafka harness needs its bundled-pack lookup
        LOGSCRUB=$LOGSCRUB_SRC ${MAKE:-make} --no-print-directory BUILD="$BUILD" bench-kafka \
            >> "$KAFKA_TXT" 2>&1 || rc=$?
        echo "exit $rc" >> "$KAFKA_TXT"
    done
    grep 'bench: ' "$KAFKA_TXT" | sed 's/^/  /' | tee -a "$LOG"
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report ------------------------------------------------------------------------
python3 - "$RES" "$OUT/results.md" "$KAFKA_TXT" <<PY
import re, sys, os
res, md_path, kafka = sys.argv[1:4]
labels = {"raw": """${LABEL[raw]}""", "dirty": "${LABEL[dirty]}", "json": "${LABEL[json]}",
          "rss": "${LABEL[rss]:-}"}
rows = []
for line in open(res):
    f = line.rstrip("\n").split("\t")
    case, tool, ref, b, n, med, runs, rss, l1, note, cmd, cpu = f
    rows.append(dict(case=case, tool=tool, ref=ref, bytes=int(b), recs=int(n), med=float(med),
                     runs=int(runs), rss=int(rss or 0), load=l1, note=note, cmd=cmd, cpu=float(cpu)))
for r in rows:
    r["mbs"] = r["bytes"] / 1e6 / r["med"]
    r["cpumbs"] = r["bytes"] / 1e6 / r["cpu"] if r["cpu"] > 0 else 0
    r["rps"] = r["recs"] / r["med"]
def ref_row(case, ref):
    for r in rows:
        if (r["case"] == case and r["ref"] == ref and r["tool"].startswith("logscrub")
                and "1 thread" in r["tool"] and "starter" not in r["tool"]):
            return r
for r in rows:
    base = ref_row(r["case"], r["ref"])
    r["ratio"] = base["mbs"] / r["mbs"] if base else None

def fmt_rate(x):
    return "%.3g M" % (x / 1e6) if x >= 1e6 else ("%.3g k" % (x / 1e3) if x >= 1e3 else "%.3g" % x)
hdr = ["case", "tool", "MB/s median", "records/s", "ratio vs logscrub", "peak RSS", "MB/CPU-s", "runs", "load1", "note"]
def fmt_mbs(x):
    return "%.0f" % x if x >= 100 else ("%.3g" % x)
table = []
for r in rows:
    table.append([labels.get(r["case"], r["case"]), r["tool"], fmt_mbs(r["mbs"]), fmt_rate(r["rps"]),
                  ("%.3gx" % r["ratio"] if r["ratio"] < 1000 else "%.0fx" % r["ratio"]) if r["ratio"] else "-",
                  "%.1f MiB" % (r["rss"] / 1024), fmt_mbs(r["cpumbs"]) if r["cpumbs"] else "-",
                  str(r["runs"]), r["load"], r["note"]])

# Kafka figure, if the target printed one.
kfig, ktail = None, ""
if os.path.exists(kafka):
    txt = open(kafka, errors="replace").read()
    ktail = "\n".join(txt.strip().splitlines()[-8:])
    # the sidecar's end-to-end figure of every run; the median is the figure
    runs = [float(x.replace(",", "")) for x in
            re.findall(r"logscrub sidecar: .*= ([0-9][0-9.,]*) records/s", txt)]
    if runs:
        runs.sort()
        med = runs[len(runs) // 2] if len(runs) % 2 else (runs[len(runs) // 2 - 1] + runs[len(runs) // 2]) / 2
        kfig = "%.0f records/s (median of %d runs: %s)" % (med, len(runs), ", ".join("%.0f" % r for r in runs))
    else:
        m = re.findall(r"([0-9][0-9.,]*)\s*(?:k\s*)?(?:records|recs|msgs|rec|messages)/s", txt)
        if m:
            kfig = m[-1] + " records/s"

def pick(case, ref, threads="1 thread"):
    if ref == "starter":
        ref, want = "default", "starter"
    else:
        want = None
    for r in rows:
        if (r["case"] == case and r["ref"] == ref and r["tool"].startswith("logscrub") and threads in r["tool"]
                and (want in r["tool"] if want else "starter" not in r["tool"])):
            return r
def tool_row(case, ref, prefix):
    for r in rows:
        if r["case"] == case and r["ref"] == ref and r["tool"].startswith(prefix):
            return r
summary = []
main_ref = "allpacks" if pick("raw", "allpacks") else "default"
which = {"default": "default.yaml", "allpacks": "all non-PII packs"}[main_ref]
r = pick("raw", main_ref)
if r:
    summary.append("single thread, %s, %s: %.0f MB/s, %s records/s (goal >= 1000 MB/s)" % (which, labels["raw"], r["mbs"], fmt_rate(r["rps"])))
    for p, goal in (("rg", 5), ("perl", 50)):
        t = tool_row("raw", main_ref, p)
        if t:
            summary.append("  vs %s with the same regexes: %.0fx faster (goal >= %dx; %s)" % (p, t["ratio"], goal, t["note"] or "full input"))
for ref in ("default", "allpacks"):
    d, s = pick("raw", ref), pick("raw", "starter")
    if d and s and ref in ("default", main_ref):
        summary.append("%s vs starter pack, raw: %.0f vs %.0f MB/s (%.2fx)" % (
            {"default": "default.yaml", "allpacks": "all non-PII packs"}[ref], d["mbs"], s["mbs"], d["mbs"] / s["mbs"]))
r = pick("dirty", main_ref)
if r: summary.append("10%% of lines with secrets, %s: %.0f MB/s (goal >= 300 MB/s)" % (which, r["mbs"]))
r = pick("json", main_ref)
if r: summary.append("JSON lines, %s: %.0f MB/s (goal >= 500 MB/s)" % (which, r["mbs"]))
a, b = pick("raw", main_ref), pick("raw", main_ref, "threads")
if a and b:
    summary.append("threads speed-up on ${NPROC} cores, raw, %s: %.2fx (goal >= 1.8x)" % (which, b["mbs"] / a["mbs"]))
    c, o = tool_row("raw", "default", "${NPROC} x logscrub"), tool_row("raw", "default", "1 x logscrub")
    if c and o:
        summary.append("  this machine: ${NPROC} independent 1-thread processes, each on 1/${NPROC}, run %.2fx as fast as one of them alone (${NPROC}x = no contention); %.2fx the whole input on 1 thread" % (
            c["mbs"] / o["mbs"], c["mbs"] / pick("raw", "default")["mbs"]))
elif a: summary.append("threads speed-up: not measured (this build has no --threads)")
r = pick("rss", "default")
if r: summary.append("peak RSS on a %.0f MB input, default.yaml, 1 thread: %.1f MiB (goal < 64 MiB)" % (r["bytes"] / 1e6, r["rss"] / 1024))
if os.path.exists(kafka):
    summary.append("Kafka sidecar (make bench-kafka): %s" % (kfig if kfig else "no records/s figure found; see the tail below"))

widths = [max(len(h), *(len(row[i]) for row in table)) if table else len(h) for i, h in enumerate(hdr)]
print()
print("  ".join(h.ljust(w) for h, w in zip(hdr, widths)))
print("  ".join("-" * w for w in widths))
for row in table:
    print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
print()
for s in summary:
    print(s)

with open(md_path, "w") as md:
    md.write("# logscrub benchmark (make bench)\n\n")
    md.write("""$MACHINE; at end ${LOAD_END}.\n\n""")
    md.write("""logscrub: $VERSION, tree $REV.\n\n""")
    md.write("| " + " | ".join(hdr) + " |\n|" + "|".join("---" if i < 2 else "---:" for i in range(len(hdr))) + "|\n")
    for row in table:
        md.write("| " + " | ".join(c.replace("|", "\\\\|") for c in row) + " |\n")
    md.write("\nMB = 10^6 bytes. *ratio vs logscrub* = MB/s of logscrub (1 thread, same rule set, same input) "
             "divided by the row's MB/s: how many times faster logscrub is (below 1: the row is faster; the "
             "starter-pack row compares with default.yaml). *MB/CPU-s* divides by the "
             "mean user+system CPU time instead of wall time (steadier when the machine is loaded; for cat | cat "
             "it is both processes). "
             "Peak RSS is /usr/bin/time %M of one run (rg maps the file, so its RSS includes file pages). "
             "*sample* rows ran on an evenly strided sample of the input (every k-th line) because the "
             "full input would take longer than BENCH_SLOW_S=${BENCH_SLOW_S} s per run. load1 is the 1-minute "
             "load average when the row started.\n\n")
    md.write("## Summary\n\n" + "".join("- %s\n" % s for s in summary))
    md.write("\n## rg/perl rule sets\n\n")
    md.write("""- default.yaml: ${RX_DESC[default]:-n/a}\n""")
    md.write("""- all non-PII packs: ${RX_DESC[allpacks]:-not measured}\n""")
    md.write("\n## Commands\n\n\`\`\`\n")
    for r in rows:
        md.write("# %s / %s (%s)\n" % (labels.get(r["case"], r["case"]), r["tool"],
                 "/usr/bin/time -f %M, one run" if r["case"] == "rss" else
                 "hyperfine -i --warmup %d --runs %d, plus one /usr/bin/time -f %%M run" % (0 if r["note"].startswith("sample") else 1, r["runs"])))
        md.write(r["cmd"] + "\n")
    md.write("\`\`\`\n")
    if ktail:
        md.write("\n## make bench-kafka (tail)\n\n\`\`\`\n" + ktail + "\n\`\`\`\n")
print("\nwritten: %s (hyperfine JSON and logs in %s)" % (md_path, os.path.dirname(md_path)))
PY
say "load average at end: $LOAD_END"
