/* cli_kafka_lib.c: load librdkafka and libmicrohttpd on first use (cli_kafka_lib.h). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifdef WITH_KAFKA

#define CLI_KAFKA_LIB_IMPL
#include "cli_kafka_lib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Shared object names, from the build (mk/kafka.mk reads them off the libraries). */
#ifndef CLI_RDKAFKA_SONAME
#define CLI_RDKAFKA_SONAME "librdkafka.so.1"
#endif
#ifndef CLI_MHD_SONAME
#define CLI_MHD_SONAME "libmicrohttpd.so.12"
#endif

#define CLI_LZ_DEFINE(f) __typeof__(f) *cli_lz_##f;
CLI_RDKAFKA_FUNCS(CLI_LZ_DEFINE)
CLI_MHD_FUNCS(CLI_LZ_DEFINE)
#undef CLI_LZ_DEFINE

/* dlsym returns an object pointer; POSIX guarantees that a function pointer
 * has the same representation, which is what the copy below relies on. */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)), "function pointers are data-sized");

static int load_rc = -1;
static char load_err[256];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* Store dlsym(h, name) in the function pointer at slot; -1 when it is missing. */
static int bind_one(void *h, const char *lib, const char *name, void *slot)
{
    void *sym = dlsym(h, name);

    if (sym == NULL) {
        snprintf(load_err, sizeof(load_err), "%s has no %s (too old a version?)", lib, name);
        return -1;
    }
    memcpy(slot, &sym, sizeof(sym));
    return 0;
}

/* dlopen one library; the handle is kept for the life of the process. */
static void *open_lib(const char *soname)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

    if (h == NULL) {
        const char *why = dlerror();
        snprintf(load_err, sizeof(load_err), "cannot load %s: %s", soname,
                 why != NULL ? why : "unknown error");
    }
    return h;
}

static void load_all(void)
{
    void *rk = open_lib(CLI_RDKAFKA_SONAME);
    void *mhd = rk != NULL ? open_lib(CLI_MHD_SONAME) : NULL;

    if (mhd == NULL) {
        return;
    }
#define CLI_LZ_BIND(f)                                                        \
    if (bind_one(rk, CLI_RDKAFKA_SONAME, #f, &cli_lz_##f) != 0) {             \
        return;                                                               \
    }
    CLI_RDKAFKA_FUNCS(CLI_LZ_BIND)
#undef CLI_LZ_BIND
#define CLI_LZ_BIND(f)                                                        \
    if (bind_one(mhd, CLI_MHD_SONAME, #f, &cli_lz_##f) != 0) {                \
        return;                                                               \
    }
    CLI_MHD_FUNCS(CLI_LZ_BIND)
#undef CLI_LZ_BIND
    load_rc = 0;
}

int cli_kafka_lib_load(char *errstr, size_t errstr_size)
{
    (void)pthread_once(&load_once, load_all);
    if (load_rc != 0) {
        snprintf(errstr, errstr_size, "%s", load_err);
    }
    return load_rc;
}

#else
/* Built without Kafka: nothing here (keeps the translation unit non-empty). */
typedef int cli_kafka_lib_unused_t;
#endif /* WITH_KAFKA */
