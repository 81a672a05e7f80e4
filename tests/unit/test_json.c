/* test_json: unit tests for the scrub_json walker, escaper and sniffer. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "ut.h"
#include "scrub.h"
#include "scrub_buf.h"
#include "scrub_json.h"

#include <stdlib.h>

#define S(lit) (const uint8_t *)(lit), sizeof(lit) - 1

/* Collects a readable trace of tokens: "K1 path - dec\n" / "V1 path key dec\n". */
struct trace {
    scrub_buf_t text;       /* the trace */
    size_t starts[32];      /* raw_start of each token */
    size_t ends[32];        /* raw_end of each token */
    size_t count;           /* tokens seen */
    size_t stop_at;         /* return 42 on this token (1-based); 0 = never */
};

static void trace_init(struct trace *t)
{
    memset(t, 0, sizeof(*t));
    scrub_buf_init(&t->text, 0);
}

static int trace_cb(void *ud, const scrub_json_tok_t *tok)
{
    struct trace *t = ud;

    if (t->count < 32) {
        t->starts[t->count] = tok->raw_start;
        t->ends[t->count] = tok->raw_end;
    }
    t->count++;
    scrub_buf_printf(&t->text, "%c%u ", tok->is_key ? 'K' : 'V', tok->depth);
    scrub_buf_append(&t->text, tok->path, tok->path_len);
    scrub_buf_putc(&t->text, ' ');
    if (tok->key != NULL) {
        scrub_buf_append(&t->text, tok->key, tok->key_len);
    }
    else {
        scrub_buf_putc(&t->text, '-');
    }
    scrub_buf_putc(&t->text, ' ');
    scrub_buf_append(&t->text, tok->dec, tok->dec_len);
    scrub_buf_putc(&t->text, '\n');
    return t->stop_at != 0 && t->count == t->stop_at ? 42 : 0;
}

/* Walk in and return the walk result; the trace is left in *t. */
static int walk(const uint8_t *in, size_t n, struct trace *t, size_t *off)
{
    scrub_json_t *j = scrub_json_new(0);
    int rc;

    rc = scrub_json_walk(j, in, n, trace_cb, t, off);
    scrub_json_destroy(j);
    return rc;
}

/* Expect in to be invalid with the error at offset want. */
static void expect_bad(const uint8_t *in, size_t n, size_t want)
{
    struct trace t;
    size_t off = (size_t)-1;

    trace_init(&t);
    UT_CHECK_INT(walk(in, n, &t, &off), SCRUB_EJSON);
    UT_CHECK_INT(off, want);
    scrub_buf_free(&t.text);
}

static void expect_ok(const uint8_t *in, size_t n)
{
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(in, n, &t, NULL), 0);
    scrub_buf_free(&t.text);
}

UT_TEST(json_nested_objects)
{
    static const char in[] = "{\"request\":{\"headers\":{\"authorization\":\"Bearer x\"},"
                             "\"path\":\"/a\"},\"level\":\"info\"}\n";
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(S(in), &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "K1 request - request\n"
                 "K2 request.headers - headers\n"
                 "K3 request.headers.authorization - authorization\n"
                 "V3 request.headers.authorization authorization Bearer x\n"
                 "K2 request.path - path\n"
                 "V2 request.path path /a\n"
                 "K1 level - level\n"
                 "V1 level level info\n");
    /* Raw spans include the quotes. */
    UT_CHECK_INT(t.starts[0], 1);
    UT_CHECK_INT(t.ends[0], 10);
    UT_CHECK_INT(in[t.starts[3]], '"');
    UT_CHECK_INT(in[t.ends[3] - 1], '"');
    UT_CHECK_INT(t.ends[3] - t.starts[3], 10);
    scrub_buf_free(&t.text);
}

UT_TEST(json_arrays_of_objects)
{
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(S("[{\"a\":\"1\"},{\"a\":[\"x\",{\"b\":\"y\"}]},\"top\"]"), &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "K2 a - a\n"
                 "V2 a a 1\n"
                 "K2 a - a\n"
                 "V3 a - x\n"
                 "K4 a.b - b\n"
                 "V4 a.b b y\n"
                 "V1  - top\n");
    scrub_buf_free(&t.text);
}

