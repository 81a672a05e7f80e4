/* fbp_abi.h: the stable prefix of Fluent Bit's proxy-plugin ABI, declared locally. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FBP_ABI_H
#define FBP_ABI_H

/*
 * Source: docs/fluent-bit-proxy-abi.md (covers Fluent Bit 1.9.10 .. 5.1.1).
 * Nothing here is copied from Fluent Bit headers: these are this project's
 * own declarations of the few struct prefixes the plugin touches, laid out
 * by the offset tables of that document (LP64: x86_64, aarch64).
 *
 * Rules the plugin follows:
 *  - Register writes offsets 0..31 of the registration block only (the block
 *    is 32 bytes up to 4.2.2 and grew later; fields past 31 are never touched).
 *  - Only the first four pointers of the init block are read.
 *  - Only api->output_get_property (offset 0, every version) and, from 2.0.0,
 *    api->log_print / api->output_log_check are used. The plugin therefore
 *    supports Fluent Bit >= 2.0.7 (per-instance ExitCtx, Unregister); on 1.9
 *    the table is 8 bytes long and log_print would be read out of bounds.
 */

#include <stddef.h>

/* Return codes of Init and Flush (flb_macros.h values, unchanged 1.x..5.1.1). */
enum {
    FBP_ERROR = 0,   /* flush: chunk dropped; init: failure */
    FBP_OK = 1,      /* flush: chunk done; init: success */
    FBP_RETRY = 2    /* flush: chunk redelivered later, whole */
};

/* Plugin kinds and the proxy kind of the registration block. */
enum {
    FBP_TYPE_INPUT = 1,
    FBP_TYPE_OUTPUT = 2,
    FBP_TYPE_CUSTOM = 3
};
enum {
    FBP_PROXY_GOLANG = 11    /* the only proxy kind; no Go involved */
};

/* log_print levels. */
enum {
    FBP_LOG_ERROR = 1,
    FBP_LOG_WARN,
    FBP_LOG_INFO,
    FBP_LOG_DEBUG,
    FBP_LOG_TRACE
};

/* Registration block: the portable 32-byte prefix (struct flb_plugin_proxy_def). */
struct fbp_def_v1 {
    int kind;                  /* @0: FBP_TYPE_OUTPUT */
    int proxy;                 /* @4: FBP_PROXY_GOLANG */
    int flags;                 /* @8: 0; copied into the core's out->flags */
    char *name;                /* @16: "[OUTPUT] Name"; Fluent Bit strdup()s it */
    char *description;         /* @24: pointer kept, must outlive the plugin */
    /* @32 event_type (4.2.3+), @40 config_map (5.1.1+): never written */
};

/* API table (struct flb_api); members past output_get_property need >= 2.0.0. */
struct fbp_api {
    const char *(*output_get_property)(const char *key, void *o_ins);          /* @0 */
    const char *(*input_get_property)(const char *key, void *i_ins);           /* @8 */
    void *(*output_get_cmt_instance)(void *o_ins);                              /* @16 */
    void *(*input_get_cmt_instance)(void *i_ins);                               /* @24 */
    void (*log_print)(int level, const char *file, int line, const char *fmt, ...); /* @32 */
    int (*input_log_check)(void *i_ins, int level);                             /* @40 */
    int (*output_log_check)(void *o_ins, int level);                            /* @48 */
    /* @56 custom_get_property, @64 custom_log_check (4.0.3+): unused */
};

/* Per-instance proxy context (struct flb_plugin_proxy_context). */
struct fbp_context {
    void *remote_context;      /* @0: the plugin's slot, set in Init */
    void *proxy;               /* @8: internal */
};

/* Init block (struct flbgo_output_plugin): shared by all instances of one .so;
 * o_ins and context are overwritten before each Init call. */
struct fbp_out_plugin {
    char *name;                /* @0 */
    struct fbp_api *api;       /* @8 */
    void *o_ins;               /* @16: opaque instance, argument of the api calls */
    struct fbp_context *context; /* @24 */
    /* @32.. internal callback pointers: never touched */
};

#define FBP_EXPORT __attribute__((visibility("default")))

FBP_EXPORT int FLBPluginRegister(void *def);
FBP_EXPORT int FLBPluginInit(void *plugin);
FBP_EXPORT int FLBPluginFlushCtx(void *rctx, const void *data, size_t len, char *tag);
FBP_EXPORT int FLBPluginExitCtx(void *rctx);
FBP_EXPORT void FLBPluginUnregister(void *def);

#endif
