#!/bin/sh
# tests/kafka/run.sh: end-to-end tests of the Kafka sidecar against librdkafka's mock cluster.
# SPDX-License-Identifier: Apache-2.0
#
# Usage: tests/kafka/run.sh [bench]     (from the repository root, after make)
# Environment: BUILD (default build), LOGSCRUB (default ./logscrub),
#              KAFKA_TESTS (space-separated test numbers to run, default all),
#              KAFKA_SESSION_MS (consumer session timeout, default 4000),
#              RUN_WRAPPER (a command that runs test_wm, e.g. valgrind),
#              TEST_TIME_SCALE (stretches the waits for the sidecar, see
#              tests/timescale.sh; tests/run-valgrind.sh sets it).
#
# Every test runs the real logscrub binary against a mock cluster started by
# mock_cluster (a separate process, so the sidecar can be kill -9'ed), feeds
# fixtures with kprod and verifies the topics with kcheck (see kfix.h for the
# fixture format). No network beyond loopback. Prints "N passed, M failed".
#
# The mock cluster keeps at most 5 MB per partition (librdkafka 2.0.2), so
# topics have enough partitions for the record counts used here.

set -u

BUILD=${BUILD:-build}
K=$BUILD/kafka
LS=${LOGSCRUB:-./logscrub}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../timescale.sh"
RULES=$HERE/rules.yaml
TMP=$(mktemp -d "${TMPDIR:-/tmp}/logscrub-kafka.XXXXXX")
PASS=0
FAIL=0
SKIP=0
MOCK=
BR=
# The mock's group coordinator waits session.timeout.ms - 1 s for members to
# rejoin after any membership change (45 s by default), and a killed member
# leaves only when its session times out: short sessions keep tests quick. A
# sidecar under valgrind needs a longer one (its heartbeats come late).
SESSION_MS=${KAFKA_SESSION_MS:-4000}
FAST="-X session.timeout.ms=$SESSION_MS -X heartbeat.interval.ms=$((SESSION_MS / 10))"

cleanup() {
    for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
    [ -n "$MOCK" ] && kill "$MOCK" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

T0=$(date +%s)
pass() { PASS=$((PASS + 1)); t=$(date +%s); echo "PASS: $* ($((t - T0)) s)"; T0=$t; }
fail() { FAIL=$((FAIL + 1)); t=$(date +%s); echo "FAIL: $* ($((t - T0)) s)"; T0=$t; }
skip() { SKIP=$((SKIP + 1)); echo "SKIP: $*"; }
note() { echo "      $*"; }

wanted() {
    [ -z "${KAFKA_TESTS:-}" ] && return 0
    case " $KAFKA_TESTS " in *" $1 "*) return 0 ;; esac
    return 1
}

