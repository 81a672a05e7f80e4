# timescale.sh: sourced by the test scripts: waits and timeouts stretched by TEST_TIME_SCALE.
# SPDX-License-Identifier: Apache-2.0
#
# A test that waits for a process under test (a sleep before the next step, a
# deadline for a condition, a timeout that catches a hang) writes the wait for
# the plain build and passes it through these helpers. TEST_TIME_SCALE (default
# 1, decimals allowed) multiplies it: tests/run-valgrind.sh sets it, because
# memcheck runs the code 20-50 times slower. Only waits change: every assertion
# stays the same. POSIX sh, so both the bash and the sh scripts can source it.

# ts SECONDS: the scaled wait, for sleep (decimal).
ts() {
    case ${TEST_TIME_SCALE:-1} in
        1) echo "$1" ;;
        *) awk -v s="$1" -v k="$TEST_TIME_SCALE" 'BEGIN { printf "%.3f\n", s * k }' ;;
    esac
}

# tsi N: the scaled wait rounded up to a whole number (seconds for timeout, a loop
# count, microseconds for a writer's delay).
tsi() {
    awk -v s="$1" -v k="${TEST_TIME_SCALE:-1}" 'BEGIN { v = s * k; i = int(v); if (i < v) i++; print i }'
}

# tsleep SECONDS: sleep for the scaled wait.
tsleep() {
    sleep "$(ts "$1")"
}
