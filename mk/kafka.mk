# mk/kafka.mk: the Kafka sidecar and sink (WITH_KAFKA), their tests and benchmark.
# SPDX-License-Identifier: Apache-2.0
#
# WITH_KAFKA defaults to 1 when pkg-config finds librdkafka and libmicrohttpd;
# `make WITH_KAFKA=0` builds the CLI without them (filter/cli_kafka*.c then
# compile to stubs that refuse Kafka options with "built without Kafka support").
# The CLI's wildcard already picks up filter/cli_kafka*.c, so only flags and
# libraries are added here.
#
# Targets: test-kafka (in TEST_TARGETS; runs against librdkafka's in-process
# mock cluster, no network beyond loopback), bench-kafka (records/s end to end, next to
# the produce-only rate and a bare librdkafka consume -> produce pipe, tests/kafka/kpipe.c).

WITH_KAFKA ?= $(shell pkg-config --exists rdkafka libmicrohttpd 2>/dev/null && echo 1 || echo 0)

KAFKA_TEST_DIR  := tests/kafka
KAFKA_TEST_BINS := $(BUILD)/kafka/mock_cluster $(BUILD)/kafka/kprod $(BUILD)/kafka/kcheck \
                   $(BUILD)/kafka/kpipe $(BUILD)/kafka/test_wm

.PHONY: test-kafka bench-kafka

ifeq ($(WITH_KAFKA),1)
# The CLI does not link the two libraries: filter/cli_kafka_lib.c loads them with
# dlopen when a Kafka feature starts (they and their 18 dependencies cost every
# start of the pipe filter about 10 ms). Their shared object names come from the
# libraries the build finds; the Kafka test programs link them as usual.
KAFKA_SONAME = $(shell objdump -p "$$($(CC) -print-file-name=$(1).so)" 2>/dev/null | \
                 sed -n 's/^ *SONAME *//p')
RDKAFKA_SONAME := $(call KAFKA_SONAME,librdkafka)
MHD_SONAME     := $(call KAFKA_SONAME,libmicrohttpd)
CFLAGS += -DWITH_KAFKA=1 $(shell pkg-config --cflags rdkafka libmicrohttpd 2>/dev/null) \
          $(if $(RDKAFKA_SONAME),-DCLI_RDKAFKA_SONAME='"$(RDKAFKA_SONAME)"') \
          $(if $(MHD_SONAME),-DCLI_MHD_SONAME='"$(MHD_SONAME)"')
CLI_LIBS += -ldl
TEST_TARGETS += test-kafka

$(BUILD)/kafka:
	mkdir -p $@

$(BUILD)/kafka/%: $(KAFKA_TEST_DIR)/%.c $(KAFKA_TEST_DIR)/kfix.h $(KAFKA_TEST_DIR)/krd.h | $(BUILD)/kafka
	$(CC) $(CFLAGS) -I$(KAFKA_TEST_DIR) -o $@ $< $(shell pkg-config --libs rdkafka)

$(BUILD)/kafka/test_wm: $(KAFKA_TEST_DIR)/test_wm.c filter/cli_kafka_wm.c filter/cli_kafka_wm.h \
                        tests/ut.h | $(BUILD)/kafka
	$(CC) $(CFLAGS) -Itests -o $@ $(KAFKA_TEST_DIR)/test_wm.c filter/cli_kafka_wm.c

test-kafka: logscrub $(KAFKA_TEST_BINS)
	BUILD=$(BUILD) $(KAFKA_TEST_DIR)/run.sh

bench-kafka: logscrub $(KAFKA_TEST_BINS)
	BUILD=$(BUILD) $(KAFKA_TEST_DIR)/run.sh bench
else
test-kafka bench-kafka:
	@echo "$@: skipped (built without Kafka support: WITH_KAFKA=0)"
endif

# Objects compiled with the other WITH_KAFKA setting must be rebuilt.
KAFKA_STAMP := $(BUILD)/.with_kafka_$(WITH_KAFKA)
$(KAFKA_STAMP): | $(BUILD)
	rm -f $(BUILD)/.with_kafka_* && touch $@
$(CLI_OBJS): $(KAFKA_STAMP)
