# mk/plugin.mk: the Fluent Bit output plugin (build/out_logscrub.so), its tests and fuzz target.
# SPDX-License-Identifier: Apache-2.0
#
# Targets: plugin (the .so), test-plugin (in TEST_TARGETS; with
# FLUENT_BIT=/path/to/fluent-bit it also runs a real Fluent Bit), fuzz-chunk
# (the libFuzzer target, in FUZZ_TARGETS; needs clang), install-plugin.
#
# Link model (house-style rule 15, fluent-bit-proxy-abi.md section 7.2): the
# fluent-bit executable exports its own msgpack-c, so msgpack-c is linked
# statically when libmsgpackc.a exists and hidden with --exclude-libs,ALL,
# like libscrub.a; -Bsymbolic binds the plugin's own symbols to itself.
# Only the FLBPlugin* entry points are exported (checked by test-plugin).
# --as-needed keeps LDLIBS entries the core does not use (librdkafka,
# libmicrohttpd from the Kafka fragment) out of the plugin's DT_NEEDED:
# fluent-bit bundles and exports its own librdkafka.

PLUGIN_DIR     := plugins/fluentbit
PLUGIN_SRCS    := $(sort $(wildcard $(PLUGIN_DIR)/*.c))
PLUGIN_OBJS    := $(PLUGIN_SRCS:$(PLUGIN_DIR)/%.c=$(BUILD)/plugin_%.o)
PLUGIN_HDRS    := $(wildcard $(PLUGIN_DIR)/*.h)
PLUGIN_SO      := $(BUILD)/out_logscrub.so
PLUGIN_TEST    := $(BUILD)/test_out_logscrub
PLUGIN_CHUNKRUN := $(BUILD)/fuzz_chunk_run

MSGPACK_CFLAGS := $(shell pkg-config --cflags msgpack 2>/dev/null)
# static archive if the toolchain finds one (Debian: libmsgpack-dev ships it)
MSGPACK_A      := $(filter /%,$(shell $(CC) -print-file-name=libmsgpackc.a 2>/dev/null))
ifneq ($(MSGPACK_A),)
PLUGIN_MSGPACK := $(MSGPACK_A)
else
# fallback: shared msgpack-c. Calls may then resolve to fluent-bit's copy.
PLUGIN_MSGPACK := $(or $(shell pkg-config --libs msgpack 2>/dev/null),-lmsgpackc)
endif

PLUGIN_CFLAGS  := $(CFLAGS) -fvisibility=hidden -I$(PLUGIN_DIR) $(MSGPACK_CFLAGS)
PLUGIN_LDFLAGS := -shared -Wl,--exclude-libs,ALL -Wl,-Bsymbolic -Wl,-z,defs -Wl,--as-needed

ALL_TARGETS  += $(PLUGIN_SO)
TEST_TARGETS += test-plugin
# next to the core's fuzz targets (mk/fuzz.mk) when that fragment is present
FUZZ_CHUNK     := $(or $(FUZZ_BUILD),$(BUILD))/fuzz_chunk
FUZZ_TARGETS += $(FUZZ_CHUNK)

.PHONY: plugin test-plugin fuzz-chunk
plugin: $(PLUGIN_SO)

$(BUILD)/plugin_%.o: $(PLUGIN_DIR)/%.c $(PLUGIN_HDRS) filter/*.h | $(BUILD)
	$(CC) $(PLUGIN_CFLAGS) -c -o $@ $<

$(PLUGIN_SO): $(PLUGIN_OBJS) $(BUILD)/libscrub.a mk/plugin.mk
	$(CC) $(CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $(PLUGIN_OBJS) $(BUILD)/libscrub.a \
	    $(PLUGIN_MSGPACK) $(LDLIBS) -lm

# The harness dlopens the .so; it links msgpack-c only to build test chunks.
$(PLUGIN_TEST): tests/fluentbit/test_out_logscrub.c $(PLUGIN_DIR)/fbp_abi.h | $(BUILD)
	$(CC) $(CFLAGS) -I$(PLUGIN_DIR) $(MSGPACK_CFLAGS) -o $@ $< \
	    $(or $(shell pkg-config --libs msgpack 2>/dev/null),-lmsgpackc) -ldl -lpthread

# The fuzz target without libFuzzer: replays the seed corpus (any compiler).
$(PLUGIN_CHUNKRUN): tests/fuzz/fuzz_chunk.c $(PLUGIN_DIR)/fb_chunk.c $(PLUGIN_HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -DFUZZ_CHUNK_MAIN -I$(PLUGIN_DIR) $(MSGPACK_CFLAGS) -o $@ \
	    tests/fuzz/fuzz_chunk.c $(PLUGIN_DIR)/fb_chunk.c $(PLUGIN_MSGPACK)

test-plugin: $(PLUGIN_SO) $(PLUGIN_TEST) $(PLUGIN_CHUNKRUN)
	$(PLUGIN_CHUNKRUN) tests/fuzz/corpus/chunk/*
	$(PLUGIN_TEST) $(PLUGIN_SO) tests/fluentbit $(wildcard patterns/default.yaml)
	tests/fluentbit/smoke.sh $(PLUGIN_SO) tests/fluentbit

# libFuzzer: make fuzz-chunk && $(FUZZ_CHUNK) -max_total_time=60 <copy of tests/fuzz/corpus/chunk>
# (or `make fuzz FUZZ_ONLY=chunk`, which runs it on a scratch copy of the corpus)
FUZZ_CC ?= clang
$(FUZZ_CHUNK): tests/fuzz/fuzz_chunk.c $(PLUGIN_DIR)/fb_chunk.c $(PLUGIN_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -I$(PLUGIN_DIR) $(MSGPACK_CFLAGS) -o $@ tests/fuzz/fuzz_chunk.c \
	    $(PLUGIN_DIR)/fb_chunk.c $(PLUGIN_MSGPACK)

fuzz-chunk: $(FUZZ_CHUNK)

# Not wired into `make install` (the top Makefile owns it): run it separately.
PLUGIN_LIBDIR ?= $(PREFIX)/lib/logscrub
.PHONY: install-plugin
install-plugin: $(PLUGIN_SO)
	install -d $(DESTDIR)$(PLUGIN_LIBDIR)
	install -m 0755 $(PLUGIN_SO) $(DESTDIR)$(PLUGIN_LIBDIR)/out_logscrub.so
