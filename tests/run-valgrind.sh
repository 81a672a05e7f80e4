#!/usr/bin/env bash
# run-valgrind.sh: the whole test suite under valgrind memcheck (make test-valgrind).
# Usage: tests/run-valgrind.sh [LOGSCRUB_BINARY]     (from the repository root, after make)
# Environment: BUILD (default build: run-unit, the shims, the follow writer, the Kafka
#   and plugin test programs), WITH_KAFKA (default 1), VALGRIND_SUITES (the suites to
#   run, default all, in this order: install unit golden golden-t1 patterns perms
#   reload pipe follow kafka inject hostile fluentbit corpus eval), VALGRIND_JOBS
#   (lanes for the suites that wait on nothing, default 2), TEST_TIME_SCALE (default
#   10), KAFKA_SESSION_MS (default 10000), VALGRIND_JIT=1 (keep PCRE2's JIT).
#
# Every process of our code runs under memcheck with --leak-check=full: each
# logscrub (through a wrapper script that every suite takes as its binary), the
# unit tests, the installed binary, the Kafka watermark tests, the Fluent Bit
# harness (which dlopens out_logscrub.so) and the chunk decoder replay. Programs
# that only drive a test and link none of our code run natively: the Kafka mock
# cluster, producer and checker (librdkafka), the follow writer, python, the
# shell tools. Definite and indirect leaks count as errors. Valgrind writes one
# log file per process (never into the program's stderr, which the suites
# inspect); any non-empty log fails the run, whatever the exit codes said, and a
# process with errors also exits 99, which fails the case that ran it. A
# process a suite ends with kill -9 (follow and Kafka crash tests) has its
# errors reported but cannot have its leaks checked.
#
# Time: memcheck runs our code 20-50 times slower. The suites that wait for a
# process (reload, pipe, follow, kafka) stretch their waits by TEST_TIME_SCALE
# (tests/timescale.sh) and run one at a time; the others run in VALGRIND_JOBS
# parallel lanes. The Kafka sidecar gets a 10 s session timeout (its heartbeats
# come late under valgrind; 4 s otherwise). Every suite runs at its full size.
#
# PCRE2 JIT is switched off with the no_jit.so preload (tests/inject/no_jit.c):
# JIT code's SIMD subject scans read bytes past the subject, which memcheck
# reports as uninitialised conditional jumps in unnamed frames (a false positive
# unless PCRE2 is built with --enable-valgrind). A user LD_PRELOAD (the inject
# suite's write_fail.so) is kept after it. Suppressions, if any are ever needed,
# go in tests/valgrind.supp, each with the reason it is not our bug.
# SPDX-License-Identifier: Apache-2.0
set -u
bin=$(cd "$(dirname "${1:-./logscrub}")" && pwd)/$(basename "${1:-./logscrub}")
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$(cd "${BUILD:-build}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
logs=$tmp/logs
mkdir -p "$logs" "$tmp/steps"
start=$(date +%s)
export TEST_TIME_SCALE=${TEST_TIME_SCALE:-10}
export KAFKA_SESSION_MS=${KAFKA_SESSION_MS:-10000}
all="install unit golden golden-t1 patterns perms reload pipe follow kafka inject hostile"
all="$all fluentbit corpus eval"
suites=${VALGRIND_SUITES:-$all}
timed="install reload pipe follow kafka"  # one at a time (install rebuilds the binary)

for s in $suites; do
    case " $all " in *" $s "*) ;; *) echo "valgrind: unknown suite $s (suites: $all)"; exit 2 ;; esac
done
if ! command -v valgrind > /dev/null; then
    echo "valgrind: not installed"; exit 1
fi
need=("$bin" "$build/run-unit" "$build/no_jit.so" "$build/write_fail.so" "$build/follow/fwriter"
      "$build/out_logscrub.so" "$build/test_out_logscrub" "$build/fuzz_chunk_run")
if [ "${WITH_KAFKA:-1}" = 1 ]; then
    need+=("$build/kafka/mock_cluster" "$build/kafka/kprod" "$build/kafka/kcheck" "$build/kafka/test_wm")
fi
for f in "${need[@]}"; do
    [ -e "$f" ] || { echo "valgrind: $f missing (make test-valgrind builds it)"; exit 1; }
done

# The wrapper for every program of ours ($tmp/vg PROGRAM ARGS...), and the logscrub the
# suites take as their binary.
preload=$build/no_jit.so
[ "${VALGRIND_JIT:-0}" = 1 ] && preload=""
supp=""
[ -f "$here/valgrind.supp" ] && supp="--suppressions=$(printf '%q' "$here/valgrind.supp")"
# One log per process, named after the suite; the time in the name keeps a reused pid
# from overwriting an earlier log (bash's clock: the inject shim can make date's write fail).
cat > "$tmp/vg" <<EOF
#!/usr/bin/env bash
pre="$preload"
exec env LD_PRELOAD="\$pre\${pre:+\${LD_PRELOAD:+:}}\${LD_PRELOAD:-}" \\
    valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \\
    --show-leak-kinds=definite,indirect --fair-sched=yes --num-callers=30 -q $supp \\
    --soname-synonyms=somalloc=\*jemalloc\* \\
    --log-file="$logs/\${VG_STEP:-other}.%p.\${EPOCHREALTIME/./}.log" "\$@"
