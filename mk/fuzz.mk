# mk/fuzz.mk: libFuzzer targets for the core (config, stream, json, l4j, lead) and the fuzz runners.
# SPDX-License-Identifier: Apache-2.0
#
# The core is compiled a second time by clang with ASan + UBSan and
# -fsanitize=fuzzer-no-link into $(FUZZ_BUILD)/ (never mixed with build/).
# Every entry of FUZZ_TARGETS (other fragments add theirs, e.g. fuzz_chunk in
# mk/plugin.mk) is a libFuzzer binary named fuzz_<name> whose seed corpus is
# tests/fuzz/corpus/<name>/.
#
# Targets:
#   fuzz         build FUZZ_TARGETS and run each for FUZZ_SECONDS (default 60) on a
#                scratch copy of its corpus; fails on any crash, leak, timeout or
#                sanitizer report. Reproducers land in $(FUZZ_BUILD)/artifacts/.
#   fuzz-smoke   the same for FUZZ_SMOKE_SECONDS (10) per target; in TEST_TARGETS. Without
#                clang/libFuzzer it replays the seed corpora through ASan builds instead.
#   fuzz-config, fuzz-stream, fuzz-json, fuzz-l4j, fuzz-lead: build one target.
# Example: make fuzz FUZZ_SECONDS=600 FUZZ_ONLY=stream

FUZZ_CC            ?= clang
FUZZ_BUILD         ?= build-fuzz
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_ONLY          ?=
FUZZ_SAN           := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS        := -g -O1 -std=c11 -D_GNU_SOURCE -Wall -Wextra -pedantic \
                      -Wno-overlength-strings $(WERROR) -Ifilter \
                      $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
                      $(if $(filter 1,$(WITH_VECTORSCAN)),-DWITH_VECTORSCAN=1)
FUZZ_LIBS          := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread \
                      $(if $(filter 1,$(WITH_VECTORSCAN)),-lstdc++ -lm)
FUZZ_CORE_OBJS     := $(CORE_SRCS:filter/%.c=$(FUZZ_BUILD)/%.o)
FUZZ_LIB           := $(FUZZ_BUILD)/libscrub-fuzz.a
FUZZ_OWN           := config stream json l4j lead
FUZZ_TARGETS       += $(FUZZ_OWN:%=$(FUZZ_BUILD)/fuzz_%)
TEST_TARGETS       += fuzz-smoke

# Does $(FUZZ_CC) link a libFuzzer target? Evaluated in recipes only, so plain `make` never pays.
FUZZ_PROBE = printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)\
{(void)d;(void)n;return 0;}\n' | $(FUZZ_CC) -x c -fsanitize=fuzzer,address,undefined \
    -o $(FUZZ_BUILD)/.probe - >/dev/null 2>&1

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-replay clean-fuzz $(FUZZ_OWN:%=fuzz-%)

$(FUZZ_BUILD):
	mkdir -p $@

$(FUZZ_BUILD)/%.o: filter/%.c filter/*.h mk/fuzz.mk | $(FUZZ_BUILD)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB) filter/*.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $< $(FUZZ_LIB) $(FUZZ_LIBS)

$(FUZZ_OWN:%=fuzz-%): fuzz-%: $(FUZZ_BUILD)/fuzz_%

fuzz-build:
	@mkdir -p $(FUZZ_BUILD)
	@$(FUZZ_PROBE) || { echo "fuzz: $(FUZZ_CC) cannot link libFuzzer targets (install clang)"; \
	    exit 1; }
	$(MAKE) --no-print-directory $(FUZZ_TARGETS)

# Run each target on a scratch copy of its corpus (the checked-in corpus is never written).
# Input size limits per corpus: configs and chunks are larger than log records.
FUZZ_RUN = fail=0; mkdir -p $(FUZZ_BUILD)/artifacts; \
    for t in $(FUZZ_TARGETS); do \
        name=$$(basename $$t); c=$${name\#fuzz_}; \
        if [ -n "$(FUZZ_ONLY)" ] && [ "$(FUZZ_ONLY)" != "$$c" ]; then continue; fi; \
        case $$c in config|chunk) len=8192 ;; l4j) len=2048 ;; *) len=4096 ;; esac; \
        s=$(FUZZ_BUILD)/corpus-$$c; rm -rf $$s; mkdir -p $$s; \
        cp tests/fuzz/corpus/$$c/* $$s/ 2>/dev/null; \
        log=$(FUZZ_BUILD)/$$name.log; \
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        $$t -max_total_time=$$secs -max_len=$$len -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$c- $$s \
            > $$log 2>&1; rc=$$?; \
        runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log); \
        cov=$$(grep -o 'cov: [0-9]*' $$log | tail -1); \
        if [ $$rc != 0 ] || grep -q 'runtime error:\|ERROR: AddressSanitizer\|ERROR: LeakSanitizer' $$log; then \
            fail=1; echo "fuzz $$c: FAIL (rc $$rc) after $${runs:-?} runs; log $$log"; \
            grep -m3 'ERROR:\|runtime error:\|Test unit written' $$log; \
        else \
            echo "fuzz $$c: ok, $${secs}s, $${runs:-?} runs, $$cov, corpus $$(ls $$s | wc -l) files"; \
        fi; \
    done; exit $$fail

fuzz: fuzz-build
	@secs=$(FUZZ_SECONDS); $(FUZZ_RUN)

# The build line holds $(MAKE) (so `make -n` recurses); the run line does not (so it doesn't run).
fuzz-smoke:
	@mkdir -p $(FUZZ_BUILD)
	@if $(FUZZ_PROBE); then \
	    $(MAKE) --no-print-directory $(FUZZ_TARGETS); \
	else \
	    echo "fuzz-smoke: no libFuzzer ($(FUZZ_CC)); replaying the seed corpora instead"; \
	    $(MAKE) --no-print-directory fuzz-replay; \
	fi
	@if $(FUZZ_PROBE); then secs=$(FUZZ_SMOKE_SECONDS); $(FUZZ_RUN); fi

# Without libFuzzer: each target's replay main (ASan + UBSan, any compiler) over its corpus.
# fuzz_l4j has no replay main and fuzz_chunk's replay runs in test-plugin.
FUZZ_REPLAY_FLAGS = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
    -std=c11 -D_GNU_SOURCE -Ifilter $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
    $(if $(filter 1,$(WITH_VECTORSCAN)),-DWITH_VECTORSCAN=1)

$(FUZZ_BUILD)/replay_%: tests/fuzz/fuzz_%.c $(CORE_SRCS) filter/*.h | $(FUZZ_BUILD)
	$(CC) $(FUZZ_REPLAY_FLAGS) -DFUZZ_REPLAY_MAIN -DFUZZ_JSON_MAIN -o $@ $< $(CORE_SRCS) $(FUZZ_LIBS)

fuzz-replay: $(FUZZ_BUILD)/replay_config $(FUZZ_BUILD)/replay_stream $(FUZZ_BUILD)/replay_json
	ASAN_OPTIONS=detect_leaks=1 $(FUZZ_BUILD)/replay_config tests/fuzz/corpus/config/*
	ASAN_OPTIONS=detect_leaks=1 $(FUZZ_BUILD)/replay_stream tests/fuzz/corpus/stream/*
	ASAN_OPTIONS=detect_leaks=1 $(FUZZ_BUILD)/replay_json tests/fuzz/corpus/json/*
	@echo "fuzz-replay: fuzz_l4j skipped (no replay main)"

clean-fuzz:
	rm -rf $(FUZZ_BUILD)
clean: clean-fuzz
