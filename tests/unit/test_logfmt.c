/* test_logfmt: unit tests for the scrub_logfmt walker and quoting. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "ut.h"
#include "scrub.h"
#include "scrub_buf.h"
#include "scrub_logfmt.h"

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* Trace of pairs: "key=[value]" or "key=\"[value]\"" when quoted, "key" when bare. */
struct lf_trace {
    scrub_buf_t text;                 /* the trace */
    const uint8_t *in;                /* the walked input */
    scrub_logfmt_tok_t toks[16];      /* first tokens as reported */
    size_t count;                     /* pairs seen */
    size_t stop_at;                   /* return 7 on this pair (1-based); 0 = never */
};

static int lf_trace_cb(void *ud, const scrub_logfmt_tok_t *tok)
{
    struct lf_trace *t = ud;

    if (t->count < 16) {
        t->toks[t->count] = *tok;
    }
    t->count++;
    if (t->text.len > 0) {
        scrub_buf_putc(&t->text, ' ');
    }
    scrub_buf_append(&t->text, t->in + tok->key_start, tok->key_end - tok->key_start);
    if (tok->val != NULL) {
        scrub_buf_puts(&t->text, tok->quoted ? "=\"[" : "=[");
        scrub_buf_append(&t->text, tok->val, tok->val_len);
        scrub_buf_puts(&t->text, tok->quoted ? "]\"" : "]");
    }
    return t->stop_at != 0 && t->count == t->stop_at ? 7 : 0;
}

static int lf_walk(const uint8_t *in, size_t n, struct lf_trace *t)
{
    scrub_buf_t scratch;
    int rc;

    memset(t, 0, sizeof(*t));
    scrub_buf_init(&t->text, 0);
    scrub_buf_init(&scratch, 0);
    t->in = in;
    rc = scrub_logfmt_walk(&scratch, in, n, lf_trace_cb, t);
    scrub_buf_free(&scratch);
    return rc;
}

static void expect_not_logfmt(const uint8_t *in, size_t n)
{
    struct lf_trace t;

    UT_CHECK_INT(lf_walk(in, n, &t), SCRUB_EINVAL);
    UT_CHECK_INT(t.count, 0);
    scrub_buf_free(&t.text);
}

UT_TEST(logfmt_basic_pairs)
{
    static const char in[] = "level=info msg=\"user logged in\" user_id=42 latency=1.5ms\n";
    struct lf_trace t;

    UT_CHECK_INT(lf_walk(S(in), &t), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "level=[info] msg=\"[user logged in]\" user_id=[42] latency=[1.5ms]");
    UT_CHECK_INT(t.count, 4);
    UT_CHECK_INT(t.toks[0].key_start, 0);
    UT_CHECK_INT(t.toks[0].key_end, 5);
    UT_CHECK_INT(t.toks[0].val_start, 6);
    UT_CHECK_INT(t.toks[0].val_end, 10);
    UT_CHECK_INT(t.toks[0].quoted, 0);
    /* Quoted: the raw span includes the quotes, the value points into the input. */
    UT_CHECK_INT(t.toks[1].val_start, 15);
    UT_CHECK_INT(t.toks[1].val_end, 31);
    UT_CHECK_INT(in[t.toks[1].val_start], '"');
    UT_CHECK_INT(in[t.toks[1].val_end - 1], '"');
    UT_CHECK(t.toks[1].val == (const uint8_t *)in + 16);
    UT_CHECK_INT(t.toks[1].quoted, 1);
    scrub_buf_free(&t.text);
}

UT_TEST(logfmt_escaped_quotes)
{
    struct lf_trace t;

    UT_CHECK_INT(lf_walk(S("msg=\"say \\\"hi\\\" to C:\\\\tmp\" "
                           "other=\"a\\nb\\tc\\qd\" end=1"), &t), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "msg=\"[say \"hi\" to C:\\tmp]\" other=\"[a\nb\tc\\qd]\" end=[1]");
    UT_CHECK_INT(t.toks[0].val_start, 4);
    UT_CHECK_INT(t.toks[0].val_end, 27);
    scrub_buf_free(&t.text);

    /* A quoted value made only of escapes, and an empty quoted value. */
    UT_CHECK_INT(lf_walk(S("a=\"\\\\\" b=\"\""), &t), 0);
    UT_CHECK_MEM(t.text.data, t.text.len, "a=\"[\\]\" b=\"[]\"");
    scrub_buf_free(&t.text);
}

UT_TEST(logfmt_bare_keys)
{
    struct lf_trace t;

    UT_CHECK_INT(lf_walk(S("debug key=v empty= flag\r\n"), &t), 0);
    UT_CHECK_MEM(t.text.data, t.text.len, "debug key=[v] empty=[] flag");
    UT_CHECK_INT(t.count, 4);
    /* Bare key: no value pointer, an empty span at the key's end. */
    UT_CHECK(t.toks[0].val == NULL);
    UT_CHECK_INT(t.toks[0].val_start, 5);
    UT_CHECK_INT(t.toks[0].val_end, 5);
    /* "empty=": a value of length 0 right after the '='. */
    UT_CHECK(t.toks[2].val != NULL);
    UT_CHECK_INT(t.toks[2].val_len, 0);
    UT_CHECK_INT(t.toks[2].val_start, 18);
    UT_CHECK_INT(t.toks[2].val_end, 18);
    scrub_buf_free(&t.text);
}