# start_mock TOPIC:PARTS...: a 3-broker mock cluster; sets BR; commands via mock_cmd.
start_mock() {
    rm -f "$TMP/ctl" "$TMP/mock.out"
    mkfifo "$TMP/ctl"
    "$K/mock_cluster" -n 3 "$@" <"$TMP/ctl" >"$TMP/mock.out" 2>"$TMP/mock.err" &
    MOCK=$!
    exec 3>"$TMP/ctl"
    i=0
    while [ ! -s "$TMP/mock.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    BR=$(head -n 1 "$TMP/mock.out")
}

stop_mock() {
    exec 3>&-
    kill "$MOCK" 2>/dev/null
    wait "$MOCK" 2>/dev/null
    MOCK=
}

mock_cmd() { echo "$*" >&3; }

# sidecar LOG ARGS...: start logscrub in the background; sets SC.
sidecar() {
    log=$1
    shift
    "$LS" -c "$RULES" -b "$BR" $FAST "$@" >>"$log" 2>&1 &
    SC=$!
}

# stop_sidecar PID: SIGTERM and wait; sets RC.
stop_sidecar() {
    kill -TERM "$1" 2>/dev/null
    wait "$1"
    RC=$?
}

# produce_slowly TOPIC FIRST BATCHES SIZE PAUSE: background batches of fixtures.
produce_slowly() {
    (
        b=0
        while [ $b -lt "$3" ]; do
            "$K/kprod" -b "$BR" -t "$1" -f $(($2 + b * $4)) -n "$4" -S 10 -Q 1000 >/dev/null 2>>"$TMP/kprod.log" || exit 1
            tsleep "$5"
            b=$((b + 1))
        done
    ) &
    PRODUCER=$!
}

# metric NAME: the value of an unlabelled metric from /metrics at $HTTP.
metric() {
    curl -s "http://$HTTP/metrics" | awk -v n="$1" '$1 == n { print $2 }'
}

# rand_ms LO HI: a random number of milliseconds, as seconds for sleep.
rand_s() {
    awk -v lo="$1" -v hi="$2" -v s="$$$(date +%N)" 'BEGIN { srand(s % 100000); printf "%.2f", (lo + rand() * (hi - lo)) / 1000 }'
}

for bin in mock_cluster kprod kcheck kpipe test_wm; do
    if [ ! -x "$K/$bin" ]; then
        echo "run.sh: $K/$bin missing (make test-kafka builds it)" >&2
        exit 2
    fi
done
if [ ! -x "$LS" ]; then
    echo "run.sh: $LS missing" >&2
    exit 2
fi

# A logscrub whose main() does not hand Kafka options to cli_kafka_run would
# treat "--output kafka:TOPIC" as a file name: refuse to run the tests then.
if ! "$LS" -c "$RULES" -X list </dev/null 2>/dev/null | grep -q bootstrap.servers; then
    echo "FAIL: $LS does not run the Kafka front end (-X list prints no librdkafka properties)"
    echo "0 passed, 1 failed"
    exit 1
fi

# ---- bench ------------------------------------------------------------------
if [ "${1:-}" = bench ]; then
    # 300k records of 200 bytes over 32 partitions stay under the mock's
    # 5 MB-per-partition retention. Two ceilings the end-to-end figure lives
    # under are printed first: the produce-only rate of the same mock cluster,
    # and kpipe, the same consume -> produce through librdkafka with nothing
    # in between (no scanning, no offsets), timed like the sidecar.
    N=${BENCH_RECORDS:-300000}
    start_mock bin:32 bout:32 bq:1 pout:32
    t0=$(date +%s.%N)
    "$K/kprod" -b "$BR" -t bin -n "$N" -s 200 -S 100 -Q 0 >/dev/null || exit 1
    t1=$(date +%s.%N)
    awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "bench: baseline: kprod alone produced %d records to the mock at %.0f records/s\n", n, n / (b - a) }'
    "$K/kpipe" -b "$BR" -i bin -o pout -n "$N" >/dev/null &
    KP=$!
    out=$("$K/kcheck" -b "$BR" -o pout -W "$N" -T 120)
    echo "$out" | sed 's/^bench: /bench: baseline: kpipe (consume + produce, no scanning): /'
    wait "$KP"
    sidecar "$TMP/bench.log" -q -G bench --output kafka:bout --quarantine kafka:bq bin
    out=$("$K/kcheck" -b "$BR" -o bout -W "$N" -T 120)
    rc=$?
    echo "$out" | sed 's/^bench: /bench: logscrub sidecar: /'
    stop_sidecar "$SC"
    stop_mock
    exit $rc
fi

# ---- 0: the watermark unit tests -----------------------------------------------
if wanted 0; then
    if ${RUN_WRAPPER:-} "$K/test_wm"; then pass "0 watermark unit tests"; else fail "0 watermark unit tests"; fi
fi

