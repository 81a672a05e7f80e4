# logscrub: top-level build. Targets: all, test, demo, install, plugin, fuzz, bench, clean.
# SPDX-License-Identifier: Apache-2.0

PREFIX   ?= /usr/local
CC       ?= cc
# Vectorscan (Debian libvectorscan-dev) is the prefilter's literal engine when present;
# WITH_VECTORSCAN=0 builds the hand-written automaton only.
WITH_VECTORSCAN ?= $(shell pkg-config --exists libhs 2>/dev/null && echo 1 || echo 0)
PKGS     := libpcre2-8 yaml-0.1 $(if $(filter 1,$(WITH_VECTORSCAN)),libhs)
OPT      ?= -O2
WERROR   ?= $(if $(CI),-Werror,)
SAN      ?=
CFLAGS   ?= $(OPT) -g
CFLAGS   += $(SAN) -std=c11 -D_GNU_SOURCE -Wall -Wextra -pedantic -Wno-overlength-strings $(WERROR) \
            -fPIC -Ifilter $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
            $(if $(filter 1,$(WITH_VECTORSCAN)),-DWITH_VECTORSCAN=1)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm $(if $(filter 1,$(WITH_VECTORSCAN)),-lstdc++)
# jemalloc (Debian libjemalloc-dev) is the CLI's allocator when present: in the Kafka
# sidecar librdkafka allocates and frees per message on several threads, where glibc's
# malloc cut the end-to-end rate by a third (README, Kafka). The library and the
# plugin keep the host's allocator. WITH_JEMALLOC=0 builds without it.
WITH_JEMALLOC ?= $(shell pkg-config --exists jemalloc 2>/dev/null && echo 1 || echo 0)
CLI_LIBS := $(if $(filter 1,$(WITH_JEMALLOC)),$(shell pkg-config --libs jemalloc 2>/dev/null))
BUILD    ?= build
BIN      ?= logscrub
.DEFAULT_GOAL := all

