# mk/valgrind.mk: the whole test suite under valgrind memcheck (jq's ENABLE_VALGRIND idea).
# SPDX-License-Identifier: Apache-2.0
#
# Target: test-valgrind runs tests/run-valgrind.sh: every suite of `make test` but the
# ASan, minimal-build and fuzz ones (install-check, unit, golden on both paths, rule
# examples, perms, reload, pipe, follow, Kafka, inject, hostile, the Fluent Bit
# harness, corpus, eval) with every process of our code under memcheck; any memcheck
# error or definite/indirect leak in any process fails it. VALGRIND_SUITES="follow
# kafka" runs a subset. Not in TEST_TARGETS: it takes about 30 minutes on 2 cores
# (make asan covers the same suites in a few); run it before a release or set
# VALGRIND_IN_TEST=1 to add it to `make test`.

VALGRIND_IN_TEST ?= 0
ifeq ($(VALGRIND_IN_TEST),1)
TEST_TARGETS += test-valgrind
endif
.PHONY: test-valgrind

# Preloaded under valgrind so PCRE2 runs its interpreter (see tests/inject/no_jit.c).
$(BUILD)/no_jit.so: tests/inject/no_jit.c | $(BUILD)
	$(CC) -O2 -std=c11 -Wall -Wextra -pedantic $(WERROR) -shared -fPIC -o $@ $<

# The programs each suite needs (the fragments that define them are included before this one).
VALGRIND_DEPS := $(BIN) $(BUILD)/run-unit $(BUILD)/no_jit.so $(INJECT_SO) $(FOLLOW_WRITER) \
                 $(PLUGIN_SO) $(PLUGIN_TEST) $(PLUGIN_CHUNKRUN) \
                 $(if $(filter 1,$(WITH_KAFKA)),$(KAFKA_TEST_BINS))
test-valgrind: $(VALGRIND_DEPS)
	BUILD=$(BUILD) WITH_KAFKA=$(WITH_KAFKA) tests/run-valgrind.sh ./$(BIN)