# ---- 1: 100k records, secrets redacted, quarantine, keys/headers/order ---------
if wanted 1; then
    start_mock in1:8 out1:8 q1:1
    "$K/kprod" -b "$BR" -t in1 -n 100000 -S 10 -Q 1000 >/dev/null
    sidecar "$TMP/t1.log" -G g1 --output kafka:out1 --quarantine kafka:q1 in1
    out=$("$K/kcheck" -b "$BR" -o out1 -q q1 -n 100000 -S 10 -Q 1000 -O -T "$(tsi 90)")
    crc=$?
    note "$out"
    stop_sidecar "$SC"
    note "sidecar exit $RC"
    cmt=$("$K/kcheck" -b "$BR" -o in1 -C g1)
    ccrc=$?
    note "$cmt"
    if [ $crc -eq 0 ] && [ $RC -eq 0 ] && [ $ccrc -eq 0 ]; then
        pass "1 100k records: all delivered, no secret leaked, keys/headers/timestamps/order kept, offsets committed"
    else
        fail "1 100k records (kcheck $crc, sidecar $RC, commit check $ccrc)"
        tail -5 "$TMP/t1.log"
    fi
    stop_mock
fi

# ---- 2: kill -9 at random points, restart: nothing lost ----------------------
# Each instance is killed as soon as the output topic holds a random number of
# records, i.e. in the middle of the backlog with records in flight.
if wanted 2; then
    start_mock in2:4 out2:4 q2:1
    "$K/kprod" -b "$BR" -t in2 -n 40000 -S 10 -Q 1000 >/dev/null
    : >"$TMP/t2.log"
    kills=
    for base in 3000 11000 19000 27000; do
        at=$((base + $(awk -v s="$$$(date +%N)" 'BEGIN { srand(s % 100000); print int(rand() * 4000) }')))
        sidecar "$TMP/t2.log" -q -G g2 --output kafka:out2 --quarantine kafka:q2 in2
        "$K/kcheck" -b "$BR" -o out2 -W "$at" -T "$(tsi 60)" >/dev/null
        kill -9 "$SC"
        wait "$SC" 2>/dev/null
        kills="$kills $at"
    done
    note "killed when the output held:$kills records"
    sidecar "$TMP/t2.log" -q -G g2 --output kafka:out2 --quarantine kafka:q2 in2
    out=$("$K/kcheck" -b "$BR" -o out2 -q q2 -n 40000 -S 10 -Q 1000 -d -T "$(tsi 90)")
    crc=$?
    stop_sidecar "$SC"
    note "$out"
    if [ $crc -eq 0 ] && [ $RC -eq 0 ]; then
        pass "2 kill -9 x4 + restart: every record present at least once ($(echo "$out" | grep -o 'duplicates=[0-9]*'))"
    else
        fail "2 kill -9 + restart (kcheck $crc, sidecar $RC)"
    fi
    stop_mock
fi

# ---- 3: two instances in one group, one stopped mid-run -------------------------
if wanted 3; then
    start_mock in3:4 out3:4 q3:1
    produce_slowly in3 0 10 4000 0.2
    COOP="-X partition.assignment.strategy=cooperative-sticky"
    sidecar "$TMP/t3a.log" -v -G g3 $COOP --output kafka:out3 --quarantine kafka:q3 in3
    A=$SC
    sidecar "$TMP/t3b.log" -v -G g3 $COOP --output kafka:out3 --quarantine kafka:q3 in3
    B=$SC
    # Stop A once both hold partitions (librdkafka < 2.3.0 aborts when a
    # cooperative-sticky consumer closes before its first assignment, #4381).
    i=0
    n=$(tsi 150)
    while [ $i -lt "$n" ] && ! { grep -q assigned "$TMP/t3a.log" && grep -q assigned "$TMP/t3b.log"; }; do
        sleep 0.1
        i=$((i + 1))
    done
    tsleep 1
    stop_sidecar "$A"
    RCA=$RC
    wait "$PRODUCER"
    out=$("$K/kcheck" -b "$BR" -o out3 -q q3 -n 40000 -S 10 -Q 1000 -d -T "$(tsi 90)")
    crc=$?
    stop_sidecar "$B"
    note "$out"
    note "instance A exit $RCA, instance B exit $RC"
    if [ $crc -eq 0 ] && [ $RCA -eq 0 ] && [ $RC -eq 0 ]; then
        pass "3 two instances, one stopped mid-run: nothing missing ($(echo "$out" | grep -o 'duplicates=[0-9]*'))"
    else
        fail "3 two instances (kcheck $crc, A $RCA, B $RC)"
    fi
    stop_mock