# Core library: every filter/scrub_*.c (front ends are main.c, source_*.c, sink_*.c).
CORE_SRCS := $(sort $(wildcard filter/scrub_*.c))
CORE_OBJS := $(CORE_SRCS:filter/%.c=$(BUILD)/%.o)
CLI_SRCS  := filter/main.c $(sort $(wildcard filter/cli_*.c))
CLI_OBJS  := $(CLI_SRCS:filter/%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

# Feature fragments (plugin, kafka, fuzz, bench) add to ALL_TARGETS, TEST_TARGETS
# and FUZZ_TARGETS; each mk/*.mk file owns one feature. A fragment's rules may
# use $(BUILD), $(CFLAGS), $(LDLIBS) and $(BUILD)/libscrub.a.
ALL_TARGETS  :=
TEST_TARGETS :=
FUZZ_TARGETS :=
-include $(sort $(wildcard mk/*.mk))

.PHONY: all test unit golden patterns corpus eval reload perms pipe hostile mapped windows install-check minimal demo install clean deps asan
all: $(BIN) $(BUILD)/libscrub.a $(ALL_TARGETS)

$(BUILD):
	mkdir -p $(BUILD)

$(BUILD)/%.o: filter/%.c filter/*.h | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/libscrub.a: $(CORE_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BIN): $(CLI_OBJS) $(BUILD)/libscrub.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libscrub.a $(CLI_LIBS) $(LDLIBS)

# Unit tests: the registry is generated from UT_TEST(name) declarations.
$(BUILD)/registry.h: $(UNIT_SRCS) | $(BUILD)
	grep -ho 'UT_TEST([A-Za-z0-9_]*)' $(UNIT_SRCS) /dev/null | sed 's/UT_TEST(\(.*\))/UT_ENTRY(\1)/' > $@.tmp && mv $@.tmp $@

$(BUILD)/run-unit: tests/unit/run-unit.c $(UNIT_SRCS) $(BUILD)/registry.h $(BUILD)/libscrub.a tests/ut.h
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests -I$(BUILD) -o $@ tests/unit/run-unit.c $(UNIT_SRCS) $(BUILD)/libscrub.a $(LDLIBS)

unit: $(BUILD)/run-unit
	$(BUILD)/run-unit

# The test suites under AddressSanitizer + UndefinedBehaviorSanitizer (unit, golden on both
# paths, rules, reload, pipe, perms, hostile, install-check, corpus, eval, follow, inject,
# the plugin harness, Kafka).
ASAN_SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_MAKE = BUILD=build-asan BIN=build-asan/logscrub OPT="-O1" SAN="$(ASAN_SAN)" LDFLAGS="$(ASAN_SAN)" \
            WITH_JEMALLOC=0
# inject: ASan refuses to start unless its runtime comes first in the library list, and
# LD_PRELOAD puts the write-failure shim ahead of the libasan the binary links. So gcc's
# shared runtime is preloaded first (INJECT_PRELOAD); the shim stays a plain build, and its
# write() calls reach ASan's interceptor through dlsym(RTLD_NEXT). clang links the runtime
# statically, where the order does not matter: the path is then not absolute and dropped.
ASAN_RT = $(filter /%,$(shell $(CC) -print-file-name=libasan.so 2>/dev/null))
asan: $(FOLLOW_WRITER) $(INJECT_SO)
	$(MAKE) --no-print-directory $(ASAN_MAKE) build-asan/logscrub build-asan/run-unit
	ASAN_OPTIONS=detect_leaks=1 build-asan/run-unit
	ASAN_OPTIONS=detect_leaks=1 tests/run-golden.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 GOLDEN_EXTRA="--threads 1" tests/run-golden.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 build-asan/logscrub --test-rules -c patterns/default.yaml > /dev/null
	ASAN_OPTIONS=detect_leaks=1 tests/run-reload.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 tests/run-pipe.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 tests/run-mapped.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 tests/run-windows.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 tests/run-perms.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 tests/run-install.sh $(ASAN_MAKE)
	ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16 RSS_OVER_BASELINE=1 \
	    tests/run-hostile.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 tests/run-corpus.sh build-asan/logscrub
	ASAN_OPTIONS=detect_leaks=1 tests/eval/run-eval.sh build-asan/logscrub > /dev/null
	$(if $(FOLLOW_WRITER),LOGSCRUB_CONFIG=$(CURDIR)/patterns/default.yaml ASAN_OPTIONS=detect_leaks=1 \
	    tests/follow/run.sh build-asan/logscrub $(FOLLOW_WRITER))
	$(if $(INJECT_SO),INJECT_PRELOAD="$(ASAN_RT)" ASAN_OPTIONS=detect_leaks=1 \
	    tests/inject/run.sh build-asan/logscrub $(INJECT_SO))
	$(if $(filter test-plugin,$(TEST_TARGETS)),ASAN_OPTIONS=detect_leaks=1 \
	    $(MAKE) --no-print-directory $(ASAN_MAKE) test-plugin)
	$(if $(filter test-kafka,$(TEST_TARGETS)),LOGSCRUB=build-asan/logscrub ASAN_OPTIONS=detect_leaks=1 \
	    $(MAKE) --no-print-directory $(ASAN_MAKE) test-kafka)

# The minimal build (no Vectorscan, no Kafka: the hand-written prefilter and the stubs)
# still compiles warning-free and passes the unit and golden tests.
minimal:
	$(MAKE) --no-print-directory BUILD=build-min BIN=build-min/logscrub WITH_KAFKA=0 \
	    WITH_VECTORSCAN=0 WITH_JEMALLOC=0 build-min/logscrub build-min/run-unit
	build-min/run-unit
	tests/run-golden.sh build-min/logscrub

# Every golden case runs on the thread pool (default) and on the single-thread stream.
golden: $(BIN)
	tests/run-golden.sh ./$(BIN)
	GOLDEN_EXTRA="--threads 1" tests/run-golden.sh ./$(BIN)

# Every bundled pack's examples (the PII packs are opt-in, so they are checked on their own).
patterns: $(BIN)
	@for p in patterns/*.yaml; do \
	  case $$p in patterns/default.yaml) cfg=$$p ;; *) cfg=$(BUILD)/pack-$$(basename $$p); printf 'include: [%s]\n' "$$(pwd)/$$p" > $$cfg ;; esac; \
	  printf '%-32s ' "$$p"; ./$(BIN) -q --test-rules -c $$cfg | tail -1 || exit 1; \
	done
	BIN=./$(BIN) tests/readme-rules.sh --check

# The real-log corpus in ../shared (skipped when absent): zero findings, byte-identical, JSON intact.
corpus: $(BIN)
	tests/run-corpus.sh ./$(BIN)

# SIGHUP hot reload under load, valid and invalid configs, both scanning paths.
reload: $(BIN)
	tests/run-reload.sh ./$(BIN)

# Detection report: recall per family on tests/eval/labelled, false positives, corpus findings.
eval: $(BIN)
	tests/eval/run-eval.sh ./$(BIN)

# Quarantine/audit files: 0600 whatever the umask; symlinks and writable files refused.
perms: $(BIN)
	tests/run-perms.sh ./$(BIN)

# make install into a scratch prefix; the installed binary must find its packs.
install-check: $(BIN)
	tests/run-install.sh

# In a pipeline: no output held back while input is idle, EPIPE, SIGTERM.
pipe: $(BIN)
	tests/run-pipe.sh ./$(BIN)

# Hostile input: a 100 MB record, binary data, deep JSON, adversarial lines; terminal output.
hostile: $(BIN)
	tests/run-hostile.sh ./$(BIN)

# Mapped regular files (and the pool's lent blocks) give what the read() path gives;
# a file truncated while mapped stops the run with exit 3.
mapped: $(BIN)
	tests/run-mapped.sh ./$(BIN)

# Rules tried only around their keywords' places give what whole-text matching
# (the DFA prefilter, which reports no places) gives.
windows: $(BIN)
	tests/run-windows.sh ./$(BIN)

test: all unit golden patterns corpus eval reload perms pipe hostile mapped windows install-check minimal asan \
      $(TEST_TARGETS)
	@echo "make test: all suites passed"

clean:
	rm -rf build build-asan build-min logscrub

# The main job on the bundled default rules: install missing build dependencies,
# build, and scrub the bundled sample log (quarantined records go to build/quarantine.jsonl).
demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@echo '$$ ./logscrub --stats --quarantine build/quarantine.jsonl config/sample.log'
	@rm -f $(BUILD)/quarantine.jsonl
	@./$(BIN) --stats --quarantine $(BUILD)/quarantine.jsonl config/sample.log

# Installed binary finds its packs in $(PREFIX)/share/logscrub/patterns; main.o is
# rebuilt when PREFIX changes (the stamp file holds the last one).
$(BUILD)/main.o: CFLAGS += -DLOGSCRUB_PATTERNS_DIR='"$(PREFIX)/share/logscrub/patterns"'
$(BUILD)/main.o: $(BUILD)/prefix.stamp
$(BUILD)/prefix.stamp: FORCE | $(BUILD)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
.PHONY: FORCE
FORCE:
install: $(BIN) $(if $(filter %out_logscrub.so,$(ALL_TARGETS)),install-plugin)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/logscrub/patterns \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/logscrub
	install -m 0644 patterns/*.yaml $(DESTDIR)$(PREFIX)/share/logscrub/patterns/
	install -m 0644 filter/logscrub.1 $(DESTDIR)$(PREFIX)/share/man/man1/logscrub.1

# Install missing build dependencies on Debian (needs root or sudo).
DEB_PKGS := build-essential pkg-config libpcre2-dev libyaml-dev libvectorscan-dev python3 python3-yaml
deps:
	@missing=""; for p in $(DEB_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; \
	fi
