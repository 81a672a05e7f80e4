/* cli_kafka_lib.h: librdkafka and libmicrohttpd, loaded when a Kafka feature starts. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLI_KAFKA_LIB_H
#define CLI_KAFKA_LIB_H

/*
 * The binary does not link the two libraries: with their dependencies (TLS,
 * SASL, compression: 18 shared objects) they made every start of the pipe
 * filter about 10 ms slower, a third of its start-up. The Kafka files call
 * them through pointers that cli_kafka_lib_load() sets with dlopen/dlsym; this
 * header, included after the libraries' own headers, renames each call to its
 * pointer. A function called but missing from the lists below is an
 * undefined reference at link time, one listed but not renamed an unknown
 * identifier: the build checks that the two lists agree.
 */

#include <stddef.h>

#include <librdkafka/rdkafka.h>
#include <sys/socket.h>
#include <microhttpd.h>

#define CLI_RDKAFKA_FUNCS(X) \
    X(rd_kafka_abort_transaction) \
    X(rd_kafka_assign) \
    X(rd_kafka_assignment) \
    X(rd_kafka_assignment_lost) \
    X(rd_kafka_begin_transaction) \
    X(rd_kafka_commit) \
    X(rd_kafka_commit_transaction) \
    X(rd_kafka_committed) \
    X(rd_kafka_conf) \
    X(rd_kafka_conf_destroy) \
    X(rd_kafka_conf_get) \
    X(rd_kafka_conf_new) \
    X(rd_kafka_conf_properties_show) \
    X(rd_kafka_conf_set) \
    X(rd_kafka_conf_set_dr_msg_cb) \
    X(rd_kafka_conf_set_error_cb) \
    X(rd_kafka_conf_set_log_cb) \
    X(rd_kafka_conf_set_opaque) \
    X(rd_kafka_conf_set_rebalance_cb) \
    X(rd_kafka_conf_set_stats_cb) \
    X(rd_kafka_consume_batch_queue) \
    X(rd_kafka_consumer_close) \
    X(rd_kafka_consumer_group_metadata) \
    X(rd_kafka_consumer_group_metadata_destroy) \
    X(rd_kafka_consumer_poll) \
    X(rd_kafka_destroy) \
    X(rd_kafka_err2name) \
    X(rd_kafka_err2str) \
    X(rd_kafka_error_destroy) \
    X(rd_kafka_error_is_fatal) \
    X(rd_kafka_error_is_retriable) \
    X(rd_kafka_error_string) \
    X(rd_kafka_error_txn_requires_abort) \
    X(rd_kafka_fatal_error) \
    X(rd_kafka_flush) \
    X(rd_kafka_get_watermark_offsets) \
    X(rd_kafka_header_add) \
    X(rd_kafka_headers_destroy) \
    X(rd_kafka_headers_new) \
    X(rd_kafka_incremental_assign) \
    X(rd_kafka_incremental_unassign) \
    X(rd_kafka_init_transactions) \
    X(rd_kafka_message_destroy) \
    X(rd_kafka_message_detach_headers) \
    X(rd_kafka_message_headers) \
    X(rd_kafka_message_timestamp) \
    X(rd_kafka_new) \
    X(rd_kafka_offsets_store) \
    X(rd_kafka_outq_len) \
    X(rd_kafka_pause_partitions) \
    X(rd_kafka_poll) \
    X(rd_kafka_poll_set_consumer) \
    X(rd_kafka_position) \
    X(rd_kafka_producev) \
    X(rd_kafka_purge) \
    X(rd_kafka_queue_destroy) \
    X(rd_kafka_queue_get_consumer) \
    X(rd_kafka_rebalance_protocol) \
    X(rd_kafka_resume_partitions) \
    X(rd_kafka_seek_partitions) \
    X(rd_kafka_send_offsets_to_transaction) \
    X(rd_kafka_subscribe) \
    X(rd_kafka_topic_name) \
    X(rd_kafka_topic_partition_list_add) \
    X(rd_kafka_topic_partition_list_destroy) \
    X(rd_kafka_topic_partition_list_new) \
    X(rd_kafka_version_str)

#define CLI_MHD_FUNCS(X) \
    X(MHD_add_response_header) \
    X(MHD_create_response_from_buffer) \
    X(MHD_destroy_response) \
    X(MHD_queue_response) \
    X(MHD_start_daemon) \
    X(MHD_stop_daemon)

#define CLI_LZ_DECLARE(f) extern __typeof__(f) *cli_lz_##f;
CLI_RDKAFKA_FUNCS(CLI_LZ_DECLARE)
CLI_MHD_FUNCS(CLI_LZ_DECLARE)
#undef CLI_LZ_DECLARE

/* Load both libraries and every function above, once per process (later
 * calls return the first result). Returns 0, or -1 with the reason in errstr
 * ("cannot load librdkafka.so.1: ..."); the pointers are then unusable. */
int cli_kafka_lib_load(char *errstr, size_t errstr_size);