fi

# ---- 4: exactly-once ----------------------------------------------------------------
if wanted 4; then
    start_mock in4:4 out4:4 q4:1
    "$K/kprod" -b "$BR" -t in4 -n 20000 -S 10 -Q 1000 >/dev/null
    cfg=$TMP/eos.yaml
    cat "$RULES" >"$cfg"
    cat >>"$cfg" <<EOF
input:
  kafka:
    brokers: "$BR"
    group: g4
    topics: [in4]
    delivery: exactly-once
    transaction_interval_ms: 100
    properties:
      session.timeout.ms: $SESSION_MS
      heartbeat.interval.ms: $((SESSION_MS / 10))
output:
  kafka:
    topic: out4
quarantine:
  kafka:
    topic: q4
EOF
    "$LS" -c "$cfg" >>"$TMP/t4.log" 2>&1 &
    SC=$!
    out=$("$K/kcheck" -b "$BR" -o out4 -q q4 -n 20000 -S 10 -Q 1000 -r -O -T "$(tsi 60)")
    crc=$?
    stop_sidecar "$SC"
    note "$out"
    if [ $crc -eq 0 ] && [ $RC -eq 0 ]; then
        pass "4a exactly-once, clean run, read_committed: nothing missing, no duplicates"
    else
        fail "4a exactly-once clean run (kcheck $crc, sidecar $RC)"
        tail -5 "$TMP/t4.log"
    fi
    # kill -9 in the middle of a transaction, then restart.
    "$K/kprod" -b "$BR" -t in4 -f 20000 -n 20000 -S 10 -Q 1000 >/dev/null
    "$LS" -c "$cfg" >>"$TMP/t4.log" 2>&1 &
    SC=$!
    "$K/kcheck" -b "$BR" -o out4 -W 28000 -T "$(tsi 60)" >/dev/null
    kill -9 "$SC"
    wait "$SC" 2>/dev/null
    "$LS" -c "$cfg" >>"$TMP/t4.log" 2>&1 &
    SC=$!
    out=$("$K/kcheck" -b "$BR" -o out4 -q q4 -n 40000 -S 10 -Q 1000 -r -d -T "$(tsi 60)")
    crc=$?
    stop_sidecar "$SC"
    note "$out"
    if [ $crc -eq 0 ] && [ $RC -eq 0 ]; then
        pass "4b exactly-once, kill -9 + restart: nothing missing"
    else
        fail "4b exactly-once kill -9 + restart (kcheck $crc, sidecar $RC)"
    fi
    # librdkafka 2.0.2's mock cluster answers TxnOffsetCommit without storing
    # the offsets and writes no abort markers, so "no duplicates after a
    # crash" cannot be observed against it (a real broker is needed).
    skip "4c exactly-once no-duplicates after kill -9: not observable with the librdkafka $(pkg-config --modversion rdkafka 2>/dev/null) mock cluster ($(echo "$out" | grep -o 'duplicates=[0-9]*'))"
    stop_mock
fi

