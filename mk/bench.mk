# mk/bench.mk: `make bench` and `make bench-quick`, the throughput harness (issue 7).
# SPDX-License-Identifier: Apache-2.0
#
# tests/bench/run.sh builds its inputs under $(BUILD)/bench with
# ../shared/bench/make-corpus (or measures BENCH_INPUT=FILE), times logscrub,
# cat | cat, rg --passthru and perl -p with hyperfine, and writes
# $(BUILD)/bench/results.md. It exits 0 with a message when ../shared is absent
# and BENCH_INPUT is unset. Nothing asserts a timing.
#
# Knobs: BENCH_MB (MiB per generated input, default 200), BENCH_RUNS (hyperfine
# runs, 5), BENCH_RSS_MB (peak-RSS input, 1024; 0 skips), BENCH_SLOW_S (15),
# BENCH_KAFKA (1: also run bench-kafka when defined), BENCH_KAFKA_RUNS (5, median
# reported), BENCH_CASES (raw dirty json),
# BENCH_INPUT, BENCH_SHARED. Needs hyperfine, ripgrep, perl, python3 and time.
# bench-quick: BENCH_MB=50, 3 runs, no 1 GB RSS input, no Kafka (override on the
# command line).

BENCH_MB     ?= 200
BENCH_RUNS   ?= 5
BENCH_RSS_MB ?= 1024
BENCH_SLOW_S ?= 15
BENCH_KAFKA  ?= 1
BENCH_KAFKA_RUNS ?= 5
BENCH_CASES  ?= raw dirty json
BENCH_INPUT  ?=
BENCH_SHARED ?= $(abspath ../shared)

bench-quick: BENCH_MB = 50
bench-quick: BENCH_RUNS = 3
bench-quick: BENCH_RSS_MB = 0
bench-quick: BENCH_SLOW_S = 5
bench-quick: BENCH_KAFKA = 0

# bench-shapes: logscrub on generated inputs of one line shape each (tests/bench/shapes.py:
# a keyword or a secret on every line, escapes), SHAPES_MB (20) MB each, SHAPES_RUNS (5).
SHAPES_MB   ?= 20
SHAPES_RUNS ?= 5

.PHONY: bench bench-quick bench-shapes
bench-shapes: $(BIN)
	BUILD=$(BUILD) LOGSCRUB=$(BIN) SHAPES_MB=$(SHAPES_MB) SHAPES_RUNS=$(SHAPES_RUNS) tests/bench/shapes.sh

bench bench-quick: $(BIN)
	BUILD=$(BUILD) LOGSCRUB=$(BIN) MAKE="$(MAKE)" BENCH_MB=$(BENCH_MB) BENCH_RUNS=$(BENCH_RUNS) \
	BENCH_RSS_MB=$(BENCH_RSS_MB) BENCH_SLOW_S=$(BENCH_SLOW_S) BENCH_KAFKA=$(BENCH_KAFKA) \
	BENCH_KAFKA_RUNS=$(BENCH_KAFKA_RUNS) \
	BENCH_CASES="$(BENCH_CASES)" BENCH_INPUT="$(BENCH_INPUT)" BENCH_SHARED="$(BENCH_SHARED)" \
	    tests/bench/run.sh