UT_TEST(logfmt_lenient_values)
{
    struct lf_trace t;

    /* '=' and '"' inside plain values (URLs, sloppy loggers), tabs, UTF-8 keys. */
    UT_CHECK_INT(lf_walk(S("\turl=/a?b=c&d=e\tq=x\"y caf\xc3\xa9=1  "), &t), 0);
    UT_CHECK_MEM(t.text.data, t.text.len, "url=[/a?b=c&d=e] q=[x\"y] caf\xc3\xa9=[1]");
    scrub_buf_free(&t.text);
}

UT_TEST(logfmt_not_logfmt)
{
    expect_not_logfmt(S("just a plain message"));          /* no pair at all */
    expect_not_logfmt(S(""));
    expect_not_logfmt(S("   \n"));
    expect_not_logfmt(S("{\"level\":\"info\"}"));            /* JSON */
    expect_not_logfmt(S("a=1 =2"));                          /* empty key */
    expect_not_logfmt(S("a=\"unterminated"));
    expect_not_logfmt(S("a=\"ends in backslash\\"));
    expect_not_logfmt(S("a=\"x\"y b=1"));                    /* junk after quote */
    expect_not_logfmt(S("a=1 b\"c=2"));                      /* quote in key */
    expect_not_logfmt(S("a=1 \"quoted\""));                  /* quoted bare token */
    expect_not_logfmt(S("a=1\x01 b=2"));                     /* control byte */
    expect_not_logfmt(S("a=1 \0b=2"));                       /* NUL byte */
}

UT_TEST(logfmt_callback_and_detection)
{
    struct lf_trace t;
    scrub_buf_t scratch;

    memset(&t, 0, sizeof(t));
    scrub_buf_init(&t.text, 0);
    scrub_buf_init(&scratch, 0);
    t.in = (const uint8_t *)"a=1 b=2 c=3";
    t.stop_at = 2;
    UT_CHECK_INT(scrub_logfmt_walk(&scratch, t.in, 11, lf_trace_cb, &t), 7);
    UT_CHECK_INT(t.count, 2);
    /* Detection only. */
    UT_CHECK_INT(scrub_logfmt_walk(&scratch, S("a=1"), NULL, NULL), 0);
    UT_CHECK_INT(scrub_logfmt_walk(&scratch, S("a b"), NULL, NULL), SCRUB_EINVAL);
    /* No callback runs for a line that fails late. */
    t.count = 0;
    t.stop_at = 0;
    UT_CHECK_INT(scrub_logfmt_walk(&scratch, S("a=1 b=2 c=\"x"), lf_trace_cb, &t),
                 SCRUB_EINVAL);
    UT_CHECK_INT(t.count, 0);
    scrub_buf_free(&scratch);
    scrub_buf_free(&t.text);
}

/* Quote v, build "k=<quoted>", walk it and compare the decoded value. */
static void quote_roundtrip(const uint8_t *v, size_t n, const char *want_raw)
{
    scrub_buf_t out;
    scrub_buf_t scratch;
    struct lf_trace t;

    scrub_buf_init(&out, 0);
    scrub_buf_init(&scratch, 0);
    UT_CHECK_INT(scrub_logfmt_quote(&out, v, n), 0);
    UT_CHECK_MEM(out.data, out.len, want_raw);
    scrub_buf_reset(&out);
    scrub_buf_puts(&out, "k=");
    UT_CHECK_INT(scrub_logfmt_quote(&out, v, n), 0);
    scrub_buf_puts(&out, " z=1");
    memset(&t, 0, sizeof(t));
    scrub_buf_init(&t.text, 0);
    t.in = out.data;
    UT_CHECK_INT(scrub_logfmt_walk(&scratch, out.data, out.len, lf_trace_cb, &t), 0);
    UT_CHECK_INT(t.count, 2);
    UT_CHECK(t.toks[0].val != NULL && t.toks[0].val_len == n
             && (n == 0 || memcmp(t.toks[0].val, v, n) == 0));
    scrub_buf_free(&t.text);
    scrub_buf_free(&scratch);
    scrub_buf_free(&out);
}

UT_TEST(logfmt_quote)
{
    scrub_buf_t out;

    quote_roundtrip(S("plain"), "plain");
    quote_roundtrip(S(""), "\"\"");
    quote_roundtrip(S("two words"), "\"two words\"");
    quote_roundtrip(S("a=b"), "\"a=b\"");
    quote_roundtrip(S("say \"hi\""), "\"say \\\"hi\\\"\"");
    quote_roundtrip(S("C:\\tmp"), "C:\\tmp");
    quote_roundtrip(S("C:\\t mp"), "\"C:\\\\t mp\"");
    quote_roundtrip(S("line\nbreak\r\ttab"), "\"line\\nbreak\\r\\ttab\"");
    quote_roundtrip(S("[REDACTED]"), "[REDACTED]");
    quote_roundtrip(S("\"\\"), "\"\\\"\\\\\"");

    /* Failure leaves the buffer as it was. */
    scrub_buf_init(&out, 6);
    UT_CHECK_INT(scrub_buf_puts(&out, "k="), 0);
    UT_CHECK_INT(scrub_logfmt_quote(&out, S("a b c")), SCRUB_ETOOBIG);
    UT_CHECK_MEM(out.data, out.len, "k=");
    scrub_buf_free(&out);
}