# ---- 5: broker faults: produce errors, a broker down and up ----------------------------
if wanted 5; then
    start_mock in5:4 out5:4 q5:1
    produce_slowly in5 0 10 3000 0.3
    sidecar "$TMP/t5.log" -G g5 --output kafka:out5 --quarantine kafka:q5 \
        -X message.timeout.ms=3000 -X retry.backoff.ms=50 in5
    tsleep 0.5                     # the sidecar is up (slow under valgrind)
    mock_cmd "error 0 40 7"        # Produce: REQUEST_TIMED_OUT (retriable)
    mock_cmd "error 0 10 6"        # Produce: NOT_LEADER_FOR_PARTITION
    mock_cmd "error 8 3 15"        # OffsetCommit: COORDINATOR_NOT_AVAILABLE
    sleep 0.5
    mock_cmd "down 2"
    sleep 3
    mock_cmd "up 2"
    wait "$PRODUCER"
    out=$("$K/kcheck" -b "$BR" -o out5 -q q5 -n 30000 -S 10 -Q 1000 -d -T "$(tsi 90)")
    crc=$?
    stop_sidecar "$SC"
    note "$out"
    note "$(grep -c retrying "$TMP/t5.log") records re-produced by the sidecar (librdkafka retried the rest)"
    if [ $crc -eq 0 ] && [ $RC -eq 0 ]; then
        pass "5a produce errors + broker down/up: nothing lost ($(echo "$out" | grep -o 'duplicates=[0-9]*'))"
    else
        fail "5a broker faults (kcheck $crc, sidecar $RC)"
        tail -5 "$TMP/t5.log"
    fi
    stop_mock

    # A permanent produce error with on_error: stop: exit 1, nothing committed
    # past the failed record; a restart delivers everything.
    start_mock in5b:2 out5b:2 q5b:1
    "$K/kprod" -b "$BR" -t in5b -n 5000 -S 10 -Q 1000 >/dev/null
    cfg=$TMP/stop.yaml
    cat "$RULES" >"$cfg"
    printf 'output:\n  kafka:\n    on_error: stop\n' >>"$cfg"
    mock_cmd "error 0 1 87"        # Produce: INVALID_RECORD (permanent)
    "$LS" -c "$cfg" -b "$BR" $FAST -G g5b --output kafka:out5b --quarantine kafka:q5b in5b \
        >>"$TMP/t5b.log" 2>&1 &
    SC=$!
    i=0
    n=$(tsi 200)
    while kill -0 "$SC" 2>/dev/null && [ $i -lt "$n" ]; do sleep 0.1; i=$((i + 1)); done
    kill -TERM "$SC" 2>/dev/null
    wait "$SC"
    RC1=$?
    "$LS" -c "$cfg" -b "$BR" $FAST -G g5b --output kafka:out5b --quarantine kafka:q5b in5b \
        >>"$TMP/t5b.log" 2>&1 &
    SC=$!
    out=$("$K/kcheck" -b "$BR" -o out5b -q q5b -n 5000 -S 10 -Q 1000 -d -T "$(tsi 60)")
    crc=$?
    stop_sidecar "$SC"
    note "$out"
    note "first run exit $RC1 (expected 1), restart exit $RC"
    if [ $RC1 -eq 1 ] && [ $crc -eq 0 ] && [ $RC -eq 0 ]; then
        pass "5b permanent produce error, on_error: stop: exit 1, restart delivers everything"
    else
        fail "5b on_error: stop (first exit $RC1, kcheck $crc, restart $RC)"
        tail -5 "$TMP/t5b.log"
    fi
    stop_mock

    # The same error with on_error: quarantine (the default): records go to quarantine.
    start_mock in5c:2 out5c:2 q5c:1
    "$K/kprod" -b "$BR" -t in5c -n 5000 -S 10 -Q 0 >/dev/null
    mock_cmd "error 0 1 87"
    sidecar "$TMP/t5c.log" -G g5c --output kafka:out5c --quarantine kafka:q5c in5c
    out=$("$K/kcheck" -b "$BR" -o out5c -q q5c -n 5000 -S 10 -Q 0 -d -R -T "$(tsi 60)")
    crc=$?
    stop_sidecar "$SC"
    note "$out"
    if [ $crc -eq 0 ] && [ $RC -eq 0 ] && echo "$out" | grep -q 'strayquarantine=[1-9]'; then
        pass "5c permanent produce error, on_error: quarantine: records held in quarantine"
    else
        fail "5c on_error: quarantine (kcheck $crc, sidecar $RC)"
        tail -5 "$TMP/t5c.log"
    fi
    stop_mock