UT_TEST(json_root_scalars)
{
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(S("  \"just a string\"\r\n"), &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len, "V0  - just a string\n");
    UT_CHECK_INT(t.starts[0], 2);
    UT_CHECK_INT(t.ends[0], 17);
    scrub_buf_free(&t.text);

    expect_ok(S("0"));
    expect_ok(S("-0.5e+10"));
    expect_ok(S("null\n"));
    expect_ok(S("{}"));
    expect_ok(S("[]"));
    expect_ok(S("[ ]"));
    expect_ok(S("{ }"));
}

UT_TEST(json_scalars_not_reported)
{
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(S("{\"n\":-12.5E-3,\"t\":true,\"f\":false,\"z\":null,\"a\":[1,2,0],"
                        "\"e\":{},\"l\":[]}"), &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "K1 n - n\nK1 t - t\nK1 f - f\nK1 z - z\nK1 a - a\nK1 e - e\nK1 l - l\n");
    scrub_buf_free(&t.text);
}

UT_TEST(json_unicode_escapes)
{
    struct trace t;

    trace_init(&t);
    /* \u00e9 = é, \u20ac = €, \ud83d\ude00 = U+1F600, \/ and the short escapes. */
    UT_CHECK_INT(walk(S("[\"caf\\u00e9 \\u20AC \\ud83d\\ude00 \\/\\\"\\\\\\b\\f\\n\\r\\t\"]"),
                      &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "V1  - caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /\"\\\b\f\n\r\t\n");
    scrub_buf_free(&t.text);

    /* \u0000 decodes to a NUL byte (lengths, not strlen). */
    trace_init(&t);
    UT_CHECK_INT(walk(S("[\"a\\u0000b\"]"), &t, NULL), 0);
    UT_CHECK_INT(t.text.len, strlen("V1  - ") + 4);
    UT_CHECK(memcmp(t.text.data + 6, "a\0b\n", 4) == 0);
    scrub_buf_free(&t.text);
}

UT_TEST(json_lone_surrogates)
{
    struct trace t;

    trace_init(&t);
    /* Lone high, lone low, high followed by a non-surrogate escape, high at the end,
     * two highs then a low (the second pairs), reversed pair. */
    UT_CHECK_INT(walk(S("[\"a\\ud800b\",\"\\udc00\",\"\\ud800\\u0041\",\"x\\udbff\","
                        "\"\\ud800\\ud83d\\ude00\",\"\\ude00\\ud83d\"]"), &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "V1  - a\xef\xbf\xbd" "b\n"
                 "V1  - \xef\xbf\xbd\n"
                 "V1  - \xef\xbf\xbd" "A\n"
                 "V1  - x\xef\xbf\xbd\n"
                 "V1  - \xef\xbf\xbd\xf0\x9f\x98\x80\n"
                 "V1  - \xef\xbf\xbd\xef\xbf\xbd\n");
    scrub_buf_free(&t.text);
}

UT_TEST(json_keys_with_escapes)
{
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(S("{\"a\\u0062c\":{\"k\\\"q\":\"v\\n\",\"plain\":\"p\"},\"\":\"empty\"}"),
                      &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "K1 abc - abc\n"
                 "K2 abc.k\"q - k\"q\n"
                 "V2 abc.k\"q k\"q v\n\n"
                 "K2 abc.plain - plain\n"
                 "V2 abc.plain plain p\n"
                 "K1  - \n"
                 "V1   empty\n");
    scrub_buf_free(&t.text);
}

UT_TEST(json_paths_restore)
{
    struct trace t;

    trace_init(&t);
    /* After a nested container closes, the path and key are the outer ones again. */
    UT_CHECK_INT(walk(S("{\"a\":{\"b\":{\"c\":\"1\"}},\"d\":[[{\"e\":\"2\"}],\"3\"],\"f\":\"4\"}"),
                      &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "K1 a - a\n"
                 "K2 a.b - b\n"
                 "K3 a.b.c - c\n"
                 "V3 a.b.c c 1\n"
                 "K1 d - d\n"
                 "K4 d.e - e\n"
                 "V4 d.e e 2\n"
                 "V2 d - 3\n"
                 "K1 f - f\n"
                 "V1 f f 4\n");
    scrub_buf_free(&t.text);

    /* An empty key at the top still separates the next component. */
    trace_init(&t);
    UT_CHECK_INT(walk(S("{\"\":{\"a\":\"x\"}}"), &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len, "K1  - \nK2 .a - a\nV2 .a a x\n");
    scrub_buf_free(&t.text);
}

UT_TEST(json_duplicate_keys)
{
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(S("{\"k\":\"1\",\"k\":\"2\"}"), &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len, "K1 k - k\nV1 k k 1\nK1 k - k\nV1 k k 2\n");
    scrub_buf_free(&t.text);
}

UT_TEST(json_depth_limit)
{
    scrub_json_t *j;
    uint8_t buf[200];
    size_t off = 0;
    size_t i;

    for (i = 0; i < 100; i++) {
        buf[i] = '[';
        buf[199 - i] = ']';
    }
    j = scrub_json_new(0);
    UT_CHECK(j != NULL);
    /* 64 levels are fine, the 65th bracket is rejected at its offset. */
    UT_CHECK_INT(scrub_json_walk(j, buf + 36, 128, NULL, NULL, &off), 0);
    UT_CHECK_INT(scrub_json_walk(j, buf + 35, 130, NULL, NULL, &off), SCRUB_EDEPTH);
    UT_CHECK_INT(off, 64);
    scrub_json_destroy(j);

    j = scrub_json_new(2);
    UT_CHECK_INT(scrub_json_walk(j, S("{\"a\":[\"x\"]}"), NULL, NULL, &off), 0);
    UT_CHECK_INT(scrub_json_walk(j, S("{\"a\":[{}]}"), NULL, NULL, &off), SCRUB_EDEPTH);
    UT_CHECK_INT(off, 6);
    /* The walker is reusable after an error. */
    UT_CHECK_INT(scrub_json_walk(j, S("[1]"), NULL, NULL, &off), 0);
    scrub_json_destroy(j);

    /* Deep but allowed nesting with a large limit. */
    j = scrub_json_new(1000);
    UT_CHECK_INT(scrub_json_walk(j, buf, 200, NULL, NULL, &off), 0);
    scrub_json_destroy(j);
}

UT_TEST(json_invalid_offsets)
{
    expect_bad(S("{\"a\":1,}"), 7);        /* trailing comma in object */
    expect_bad(S("[1,2,]"), 5);            /* trailing comma in array */
    expect_bad(S("{a:1}"), 1);             /* unquoted key */
    expect_bad(S("{'a':1}"), 1);           /* single quotes */
    expect_bad(S("01"), 1);                /* leading zero */
    expect_bad(S("[01]"), 2);
    expect_bad(S("1."), 2);                /* missing fraction */
    expect_bad(S("[1.]"), 3);
    expect_bad(S("1e"), 2);
    expect_bad(S("1e+"), 3);
    expect_bad(S("-"), 1);
    expect_bad(S("-a"), 1);
    expect_bad(S("+1"), 0);
    expect_bad(S(".5"), 0);
    expect_bad(S("[\"a\tb\"]"), 3);        /* raw control char in string */
    expect_bad(S("[\"a\nb\"]"), 3);
    expect_bad(S("{\"a\":\"b"), 7);        /* truncated string */
    expect_bad(S("{\"a\":\"b\""), 8);      /* truncated object */
    expect_bad(S("{\"a\""), 4);            /* missing colon at end */
    expect_bad(S("{\"a\" 1}"), 5);         /* missing colon */
    expect_bad(S("[1 2]"), 3);             /* missing comma */
    expect_bad(S("[1}"), 2);               /* mismatched close */
    expect_bad(S("{\"a\":1]"), 6);
    expect_bad(S("[\"\\x\"]"), 3);         /* invalid escape */
    expect_bad(S("[\"\\u12G4\"]"), 6);     /* bad hex */
    expect_bad(S("[\"\\u12\"]"), 6);
    expect_bad(S("[\"\\"), 3);             /* backslash at the end */
    expect_bad(S("tru"), 3);
    expect_bad(S("trux"), 3);
    expect_bad(S("truex"), 4);
    expect_bad(S("nul"), 3);
    expect_bad(S("True"), 0);
    expect_bad(S("{} {}"), 3);             /* two values */
    expect_bad(S("{}x"), 2);
    expect_bad(S(""), 0);                  /* empty input */
    expect_bad(S("  \n"), 3);
    expect_bad(S("["), 1);
    expect_bad(S("{"), 1);
    expect_bad(S("{\"a\":}"), 5);          /* missing value */
    expect_bad(S("[,1]"), 1);
    expect_bad(S("\xef\xbb\xbf{}"), 0);    /* a BOM is not JSON whitespace */
    expect_bad(S("{}\v"), 2);
    expect_bad(S("[1]\0"), 3);             /* NUL after the value */
}

UT_TEST(json_valid_edge_cases)
{
    expect_ok(S("[-0, 0.0, 1e5, 1E-5, 1.5e+3, -123456789012345678901234567890]"));
    expect_ok(S(" \t\r\n{ \"a\" : [ true , false , null ] } \t\r\n"));
    expect_ok(S("[\"\x7f\"]"));            /* DEL is not a control char for JSON */
    expect_ok(S("{\"a\":{\"a\":{\"a\":{}}}}"));
}

UT_TEST(json_callback_stops)
{
    struct trace t;
    size_t off = 7;

    trace_init(&t);
    t.stop_at = 2;
    UT_CHECK_INT(walk(S("{\"a\":\"b\",\"c\":\"d\"}"), &t, &off), 42);
    UT_CHECK_INT(t.count, 2);
    UT_CHECK_INT(off, 7);   /* untouched when the callback stopped the walk */
    scrub_buf_free(&t.text);

    /* The callback stops before the walk reaches a later syntax error. */
    trace_init(&t);
    t.stop_at = 1;
    UT_CHECK_INT(walk(S("[\"a\",}"), &t, NULL), 42);
    scrub_buf_free(&t.text);
}

/* Capture the last value token's decoded pointer and length. */
struct last_value {
    const uint8_t *dec;   /* borrowed pointer as reported */
    size_t len;           /* its length */
    scrub_buf_t copy;     /* a copy of the decoded text */
    int count;            /* value tokens seen */
};

static int last_value_cb(void *ud, const scrub_json_tok_t *tok)
{
    struct last_value *lv = ud;

    if (!tok->is_key) {
        lv->dec = tok->dec;
        lv->len = tok->dec_len;
        scrub_buf_reset(&lv->copy);
        scrub_buf_append(&lv->copy, tok->dec, tok->dec_len);
        lv->count++;
    }
    return 0;
}

UT_TEST(json_in_place_decoding)
{
    static const uint8_t in[] = "{\"key\":\"value\",\"esc\":\"a\\nb\"}";
    scrub_json_t *j = scrub_json_new(0);
    struct last_value lv;

    memset(&lv, 0, sizeof(lv));
    scrub_buf_init(&lv.copy, 0);
    UT_CHECK_INT(scrub_json_walk(j, in, 14, NULL, NULL, NULL), SCRUB_EJSON);
    UT_CHECK_INT(scrub_json_walk(j, in, 15, last_value_cb, &lv, NULL), SCRUB_EJSON);
    UT_CHECK(lv.dec == in + 8);   /* "value" reported in place */
    UT_CHECK_INT(lv.len, 5);
    UT_CHECK_INT(scrub_json_walk(j, in, sizeof(in) - 1, last_value_cb, &lv, NULL), 0);
    UT_CHECK(lv.dec < in || lv.dec >= in + sizeof(in));   /* escaped: decoded copy */
    UT_CHECK_MEM(lv.copy.data, lv.copy.len, "a\nb");
    scrub_buf_free(&lv.copy);
    scrub_json_destroy(j);
}

UT_TEST(json_invalid_utf8_passthrough)
{
    struct trace t;

    trace_init(&t);
    UT_CHECK_INT(walk(S("{\"k\\u00e9\xff\":\"\xc3\x28 \xed\xa0\x80 \xf8\x80 \x80\"}"),
                      &t, NULL), 0);
    UT_CHECK_MEM(t.text.data, t.text.len,
                 "K1 k\xc3\xa9\xff - k\xc3\xa9\xff\n"
                 "V1 k\xc3\xa9\xff k\xc3\xa9\xff \xc3\x28 \xed\xa0\x80 \xf8\x80 \x80\n");
    scrub_buf_free(&t.text);
}

/* Escape s, wrap it in quotes, walk it, and compare the decoded text with want. */
static void roundtrip(const uint8_t *s, size_t n, const uint8_t *want, size_t want_len)
{
    scrub_buf_t b;
    scrub_json_t *j = scrub_json_new(0);
    struct last_value lv;

    memset(&lv, 0, sizeof(lv));
    scrub_buf_init(&lv.copy, 0);
    scrub_buf_init(&b, 0);
    UT_CHECK_INT(scrub_buf_putc(&b, '"'), 0);
    UT_CHECK_INT(scrub_json_escape(&b, s, n), 0);
    UT_CHECK_INT(scrub_buf_putc(&b, '"'), 0);
    UT_CHECK_INT(scrub_json_walk(j, b.data, b.len, last_value_cb, &lv, NULL), 0);
    UT_CHECK_INT(lv.count, 1);
    UT_CHECK(lv.copy.len == want_len
             && (want_len == 0 || memcmp(lv.copy.data, want, want_len) == 0));
    scrub_buf_free(&b);
    scrub_buf_free(&lv.copy);
    scrub_json_destroy(j);
}

UT_TEST(json_escape_output)
{
    scrub_buf_t b;

    scrub_buf_init(&b, 0);
    UT_CHECK_INT(scrub_json_escape(&b, S("a\"b\\c/\b\f\n\r\t\x01\x1f\x7f"
                                         "\xc3\xa9\xe2\x80\xa8\xe2\x80\xa9")), 0);
    UT_CHECK_MEM(b.data, b.len,
                 "a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\\u2028\\u2029");
    scrub_buf_reset(&b);
    /* Invalid UTF-8: every bad byte becomes U+FFFD; valid sequences stay. */
    UT_CHECK_INT(scrub_json_escape(&b, S("\xff\xc3\x28\xed\xa0\x80\xf0\x9f\x98\x80\xe2\x82")),
                 0);
    UT_CHECK_MEM(b.data, b.len,
                 "\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                 "\xf0\x9f\x98\x80\xef\xbf\xbd\xef\xbf\xbd");
    scrub_buf_reset(&b);
    UT_CHECK_INT(scrub_json_escape(&b, (const uint8_t *)"", 0), 0);
    UT_CHECK_INT(b.len, 0);
    scrub_buf_free(&b);

    /* On a size-limit failure the buffer is left as it was. */
    scrub_buf_init(&b, 4);
    UT_CHECK_INT(scrub_buf_append(&b, "ab", 2), 0);
    UT_CHECK_INT(scrub_json_escape(&b, S("cd\n")), SCRUB_ETOOBIG);
    UT_CHECK_MEM(b.data, b.len, "ab");
    scrub_buf_free(&b);
}

UT_TEST(json_escape_roundtrip)
{
    static const uint8_t all[] = "\x00\x01\x1f \"\\/\b\f\n\r\t\x7f"
                                 "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                                 "\xe2\x80\xa8\xe2\x80\xa9"
                                 "\xef\xbf\xbf \xf4\x8f\xbf\xbf";
    static const uint8_t bad[] = "x\xff\xc0\xafy";
    static const uint8_t bad_fixed[] = "x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdy";
    uint8_t bytes[128];
    size_t i;

    roundtrip(all, sizeof(all) - 1, all, sizeof(all) - 1);
    roundtrip((const uint8_t *)"", 0, (const uint8_t *)"", 0);
    for (i = 0; i < 128; i++) {
        bytes[i] = (uint8_t)i;
    }
    roundtrip(bytes, sizeof(bytes), bytes, sizeof(bytes));
    /* Invalid UTF-8 does not survive as-is, but the result is valid JSON. */
    roundtrip(bad, sizeof(bad) - 1, bad_fixed, sizeof(bad_fixed) - 1);
}

UT_TEST(json_looks_like)
{
    UT_CHECK_INT(scrub_json_looks_like(S("{\"a\":1}")), 1);
    UT_CHECK_INT(scrub_json_looks_like(S(" \t\r\n[1]")), 1);
    UT_CHECK_INT(scrub_json_looks_like(S("level=info")), 0);
    UT_CHECK_INT(scrub_json_looks_like(S("   ")), 0);
    UT_CHECK_INT(scrub_json_looks_like((const uint8_t *)"", 0), 0);
    UT_CHECK_INT(scrub_json_looks_like(S("\"str\"")), 0);
}

UT_TEST(json_walker_reuse)
{
    scrub_json_t *j = scrub_json_new(0);
    struct trace t;
    size_t off = 0;

    trace_init(&t);
    /* A failed walk in the middle of a deep path leaves no state behind. */
    UT_CHECK_INT(scrub_json_walk(j, S("{\"a\":{\"b\":{\"c\":"), trace_cb, &t, &off), SCRUB_EJSON);
    UT_CHECK_INT(off, 15);
    scrub_buf_reset(&t.text);
    UT_CHECK_INT(scrub_json_walk(j, S("{\"x\":\"y\"}"), trace_cb, &t, &off), 0);
    UT_CHECK_MEM(t.text.data, t.text.len, "K1 x - x\nV1 x x y\n");
    scrub_buf_free(&t.text);
    scrub_json_destroy(j);
    scrub_json_destroy(NULL);
}
