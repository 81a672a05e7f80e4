# mk/inject.mk: the LD_PRELOAD write-failure shim and the CLI's I/O error tests.
# SPDX-License-Identifier: Apache-2.0
#
# Targets: test-inject (in TEST_TARGETS) runs tests/inject/run.sh: ENOSPC, EIO and
# EPIPE on stdout, -o FILE, the quarantine and audit files must exit 3 with nothing
# but a prefix of the output written; short writes and EINTR must be retried.

INJECT_SO := $(BUILD)/write_fail.so

TEST_TARGETS += test-inject
.PHONY: test-inject

# No sanitizers: the shim is preloaded into the plain (non-ASan) binary.
$(INJECT_SO): tests/inject/write_fail.c | $(BUILD)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -pedantic $(WERROR) -shared -fPIC -o $@ $< -ldl

test-inject: $(BIN) $(INJECT_SO)
	tests/inject/run.sh ./$(BIN) $(INJECT_SO)