fi

# ---- 6: /healthz and /metrics -------------------------------------------------
if wanted 6; then
    start_mock in6:4 out6:4 q6:1
    PORT=$((20000 + $$ % 20000))
    HTTP=127.0.0.1:$PORT
    sidecar "$TMP/t6.log" -G g6 --output kafka:out6 --quarantine kafka:q6 --http "$HTTP" in6
    first=
    i=0
    code=000
    n=$(tsi 100)
    while [ $i -lt "$n" ]; do
        code=$(curl -s -o /dev/null -w '%{http_code}' "http://$HTTP/healthz")
        [ -z "$first" ] && [ "$code" != 000 ] && first=$code
        [ "$code" = 200 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    produce_slowly in6 0 8 2000 0.4
    v1=$(metric logscrub_records_in_total)
    # the counter must move while records arrive (polled: a loaded machine is slow to start)
    i=0
    v2=$v1
    while [ $i -lt "$(tsi 100)" ] && [ "${v2:-0}" -le "${v1:-0}" ]; do
        sleep 0.1
        v2=$(metric logscrub_records_in_total)
        i=$((i + 1))
    done
    wait "$PRODUCER"
    "$K/kcheck" -b "$BR" -o out6 -q q6 -n 16000 -S 10 -Q 1000 -T "$(tsi 60)" >/dev/null
    tsleep 0.7
    curl -s "http://$HTTP/metrics" >"$TMP/metrics.txt"
    v3=$(awk '$1 == "logscrub_records_in_total" { print $2 }' "$TMP/metrics.txt")
    stop_sidecar "$SC"
    note "healthz: first $first, then $code; records_in: $v1 -> $v2 -> $v3"
    note "$(grep -c '^logscrub_findings_total' "$TMP/metrics.txt") findings series, $(grep -c '^logscrub_consumer_lag' "$TMP/metrics.txt") lag series"
    if [ "$first" = 503 ] && [ "$code" = 200 ] && [ -n "$v1" ] && [ -n "$v2" ] &&
        [ "${v2:-0}" -gt "${v1:-0}" ] && [ "${v3:-0}" -eq 16000 ] &&
        grep -q '^logscrub_findings_total{rule="test-github-token",action="redact"} 1600$' "$TMP/metrics.txt" &&
        grep -q '^logscrub_consumer_lag{topic="in6",partition="0"} 0$' "$TMP/metrics.txt" &&
        grep -q '^logscrub_in_flight 0$' "$TMP/metrics.txt"; then
        pass "6 /healthz flips 503 -> 200; /metrics counters move; findings, lag and in-flight exported"
    else
        fail "6 /healthz and /metrics"
        head -40 "$TMP/metrics.txt"
    fi
    stop_mock
fi

# 7: the pipe filter with a Kafka output (stdin/file in -> Kafka out), threaded.
if wanted 7; then
    start_mock p7:2 q7:1
    awk 'BEGIN { for (i = 1; i <= 3000; i++) {
        if (i % 10 == 0) printf "line %d token=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\n", i;
        else if (i % 100 == 1) printf "line %d QUARANTINE-ME-%d\n", i, i;
        else printf "line %d plain\n", i } }' >"$TMP/p7.in"
    "$LS" -c "$RULES" -b "$BR" --threads 2 --output kafka:p7 --quarantine kafka:q7 "$TMP/p7.in" \
        >"$TMP/p7.log" 2>&1
    rc=$?
    if command -v kcat >/dev/null 2>&1; then
        kcat -b "$BR" -C -t p7 -e -q -f '%s\n' >"$TMP/p7.out" 2>/dev/null
        kcat -b "$BR" -C -t q7 -e -q -f '%s\n' >"$TMP/q7.out" 2>/dev/null
        n=$(wc -l <"$TMP/p7.out")
        q=$(wc -l <"$TMP/q7.out")
        leaked=$(grep -c 'ghp_Ky9Pf' "$TMP/p7.out")
        note "exit $rc; output $n, quarantine $q, leaked $leaked"
        if [ "$rc" = 0 ] && [ "$n" = 2970 ] && [ "$q" = 30 ] && [ "$leaked" = 0 ]; then
            pass "7 pipe filter to Kafka: every record in output or quarantine, no secret leaked"
        else
            fail "7 pipe filter to Kafka"
        fi
    else
        skip "7 pipe filter to Kafka (kcat not installed)"
    fi
    stop_mock
