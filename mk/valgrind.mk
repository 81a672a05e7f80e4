# mk/valgrind.mk: the unit and golden tests under valgrind memcheck (jq's ENABLE_VALGRIND idea).
# SPDX-License-Identifier: Apache-2.0
#
# Target: test-valgrind runs tests/run-valgrind.sh: build/run-unit, every golden case
# (through a wrapper that runs logscrub under valgrind) and the bundled rule examples;
# any memcheck error or definite/indirect leak fails it. Not in TEST_TARGETS: it takes
# several minutes (make asan covers the same tests quickly); run it before a release
# or set VALGRIND_IN_TEST=1 to add it to `make test`.

VALGRIND_IN_TEST ?= 0
ifeq ($(VALGRIND_IN_TEST),1)
TEST_TARGETS += test-valgrind
endif
.PHONY: test-valgrind

# Preloaded under valgrind so PCRE2 runs its interpreter (see tests/inject/no_jit.c).
$(BUILD)/no_jit.so: tests/inject/no_jit.c | $(BUILD)
	$(CC) -O2 -std=c11 -Wall -Wextra -pedantic $(WERROR) -shared -fPIC -o $@ $<

test-valgrind: $(BIN) $(BUILD)/run-unit $(BUILD)/no_jit.so
	tests/run-valgrind.sh ./$(BIN) $(BUILD)/run-unit $(BUILD)/no_jit.so