EOF
cat > "$tmp/logscrub" <<EOF
#!/bin/sh
exec "$tmp/vg" "$bin" "\$@"
EOF
chmod +x "$tmp/vg" "$tmp/logscrub"
vg=$tmp/vg
ls=$tmp/logscrub

# The bundled packs' examples and the README's rule list (as `make patterns`).
patterns() {
    local p cfg
    for p in "$root"/patterns/*.yaml; do
        cfg=$p
        if [ "$(basename "$p")" != default.yaml ]; then
            cfg=$tmp/pack-$(basename "$p")
            printf 'include: [%s]\n' "$p" > "$cfg"
        fi
        printf '%-32s ' "$(basename "$p")"
        "$ls" -q --test-rules -c "$cfg" | tail -1 || return 1
    done
    BIN=$ls "$here/readme-rules.sh" --check
}

fluentbit() {
    "$vg" "$build/fuzz_chunk_run" "$root"/tests/fuzz/corpus/chunk/* &&
        "$vg" "$build/test_out_logscrub" "$build/out_logscrub.so" "$root/tests/fluentbit" \
            "$root/patterns/default.yaml"
}

# run_suite NAME: run one suite; its output and a summary line go to $tmp/steps/NAME.*
run_suite() {
    local name=$1 t0 rc
    t0=$(date +%s)
    export VG_STEP=$name
    case $name in
        install)   RUN_WRAPPER=$vg "$here/run-install.sh" ;;
        unit)      "$vg" "$build/run-unit" ;;
        golden)    "$here/run-golden.sh" "$ls" ;;
        golden-t1) GOLDEN_EXTRA="--threads 1" "$here/run-golden.sh" "$ls" ;;
        patterns)  patterns ;;
        perms)     "$here/run-perms.sh" "$ls" ;;
        reload)    "$here/run-reload.sh" "$ls" ;;
        pipe)      "$here/run-pipe.sh" "$ls" ;;
        follow)    "$here/follow/run.sh" "$ls" "$build/follow/fwriter" ;;
        kafka)
            if [ "${WITH_KAFKA:-1}" = 1 ]; then
                BUILD=$build LOGSCRUB=$ls RUN_WRAPPER=$vg "$here/kafka/run.sh"
            else
                echo "kafka: skipped (built without Kafka support: WITH_KAFKA=0)"
            fi ;;
        inject)    "$here/inject/run.sh" "$ls" "$build/write_fail.so" ;;
        hostile)   RSS_OVER_BASELINE=1 "$here/run-hostile.sh" "$ls" ;;
        fluentbit) fluentbit ;;
        corpus)    "$here/run-corpus.sh" "$ls" ;;
        eval)      "$here/eval/run-eval.sh" "$ls" ;;
        *)         echo "unknown suite $name"; false ;;
    esac > "$tmp/steps/$name.out" 2>&1
    rc=$?
    echo "valgrind $name: rc $rc, $(( $(date +%s) - t0 ))s ($(tail -1 "$tmp/steps/$name.out"))" \
        > "$tmp/steps/$name.sum"
    echo $rc > "$tmp/steps/$name.rc"
}

report() {
    cat "$tmp/steps/$1.sum"
    [ "$(cat "$tmp/steps/$1.rc")" = 0 ] || tail -30 "$tmp/steps/$1.out"
}

# One at a time: the suites that wait for a process.
for s in $suites; do
    case " $timed " in *" $s "*) run_suite "$s"; report "$s" ;; esac
done
# The rest in VALGRIND_JOBS parallel lanes; a lane claims the next suite not yet taken
# (mkdir is atomic), the longest ones first.
mkdir "$tmp/claim"
for ((lane = 0; lane < ${VALGRIND_JOBS:-2}; lane++)); do
    (
        for s in eval corpus inject golden golden-t1 hostile patterns unit perms fluentbit; do
            case " $suites " in *" $s "*) ;; *) continue ;; esac
            mkdir "$tmp/claim/$s" 2> /dev/null && run_suite "$s"
        done
    ) &
done
wait
for s in $suites; do
    case " $timed " in *" $s "*) ;; *) report "$s" ;; esac
done

# Any report in any process log is a failure, whatever the exit codes said.
fail=0
for s in $suites; do
    [ "$(cat "$tmp/steps/$s.rc")" = 0 ] || fail=1
done
nlogs=$(find "$logs" -name '*.log' | wc -l)
bad=0
for f in "$logs"/*.log; do
    if [ -s "$f" ]; then
        bad=$((bad + 1)); fail=1
        echo "valgrind: report in $(basename "$f"):"; head -60 "$f"
    fi
done
echo "valgrind: $nlogs processes checked, $bad with errors or leaks, $(( $(date +%s) - start ))s total"
[ $fail = 0 ]