fi

# 8: librdkafka and libmicrohttpd are loaded only when a Kafka feature starts
# (filter/cli_kafka_lib.c): the binary does not link them, a pipe filter runs
# where they cannot be loaded, and the sidecar and a Kafka sink then stop with
# a clear error (exit 3) instead of running without Kafka.
if wanted 8; then
    bogus=$TMP/bogus-libs
    mkdir -p "$bogus"
    echo "not a shared object" >"$bogus/librdkafka.so.1"
    cp "$bogus/librdkafka.so.1" "$bogus/libmicrohttpd.so.12"
    needed=$(readelf -d "$LS" 2>/dev/null | grep NEEDED)
    printf 'line token=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\n' >"$TMP/p8.in"
    LD_LIBRARY_PATH=$bogus "$LS" -c "$RULES" "$TMP/p8.in" >"$TMP/p8.out" 2>"$TMP/p8.err"
    rc_pipe=$?
    LD_LIBRARY_PATH=$bogus "$LS" -c "$RULES" -b 127.0.0.1:1 -G g8 in8 >/dev/null 2>"$TMP/p8.sc"
    rc_sc=$?
    LD_LIBRARY_PATH=$bogus "$LS" -c "$RULES" --output kafka:p8 "$TMP/p8.in" >/dev/null \
        2>"$TMP/p8.sink"
    rc_sink=$?
    v_ok=$("$LS" --version | sed -n 's/.*kafka \(yes (librdkafka [^)]*)\).*/\1/p')
    v_bad=$(LD_LIBRARY_PATH=$bogus "$LS" --version | grep -c 'kafka built in but unavailable (cannot load librdkafka.so.1')
    note "NEEDED: $(echo "$needed" | sed 's/.*\[\(.*\)\]/\1/' | tr '\n' ' ')"
    note "--version: '$v_ok'; with the unloadable copies: $v_bad line(s) saying so"
    note "pipe exit $rc_pipe, sidecar exit $rc_sc, sink exit $rc_sink"
    if [ -n "$needed" ] && ! echo "$needed" | grep -q -e rdkafka -e microhttpd &&
        [ -n "$v_ok" ] && [ "$v_bad" = 1 ] &&
        [ "$rc_pipe" = 0 ] && grep -q 'REDACTED' "$TMP/p8.out" && ! grep -q ghp_ "$TMP/p8.out" &&
        [ "$rc_sc" = 3 ] && grep -q 'Kafka support unavailable: cannot load librdkafka.so.1' "$TMP/p8.sc" &&
        [ "$rc_sink" = 3 ] && grep -q 'Kafka support unavailable' "$TMP/p8.sink" &&
        ! grep -q ghp_ "$TMP/p8.sc" "$TMP/p8.sink"; then
        pass "8 Kafka libraries loaded on demand: not linked, pipe filter runs without them, clear error"
    else
        fail "8 Kafka libraries loaded on demand"
        cat "$TMP/p8.err" "$TMP/p8.sc" "$TMP/p8.sink"
    fi
fi

echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ $FAIL -eq 0 ]
