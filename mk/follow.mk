# mk/follow.mk: follow mode (--follow, filter/cli_follow*.c) tests.
# SPDX-License-Identifier: Apache-2.0
#
# The CLI's wildcard already compiles filter/cli_follow*.c into ./logscrub; this
# fragment only builds the test writer and runs tests/follow/run.sh (about a
# minute: appends, globs, deletes, rename and copytruncate rotation under a
# writer, kill -9 and restart, SIGHUP under load, file modes, output errors).

FOLLOW_WRITER := $(BUILD)/follow/fwriter

TEST_TARGETS += test-follow
.PHONY: test-follow

$(BUILD)/follow:
	mkdir -p $@

$(FOLLOW_WRITER): tests/follow/fwriter.c | $(BUILD)/follow
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -pedantic $(WERROR) -o $@ $<

test-follow: $(BIN) $(FOLLOW_WRITER)
	tests/follow/run.sh ./$(BIN) $(FOLLOW_WRITER)