#ifndef CLI_KAFKA_LIB_IMPL
#define rd_kafka_abort_transaction cli_lz_rd_kafka_abort_transaction
#define rd_kafka_assign cli_lz_rd_kafka_assign
#define rd_kafka_assignment cli_lz_rd_kafka_assignment
#define rd_kafka_assignment_lost cli_lz_rd_kafka_assignment_lost
#define rd_kafka_begin_transaction cli_lz_rd_kafka_begin_transaction
#define rd_kafka_commit cli_lz_rd_kafka_commit
#define rd_kafka_commit_transaction cli_lz_rd_kafka_commit_transaction
#define rd_kafka_committed cli_lz_rd_kafka_committed
#define rd_kafka_conf cli_lz_rd_kafka_conf
#define rd_kafka_conf_destroy cli_lz_rd_kafka_conf_destroy
#define rd_kafka_conf_get cli_lz_rd_kafka_conf_get
#define rd_kafka_conf_new cli_lz_rd_kafka_conf_new
#define rd_kafka_conf_properties_show cli_lz_rd_kafka_conf_properties_show
#define rd_kafka_conf_set cli_lz_rd_kafka_conf_set
#define rd_kafka_conf_set_dr_msg_cb cli_lz_rd_kafka_conf_set_dr_msg_cb
#define rd_kafka_conf_set_error_cb cli_lz_rd_kafka_conf_set_error_cb
#define rd_kafka_conf_set_log_cb cli_lz_rd_kafka_conf_set_log_cb
#define rd_kafka_conf_set_opaque cli_lz_rd_kafka_conf_set_opaque
#define rd_kafka_conf_set_rebalance_cb cli_lz_rd_kafka_conf_set_rebalance_cb
#define rd_kafka_conf_set_stats_cb cli_lz_rd_kafka_conf_set_stats_cb
#define rd_kafka_consume_batch_queue cli_lz_rd_kafka_consume_batch_queue
#define rd_kafka_consumer_close cli_lz_rd_kafka_consumer_close
#define rd_kafka_consumer_group_metadata cli_lz_rd_kafka_consumer_group_metadata
#define rd_kafka_consumer_group_metadata_destroy cli_lz_rd_kafka_consumer_group_metadata_destroy
#define rd_kafka_consumer_poll cli_lz_rd_kafka_consumer_poll
#define rd_kafka_destroy cli_lz_rd_kafka_destroy
#define rd_kafka_err2name cli_lz_rd_kafka_err2name
#define rd_kafka_err2str cli_lz_rd_kafka_err2str
#define rd_kafka_error_destroy cli_lz_rd_kafka_error_destroy
#define rd_kafka_error_is_fatal cli_lz_rd_kafka_error_is_fatal
#define rd_kafka_error_is_retriable cli_lz_rd_kafka_error_is_retriable
#define rd_kafka_error_string cli_lz_rd_kafka_error_string
#define rd_kafka_error_txn_requires_abort cli_lz_rd_kafka_error_txn_requires_abort
#define rd_kafka_fatal_error cli_lz_rd_kafka_fatal_error
#define rd_kafka_flush cli_lz_rd_kafka_flush
#define rd_kafka_get_watermark_offsets cli_lz_rd_kafka_get_watermark_offsets
#define rd_kafka_header_add cli_lz_rd_kafka_header_add
#define rd_kafka_headers_destroy cli_lz_rd_kafka_headers_destroy
#define rd_kafka_headers_new cli_lz_rd_kafka_headers_new
#define rd_kafka_incremental_assign cli_lz_rd_kafka_incremental_assign
#define rd_kafka_incremental_unassign cli_lz_rd_kafka_incremental_unassign
#define rd_kafka_init_transactions cli_lz_rd_kafka_init_transactions
#define rd_kafka_message_destroy cli_lz_rd_kafka_message_destroy
#define rd_kafka_message_detach_headers cli_lz_rd_kafka_message_detach_headers
#define rd_kafka_message_headers cli_lz_rd_kafka_message_headers
#define rd_kafka_message_timestamp cli_lz_rd_kafka_message_timestamp
#define rd_kafka_new cli_lz_rd_kafka_new
#define rd_kafka_offsets_store cli_lz_rd_kafka_offsets_store
#define rd_kafka_outq_len cli_lz_rd_kafka_outq_len
#define rd_kafka_pause_partitions cli_lz_rd_kafka_pause_partitions
#define rd_kafka_poll cli_lz_rd_kafka_poll
#define rd_kafka_poll_set_consumer cli_lz_rd_kafka_poll_set_consumer
#define rd_kafka_position cli_lz_rd_kafka_position
#define rd_kafka_producev cli_lz_rd_kafka_producev
#define rd_kafka_purge cli_lz_rd_kafka_purge
#define rd_kafka_queue_destroy cli_lz_rd_kafka_queue_destroy
#define rd_kafka_queue_get_consumer cli_lz_rd_kafka_queue_get_consumer
#define rd_kafka_rebalance_protocol cli_lz_rd_kafka_rebalance_protocol
#define rd_kafka_resume_partitions cli_lz_rd_kafka_resume_partitions
#define rd_kafka_seek_partitions cli_lz_rd_kafka_seek_partitions
#define rd_kafka_send_offsets_to_transaction cli_lz_rd_kafka_send_offsets_to_transaction
#define rd_kafka_subscribe cli_lz_rd_kafka_subscribe
#define rd_kafka_topic_name cli_lz_rd_kafka_topic_name
#define rd_kafka_topic_partition_list_add cli_lz_rd_kafka_topic_partition_list_add
#define rd_kafka_topic_partition_list_destroy cli_lz_rd_kafka_topic_partition_list_destroy
#define rd_kafka_topic_partition_list_new cli_lz_rd_kafka_topic_partition_list_new
#define rd_kafka_version_str cli_lz_rd_kafka_version_str
#define MHD_add_response_header cli_lz_MHD_add_response_header
#define MHD_create_response_from_buffer cli_lz_MHD_create_response_from_buffer
#define MHD_destroy_response cli_lz_MHD_destroy_response
#define MHD_queue_response cli_lz_MHD_queue_response
#define MHD_start_daemon cli_lz_MHD_start_daemon
#define MHD_stop_daemon cli_lz_MHD_stop_daemon
#endif

#endif /* CLI_KAFKA_LIB_H */
