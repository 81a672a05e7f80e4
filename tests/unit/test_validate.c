/* test_validate: unit tests for the offline validators in scrub_validate. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"
#include "scrub_validate.h"
#include "ut.h"

#include <stdint.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* Parse spec (must succeed) and run it on the C string s. */
static int vcheck(const char *spec, const char *s)
{
    scrub_validator_t v;
    char err[128];

    if (scrub_validator_parse(spec, &v, err, sizeof(err)) != 0) {
        return -1;
    }
    return scrub_validator_check(&v, (const uint8_t *) s, strlen(s));
}

/* Same with an explicit length (for NUL bytes). */
static int vcheckn(const char *spec, const void *s, size_t n)
{
    scrub_validator_t v;
    char err[128];

    if (scrub_validator_parse(spec, &v, err, sizeof(err)) != 0) {
        return -1;
    }
    return scrub_validator_check(&v, (const uint8_t *) s, n);
}

/* xorshift64: a fixed-seed generator so that the "random" strings are the
 * same on every run. */
static uint64_t rng_next(uint64_t *st)
{
    *st ^= *st << 13;
    *st ^= *st >> 7;
    *st ^= *st << 17;
    return *st;
}

static void rng_fill(uint64_t *st, const char *alphabet, char *out, size_t n)
{
    size_t a = strlen(alphabet);
    size_t i;

    for (i = 0; i < n; i++) {
        out[i] = alphabet[rng_next(st) % a];
    }
    out[n] = '\0';
}

static const char HEX[] = "0123456789abcdef";
static const char B62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Bitwise CRC-32 (no table): an independent implementation of zlib's crc32
 * to build test tokens. */
static uint32_t t_crc32(const char *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        c ^= (uint8_t) p[i];
        for (k = 0; k < 8; k++) {
            c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        }
    }
    return ~c;
}

/* prefix + 30 random base62 + base62(crc32) into out (41 bytes). */
static void make_token(uint64_t *st, const char *prefix, char *out)
{
    uint32_t crc;
    int i;

    memcpy(out, prefix, 4);
    rng_fill(st, B62, out + 4, 30);
    crc = t_crc32(out + 4, 30);
    for (i = 39; i >= 34; i--) {
        out[i] = B62[crc % 62];
        crc /= 62;
    }
    out[40] = '\0';
}

/* bech32 (BIP-173) polymod, for building test keys. */
static uint32_t t_polymod(const uint8_t *v, size_t n)
{
    static const uint32_t gen[5] = {0x3b6a57b2u, 0x26508e6du, 0x1ea119fau, 0x3d4233ddu,
                                    0x2a1462b3u};
    uint32_t chk = 1;
    size_t i;
    int k;

    for (i = 0; i < n; i++) {
        uint32_t top = chk >> 25;
        chk = ((chk & 0x1ffffffu) << 5) ^ v[i];
        for (k = 0; k < 5; k++) {
            if ((top >> k) & 1u) {
                chk ^= gen[k];
            }
        }
    }
    return chk;
}

static const char BECH32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* Expand hrp + values for the polymod; returns the count. */
static size_t t_expand(const char *hrp, const uint8_t *data, size_t nd, uint8_t *out)
{
    size_t h = strlen(hrp);
    size_t i;
    size_t k = 0;

    for (i = 0; i < h; i++) {
        out[k++] = (uint8_t) ((uint8_t) hrp[i] >> 5);
    }
    out[k++] = 0;
    for (i = 0; i < h; i++) {
        out[k++] = (uint8_t) (hrp[i] & 31);
    }
    for (i = 0; i < nd; i++) {
        out[k++] = data[i];
    }
    return k;
}

/* A full bech32 string is valid (lower case only, for the BIP vectors). */
static int t_bech32_valid(const char *s)
{
    const char *sep = strrchr(s, '1');
    uint8_t data[100];
    uint8_t buf[200];
    char hrp[100];
    size_t nd = 0;
    const char *p;

    if (sep == NULL) {
        return 0;
    }
    memcpy(hrp, s, (size_t) (sep - s));
    hrp[sep - s] = '\0';
    for (p = sep + 1; *p != '\0'; p++) {
        data[nd++] = (uint8_t) (strchr(BECH32, *p) - BECH32);
    }
    return t_polymod(buf, t_expand(hrp, data, nd, buf)) == 1;
}

/* AGE-SECRET-KEY-1 + bech32 of 32 bytes, upper case, into out (75 bytes). */
static void make_age_key(const uint8_t key[32], char *out)
{
    uint8_t data[58];
    uint8_t buf[200];
    size_t nd = 0;
    uint32_t acc = 0;
    int bits = 0;
    size_t i;
    uint32_t mod;

    for (i = 0; i < 32; i++) {
        acc = (acc << 8) | key[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            data[nd++] = (uint8_t) ((acc >> bits) & 31u);
        }
    }
    if (bits > 0) {
        data[nd++] = (uint8_t) ((acc << (5 - bits)) & 31u);
    }
    memset(data + nd, 0, 6);
    mod = t_polymod(buf, t_expand("age-secret-key-", data, nd + 6, buf)) ^ 1u;
    for (i = 0; i < 6; i++) {
        data[nd + i] = (uint8_t) ((mod >> (5 * (5 - i))) & 31u);
    }
    strcpy(out, "AGE-SECRET-KEY-1");
    for (i = 0; i < nd + 6; i++) {
        char c = BECH32[data[i]];
        out[16 + i] = (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
    }
    out[16 + nd + 6] = '\0';
}

/* ---- parsing ------------------------------------------------------------- */

UT_TEST(validate_parse_names)
{
    static const char *const names[] = {
        "github-crc32", "npm-crc32", "jwt", "pem", "aws-key-id", "entropy", "not-placeholder",
        "luhn", "iban", "basic-auth", "ssn", "age-bech32", NULL};
    scrub_validator_t v;
    char err[128];
    int i;

    for (i = 0; names[i] != NULL; i++) {
        UT_CHECK_INT(scrub_validator_parse(names[i], &v, err, sizeof(err)), 0);
        UT_CHECK(strcmp(scrub_validator_name(&v), names[i]) == 0);
        UT_CHECK_INT(v.has_arg, 0);
    }
    UT_CHECK_INT(scrub_validator_parse("entropy(3.5)", &v, err, sizeof(err)), 0);
    UT_CHECK_INT(v.kind, SCRUB_VAL_ENTROPY);
    UT_CHECK_INT(v.has_arg, 1);
    UT_CHECK(v.arg > 3.4999 && v.arg < 3.5001);
    UT_CHECK_INT(scrub_validator_parse("  entropy ( 4 )  ", &v, err, sizeof(err)), 0);
    UT_CHECK(v.arg > 3.9999 && v.arg < 4.0001);
    UT_CHECK_INT(scrub_validator_parse("min-length(12)", &v, err, sizeof(err)), 0);
    UT_CHECK_INT(v.kind, SCRUB_VAL_MIN_LENGTH);
    UT_CHECK(strcmp(scrub_validator_name(&v), "min-length") == 0);
    UT_CHECK(v.arg > 11.999 && v.arg < 12.001);
}

UT_TEST(validate_parse_errors)
{
    scrub_validator_t v;
    scrub_validator_t before;
    char err[128];

    memset(&v, 0, sizeof(v));
    before = v;
    UT_CHECK_INT(scrub_validator_parse("luhnn", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "luhnn") != NULL);
    UT_CHECK(strstr(err, "unknown") != NULL);
    UT_CHECK(memcmp(&v, &before, sizeof(v)) == 0);

    UT_CHECK_INT(scrub_validator_parse("", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse("Luhn", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "Luhn") != NULL);

    UT_CHECK_INT(scrub_validator_parse("entropy(abc)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "entropy") != NULL);
    UT_CHECK_INT(scrub_validator_parse("entropy(9)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "entropy") != NULL);
    UT_CHECK_INT(scrub_validator_parse("entropy(0)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse("entropy(-1)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse("entropy(1e1)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse("entropy(3.)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse("entropy(3.5", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "entropy") != NULL);
    UT_CHECK_INT(scrub_validator_parse("entropy()", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse("entropy(3.5)x", &v, err, sizeof(err)), SCRUB_ECONFIG);

    UT_CHECK_INT(scrub_validator_parse("min-length", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "min-length") != NULL);
    UT_CHECK_INT(scrub_validator_parse("min-length(0)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse("min-length(1.5)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "min-length") != NULL);
    UT_CHECK_INT(scrub_validator_parse("luhn(3)", &v, err, sizeof(err)), SCRUB_ECONFIG);
    UT_CHECK(strstr(err, "luhn") != NULL);
    UT_CHECK(strstr(err, "argument") != NULL);
    UT_CHECK(memcmp(&v, &before, sizeof(v)) == 0);

    /* a long unknown name is cut, and a tiny errstr is still terminated */
    UT_CHECK_INT(scrub_validator_parse("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                                       &v, err, sizeof(err)),
                 SCRUB_ECONFIG);
    UT_CHECK(strlen(err) < sizeof(err));
    UT_CHECK_INT(scrub_validator_parse("nope", &v, err, 4), SCRUB_ECONFIG);
    UT_CHECK(strlen(err) == 3);
    UT_CHECK_INT(scrub_validator_parse("nope", &v, NULL, 0), SCRUB_ECONFIG);
    UT_CHECK_INT(scrub_validator_parse(NULL, &v, err, sizeof(err)), SCRUB_EINVAL);
    UT_CHECK_INT(scrub_validator_parse("luhn", NULL, err, sizeof(err)), SCRUB_EINVAL);
}

UT_TEST(validate_unset_kind_keeps)
{
    scrub_validator_t v;

    memset(&v, 0, sizeof(v));
    UT_CHECK_INT(scrub_validator_check(&v, (const uint8_t *) "x", 1), 1);
    UT_CHECK_INT(scrub_validator_check(NULL, (const uint8_t *) "x", 1), 1);
    UT_CHECK(strcmp(scrub_validator_name(&v), "unknown") == 0);
    UT_CHECK(strcmp(scrub_validator_name(NULL), "unknown") == 0);
    v.kind = 999;
    UT_CHECK_INT(scrub_validator_check(&v, (const uint8_t *) "x", 1), 1);
    /* NULL with n == 0 is an empty value */
    UT_CHECK_INT(vcheckn("luhn", NULL, 0), 0);
    UT_CHECK_INT(vcheckn("not-placeholder", NULL, 0), 0);
}

/* ---- helpers exported to other modules ----------------------------------- */

UT_TEST(validate_base64_decode)
{
    uint8_t out[64];
    long n;

    n = scrub_base64_decode((const uint8_t *) "QWxhZGRpbjpvcGVuIHNlc2FtZQ==", 28, out, sizeof(out));
    UT_CHECK_MEM(out, n < 0 ? 0 : (size_t) n, "Aladdin:open sesame");
    n = scrub_base64_decode((const uint8_t *) "QWxhZGRpbjpvcGVuIHNlc2FtZQ", 26, out, sizeof(out));
    UT_CHECK_MEM(out, n < 0 ? 0 : (size_t) n, "Aladdin:open sesame");
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "", 0, NULL, 0), 0);
    n = scrub_base64_decode((const uint8_t *) "QQ==", 4, out, sizeof(out));
    UT_CHECK_MEM(out, n < 0 ? 0 : (size_t) n, "A");
    n = scrub_base64_decode((const uint8_t *) "QUI=", 4, out, sizeof(out));
    UT_CHECK_MEM(out, n < 0 ? 0 : (size_t) n, "AB");
    /* url-safe: 0xfb 0xff 0xbf is "-_-_" in base64url, "+/+/" in standard */
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "-_-_", 4, out, sizeof(out)), 3);
    UT_CHECK(out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "+/+/", 4, out, sizeof(out)), 3);
    UT_CHECK(out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf);
    /* not base64 */
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "+/-_", 4, out, sizeof(out)), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QUJDR", 5, out, sizeof(out)), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QQ=", 3, out, sizeof(out)), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QUI==", 5, out, sizeof(out)), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QUJD====", 8, out, sizeof(out)), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "Q=I=", 4, out, sizeof(out)), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QU JD", 5, out, sizeof(out)), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QU\0D", 4, out, sizeof(out)), -1);
    /* output too small */
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QUJD", 4, out, 2), -1);
    UT_CHECK_INT(scrub_base64_decode((const uint8_t *) "QUJD", 4, out, 3), 3);
}

UT_TEST(validate_shannon_entropy)
{
    uint8_t all[256];
    double h;
    int i;

    for (i = 0; i < 256; i++) {
        all[i] = (uint8_t) i;
    }
    UT_CHECK(scrub_shannon_entropy(NULL, 0) == 0.0);
    UT_CHECK(scrub_shannon_entropy((const uint8_t *) "aaaa", 4) == 0.0);
    h = scrub_shannon_entropy((const uint8_t *) "abcd", 4);
    UT_CHECK(h > 2.0 - 1e-12 && h < 2.0 + 1e-12);
    h = scrub_shannon_entropy((const uint8_t *) "aabb", 4);
    UT_CHECK(h > 1.0 - 1e-12 && h < 1.0 + 1e-12);
    h = scrub_shannon_entropy(all, 256);
    UT_CHECK(h > 8.0 - 1e-12 && h < 8.0 + 1e-12);
    {
        /* every byte value, then more: the distinct-byte list is full before
         * the end (the ASan run checks its bounds); counts are cleared after */
        uint8_t twice[512];
        for (i = 0; i < 512; i++) {
            twice[i] = (uint8_t) i;
        }
        h = scrub_shannon_entropy(twice, 512);
        UT_CHECK(h > 8.0 - 1e-12 && h < 8.0 + 1e-12);
        h = scrub_shannon_entropy(twice, 257);
        UT_CHECK(h > 7.99 && h < 8.0); /* 255 bytes once, one twice */
        h = scrub_shannon_entropy((const uint8_t *) "aabb", 4);
        UT_CHECK(h > 1.0 - 1e-12 && h < 1.0 + 1e-12);
    }
    /* p = 1/4, 3/4: H = 0.811278124459... */
    h = scrub_shannon_entropy((const uint8_t *) "abbb", 4);
    UT_CHECK(h > 0.8112781244 && h < 0.8112781245);
    /* 3 symbols evenly: log2(3) = 1.584962500721... */
    h = scrub_shannon_entropy((const uint8_t *) "a\0ca\0c", 6);
    UT_CHECK(h > 1.5849625007 && h < 1.5849625008);
}

/* ---- CRC-32 tokens -------------------------------------------------------- */

UT_TEST(validate_github_crc32)
{
    static const char *const prefixes[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"};
    uint64_t st = 0x1234567887654321ull;
    char tok[41];
    char bad[41];
    int i;
    int j;

    for (i = 0; i < 5; i++) {
        for (j = 0; j < 20; j++) {
            make_token(&st, prefixes[i], tok);
            UT_CHECK_INT(vcheck("github-crc32", tok), 1);
            UT_CHECK_INT(vcheck("npm-crc32", tok), 0);
            /* one changed character in the random part or in the tail */
            strcpy(bad, tok);
            bad[4 + j] = bad[4 + j] == 'a' ? 'b' : 'a';
            UT_CHECK_INT(vcheck("github-crc32", bad), 0);
            strcpy(bad, tok);
            bad[39] = bad[39] == '0' ? '1' : '0';
            UT_CHECK_INT(vcheck("github-crc32", bad), 0);
        }
    }
    /* a tail that needs leading zeros is still 6 characters: brute-force a
     * body whose CRC is below 62^5 so the tail starts with '0' */
    for (i = 0; i < 200000; i++) {
        make_token(&st, "ghp_", tok);
        if (tok[34] == '0') {
            break;
        }
    }
    UT_CHECK(tok[34] == '0');
    UT_CHECK_INT(vcheck("github-crc32", tok), 1);

    make_token(&st, "ghp_", tok);
    UT_CHECK_INT(vcheckn("github-crc32", tok, 39), 0);
    UT_CHECK_INT(vcheckn("github-crc32", tok + 4, 36), 0);
    memcpy(bad, tok, 41);
    memcpy(bad, "ghx_", 4);
    UT_CHECK_INT(vcheck("github-crc32", bad), 0);
    memcpy(bad, tok, 41);
    bad[10] = '-';
    UT_CHECK_INT(vcheck("github-crc32", bad), 0);
    UT_CHECK_INT(vcheck("github-crc32", ""), 0);
}

UT_TEST(validate_npm_crc32)
{
    uint64_t st = 42;
    char tok[41];
    char bad[41];
    int j;

    for (j = 0; j < 30; j++) {
        make_token(&st, "npm_", tok);
        UT_CHECK_INT(vcheck("npm-crc32", tok), 1);
        UT_CHECK_INT(vcheck("github-crc32", tok), 0);
        strcpy(bad, tok);
        bad[4 + j] = bad[4 + j] == 'Z' ? 'Y' : 'Z';
        UT_CHECK_INT(vcheck("npm-crc32", bad), 0);
    }
    memcpy(bad, tok, 41);
    memcpy(bad, "NPM_", 4);
    UT_CHECK_INT(vcheck("npm-crc32", bad), 0);
}

/* ---- JWT ------------------------------------------------------------------ */

#define JWT_IO                                                                                    \
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaW" \
    "F0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"

UT_TEST(validate_jwt)
{
    uint64_t st = 7;
    char a[40];
    char b[80];
    char c[50];
    char tok[200];
    int i;

    UT_CHECK_INT(vcheck("jwt", JWT_IO), 1);
    /* alg none: empty signature allowed */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."), 1);
    /* HS256 with an empty signature is not a JWT */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0."), 0);
    /* JWE: five segments, RFC 7516 header */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZ"
                               "cgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr"
                               ".48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_E"
                               "FShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ"),
                 1);
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b..c"), 0);
    /* a segment of 4k+1 characters cannot be base64 */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13.48V1_ALb6US0"
                               "4U3b.5eym8TW_c8SuK0lt.XFBoMYUZodetZdvTiFvSkQ"),
                 0);
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ..48V1_ALb6US0"
                               "4U3b.5eym8TW_c8SuK0lt.XFBoMYUZodetZdvTiFvSkQ"),
                 1); /* alg "dir": empty encrypted key */
    /* header tricks */
    UT_CHECK_INT(vcheck("jwt", "eyJfoo.bar.baz"), 0);
    UT_CHECK_INT(vcheck("jwt", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"), 0);          /* no alg */
    UT_CHECK_INT(vcheck("jwt", "eyJ4Ijp7ImFsZyI6IkhTMjU2In19.eyJzdWIiOiIxIn0.c2ln"), 0); /* nested */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOjI1Nn0.eyJzdWIiOiIxIn0.c2ln"), 0);             /* number */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJIUzI1NiIsfQ.eyJzdWIiOiIxIn0.c2ln"), 0);      /* ,} */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJIUzI1NiJ9IHg.eyJzdWIiOiIxIn0.c2ln"), 0);     /* } x */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJIUzI1NiI.eyJzdWIiOiIxIn0.c2ln"), 0);         /* open */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJIUzI1NiIsImtpZCI6WzEseyJhIjoifSJ9XSwibiI6bnVsbH0."
                               "eyJzdWIiOiIxIn0.c2ln"),
                 1); /* nested array, "}" inside a string, null */
    /* payload must be an object */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.WzEsMl0.c2ln"), 0);
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..c2ln"), 0);
    /* segment shapes */
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJub25lIn0=.eyJzdWIiOiIxIn0."), 0);
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.a+b"), 0);
    UT_CHECK_INT(vcheck("jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0"), 0);
    UT_CHECK_INT(vcheck("jwt", JWT_IO "."), 0);
    UT_CHECK_INT(vcheck("jwt", "......"), 0);
    UT_CHECK_INT(vcheck("jwt", ""), 0);
    /* three random base64url segments */
    for (i = 0; i < 200; i++) {
        rng_fill(&st, B62, a, 36);
        rng_fill(&st, B62, b, 70);
        rng_fill(&st, B62, c, 43);
        snprintf(tok, sizeof(tok), "%s.%s.%s", a, b, c);
        UT_CHECK_INT(vcheck("jwt", tok), 0);
        /* even with the eyJ prefix a JSON header is needed */
        tok[0] = 'e';
        tok[1] = 'y';
        tok[2] = 'J';
        UT_CHECK_INT(vcheck("jwt", tok), 0);
    }
}

/* ---- PEM ------------------------------------------------------------------ */

#define PEM_L1 "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
#define PEM_L2 "MZEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu"
#define PEM_L3 "NMoSfm76oqFvAp8Gy0iz5sxjZmSnXyCdPEovGhLa0VzMaQ8s+CLOyS56YyCFGeJZ"
#define PEM_L4 "AgMBAAE="

UT_TEST(validate_pem)
{
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY-----\n" PEM_L1 "\n" PEM_L2 "\n" PEM_L3 "\n" PEM_L4
                               "\n-----END PRIVATE KEY-----\n"),
                 1);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN RSA PRIVATE KEY-----\r\n" PEM_L1 "\r\n" PEM_L2
                               "\r\n-----END RSA PRIVATE KEY-----"),
                 1);
    /* joined with literal \n escapes (JSON logs), a JSON-escaped slash */
    UT_CHECK_INT(vcheck("pem", "-----BEGIN EC PRIVATE KEY-----\\n" PEM_L1 "\\nMZEfYyjiWA4R4\\/M2bS1G"
                               "B4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\\n-----END EC PRIVATE KEY-----"),
                 1);
    /* joined with spaces */
    UT_CHECK_INT(vcheck("pem", "-----BEGIN OPENSSH PRIVATE KEY----- " PEM_L1 " " PEM_L4
                               " -----END OPENSSH PRIVATE KEY-----"),
                 1);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----" PEM_L1 PEM_L2
                               "-----END ENCRYPTED PRIVATE KEY-----"),
                 1);
    /* legacy encrypted PEM with header lines */
    UT_CHECK_INT(vcheck("pem", "-----BEGIN DSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                               "DEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n" PEM_L1 "\n" PEM_L2
                               "\n-----END DSA PRIVATE KEY-----"),
                 1);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n" PEM_L1
                               "\n" PEM_L2 "\n=nX3b\n-----END PGP PRIVATE KEY BLOCK-----"),
                 1);
    /* truncated: BEGIN + at least 64 base64 characters, no (or a cut) END */
    UT_CHECK_INT(vcheck("pem", "-----BEGIN RSA PRIVATE KEY-----\\n" PEM_L1 "\\n" PEM_L2), 1);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN RSA PRIVATE KEY-----\n" PEM_L1 "\n-----END RSA PRI"), 1);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAA"), 0);

    /* not private keys */
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PUBLIC KEY-----\n" PEM_L1 "\n" PEM_L2
                               "\n-----END PUBLIC KEY-----"),
                 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN CERTIFICATE-----\n" PEM_L1 "\n" PEM_L2
                               "\n-----END CERTIFICATE-----"),
                 0);
    /* mismatched footer, short body, placeholder body, junk in the body */
    UT_CHECK_INT(vcheck("pem", "-----BEGIN RSA PRIVATE KEY-----\n" PEM_L1 "\n" PEM_L2
                               "\n-----END EC PRIVATE KEY-----"),
                 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY-----\n" PEM_L4 "\n-----END PRIVATE KEY-----"), 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
                               "-----END PRIVATE KEY-----"),
                 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----"), 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----"),
                 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY-----\n" PEM_L1 "\n...\n" PEM_L2
                               "\n-----END PRIVATE KEY-----"),
                 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY-----"), 0);
    UT_CHECK_INT(vcheck("pem", "-----BEGIN PRIVATE KEY----"), 0);
    UT_CHECK_INT(vcheck("pem", "BEGIN PRIVATE KEY " PEM_L1 PEM_L2), 0);
    UT_CHECK_INT(vcheck("pem", ""), 0);
}

/* ---- AWS ------------------------------------------------------------------ */

UT_TEST(validate_aws_key_id)
{
    UT_CHECK_INT(vcheck("aws-key-id", "AKIAQYLPMN5HHHFPZAM2"), 1);
    UT_CHECK_INT(vcheck("aws-key-id", "ASIAY34FZKBOKMUTVV7A"), 1);
    UT_CHECK_INT(vcheck("aws-key-id", "ABIAZZZZZZZZZZZZ2345"), 1);
    UT_CHECK_INT(vcheck("aws-key-id", "ACCAABCDEFGHIJKLMNOP"), 1);
    UT_CHECK_INT(vcheck("aws-key-id", "A3T7ABCDEFGHIJKLMNOP"), 1);
    UT_CHECK_INT(vcheck("aws-key-id", "A3TXABCDEFGHIJKLMNOP"), 1);
    /* the documentation key */
    UT_CHECK_INT(vcheck("aws-key-id", "AKIAIOSFODNN7EXAMPLE"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "ASIAIOSFODNN7EXAMPLE"), 0);
    /* 0, 1, 8, 9 are not base32 */
    UT_CHECK_INT(vcheck("aws-key-id", "AKIAQYLPMN5HHHFPZAM0"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "AKIAQYLPMN1HHHFPZAM2"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "AKIAQYLPMN8HHHFPZAM2"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "AKIA9YLPMN5HHHFPZAM2"), 0);
    /* prefix, case, length, NUL */
    UT_CHECK_INT(vcheck("aws-key-id", "AKIBQYLPMN5HHHFPZAM2"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "A3T-ABCDEFGHIJKLMNOP"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "akiaqylpmn5hhhfpzam2"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "AKIAQYLPMN5HHHFPZAM"), 0);
    UT_CHECK_INT(vcheck("aws-key-id", "AKIAQYLPMN5HHHFPZAM22"), 0);
    UT_CHECK_INT(vcheckn("aws-key-id", "AKIAQYLPMN5HHHFP\0AM2", 20), 0);
}

/* ---- entropy -------------------------------------------------------------- */

UT_TEST(validate_entropy_rejects_weak)
{
    static const char *const weak[] = {
        "changeme", "password123", "aaaaaaaa", "abcdef123456", "${DB_PASSWORD}", "<redacted>",
        "****", "information", "configuration", "administrator", "correcthorsebatterystaple",
        "correct horse battery staple", "Summer2024!", "hunter22", "letmein123", "qwertyuiop",
        "1234567890", "9876543210", "abcdefgh", "ZYXWVUTS", "my_secret_value", "dbPassword",
        "myApiKeyValue", "TODO_REPLACE_ME", "xxxxxxxxxxxx", "deadbeefdeadbeef", "aaaabbbbccccdddd",
        "abababababab", "ab12ab12ab12ab12", "{{ .Values.apiKey }}", "%API_TOKEN%", "$API_TOKEN",
        "[REDACTED]", "your_api_key_here", "AKIAIOSFODNN7EXAMPLE", "short", "", NULL};
    int i;

    for (i = 0; weak[i] != NULL; i++) {
        int r = vcheck("entropy", weak[i]);
        if (r != 0) {
            fprintf(stderr, "  entropy kept weak value #%d\n", i);
        }
        UT_CHECK_INT(r, 0);
    }
}

UT_TEST(validate_entropy_keeps_random)
{
    uint64_t st = 0x9e3779b97f4a7c15ull;
    char buf[128];
    int i;
    int kept_hex = 0;
    int kept_b62 = 0;
    int kept_b62_32 = 0;
    int kept_b64 = 0;
    int kept_hex_up = 0;

    for (i = 0; i < 2000; i++) {
        rng_fill(&st, HEX, buf, 32);
        kept_hex += vcheck("entropy", buf);
        rng_fill(&st, "0123456789ABCDEF", buf, 40);
        kept_hex_up += vcheck("entropy", buf);
        rng_fill(&st, B62, buf, 20);
        kept_b62 += vcheck("entropy", buf);
        rng_fill(&st, B62, buf, 32);
        kept_b62_32 += vcheck("entropy", buf);
        rng_fill(&st, B64, buf, 40);
        kept_b64 += vcheck("entropy", buf);
    }
    UT_CHECK_INT(kept_hex, 2000);
    UT_CHECK_INT(kept_hex_up, 2000);
    UT_CHECK_INT(kept_b62, 2000);
    UT_CHECK_INT(kept_b62_32, 2000);
    UT_CHECK_INT(kept_b64, 2000);

    /* real-format samples */
    UT_CHECK_INT(vcheck("entropy", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"), 0); /* EXAMPLE */
    UT_CHECK_INT(vcheck("entropy", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ3b9PLEKEY"), 1);
    UT_CHECK_INT(vcheck("entropy", "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTA="), 1);
    UT_CHECK_INT(vcheck("entropy", JWT_IO), 1);
    UT_CHECK_INT(vcheck("entropy", "k7#Qp!2vZ@x9$Lm&"), 1);
}

UT_TEST(validate_entropy_explicit_threshold)
{
    uint64_t st = 99;
    char buf[64];

    /* raw bits per char: "password123" has 3.28 bits/char */
    UT_CHECK_INT(vcheck("entropy(3.0)", "password123"), 1);
    UT_CHECK_INT(vcheck("entropy(3.5)", "password123"), 0);
    UT_CHECK_INT(vcheck("entropy(1.5)", "aabbccdd"), 1);
    UT_CHECK_INT(vcheck("entropy(2.5)", "aabbccdd"), 0);
    /* the hygiene checks still apply */
    UT_CHECK_INT(vcheck("entropy(0.5)", "abcdefghij"), 0);
    UT_CHECK_INT(vcheck("entropy(0.5)", "zzzzzzzzzz"), 0);
    UT_CHECK_INT(vcheck("entropy(0.5)", "k7#Qp!2"), 0);
    rng_fill(&st, B62, buf, 40);
    UT_CHECK_INT(vcheck("entropy(4.5)", buf), 1);
    /* binary data with NUL bytes is measured by length */
    UT_CHECK_INT(vcheckn("entropy(2.0)", "a\0b\0c\0d\0e\0f\0", 12), 1);
    UT_CHECK_INT(vcheckn("entropy(2.0)", "a\0a\0a\0a\0a\0a\0", 12), 0);
}

/* ---- placeholders --------------------------------------------------------- */

UT_TEST(validate_not_placeholder)
{
    static const char *const ph[] = {
        "true", "FALSE", "null", "None", "nil", "undefined", "<redacted>", "<your api key>",
        "<API_KEY>", "${DB_PASSWORD}", "${DB_PASSWORD:-x}", "$(cat /run/secrets/db)",
        "{{ .Values.token }}", "%API_KEY%", "$API_KEY", "****", "********", "xxxxxxxx", "XXXX",
        "sk-****abcd", "[REDACTED]", "[redacted:aws-key]", "[FILTERED]", "REDACTED",
        "***REDACTED***", "changeme", "CHANGEME", "example", "your_api_key", "YOUR-TOKEN",
        "token_goes_here", "dummy", "Test", "secret", "PASSWORD", "AKIAIOSFODNN7EXAMPLE",
        "\"changeme\"", "''", "", "k7Qp2vZx9LmRedacteD", "rRr-R-redacted", "k7Qp2vZx9Lm****",
        "REDACTEDk7Qp2vZx9Lm", "k7Qp2vZx9LmEXAMPLE", NULL};
    static const char *const real[] = {
        JWT_IO, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ3b9PLEKEY", "AKIAQYLPMN5HHHFPZAM2",
        "hunter2", "k7#Qp!2vZ@x9$Lm&", "<k7#Qp!2vZ@x9$Lm&>", "a*b*c*d*", "testing123",
        "secret-sauce-42", "p4ssw0rd", "example.com", "k7Qp2vZx9Lm***", "k7Qp2vZx9LmREDACTE",
        "rRrRedacte9xQ", "k7Qp2vZx9LmEXAMPL", "k7Qp2vZx9Lmexample", NULL};
    uint64_t st = 5;
    char buf[64];
    int i;

    for (i = 0; ph[i] != NULL; i++) {
        int r = vcheck("not-placeholder", ph[i]);
        if (r != 0) {
            fprintf(stderr, "  not-placeholder kept placeholder #%d\n", i);
        }
        UT_CHECK_INT(r, 0);
    }
    for (i = 0; real[i] != NULL; i++) {
        int r = vcheck("not-placeholder", real[i]);
        if (r != 1) {
            fprintf(stderr, "  not-placeholder rejected value #%d\n", i);
        }
        UT_CHECK_INT(r, 1);
    }
    for (i = 0; i < 2000; i++) {
        char pr[96];
        int k;
        for (k = 0; k < 95; k++) {
            pr[k] = (char) (0x20 + k);
        }
        pr[95] = '\0';
        rng_fill(&st, B62, buf, 24);
        UT_CHECK_INT(vcheck("not-placeholder", buf), 1);
        rng_fill(&st, pr, buf, 24);
        UT_CHECK_INT(vcheck("not-placeholder", buf), 1);
    }
}

/* ---- Luhn, IBAN, SSN ------------------------------------------------------ */

UT_TEST(validate_luhn)
{
    UT_CHECK_INT(vcheck("luhn", "4111111111111111"), 1);
    UT_CHECK_INT(vcheck("luhn", "4111111111111112"), 0);
    UT_CHECK_INT(vcheck("luhn", "4111 1111 1111 1111"), 1);
    UT_CHECK_INT(vcheck("luhn", "4111-1111-1111-1111"), 1);
    UT_CHECK_INT(vcheck("luhn", "378282246310005"), 1);      /* Amex, 15 */
    UT_CHECK_INT(vcheck("luhn", "3782 822463 10005"), 1);
    UT_CHECK_INT(vcheck("luhn", "6011111111111117"), 1);
    UT_CHECK_INT(vcheck("luhn", "4222222222222"), 1);        /* 13 digits */
    UT_CHECK_INT(vcheck("luhn", "4111 1111-1111 1111"), 0);  /* mixed separators */
    UT_CHECK_INT(vcheck("luhn", "4111  1111 1111 1111"), 0); /* doubled */
    UT_CHECK_INT(vcheck("luhn", " 4111111111111111"), 0);
    UT_CHECK_INT(vcheck("luhn", "4111111111111111-"), 0);
    UT_CHECK_INT(vcheck("luhn", "4111.1111.1111.1111"), 0);
    UT_CHECK_INT(vcheck("luhn", "411111111111"), 0);         /* 12 digits */
    UT_CHECK_INT(vcheck("luhn", "41111111111111111113"), 0); /* 20 digits */
    UT_CHECK_INT(vcheck("luhn", "0000000000000000"), 0);
    UT_CHECK_INT(vcheck("luhn", "4111111111111a11"), 0);
    UT_CHECK_INT(vcheckn("luhn", "41111111\0" "1111111", 16), 0);
    UT_CHECK_INT(vcheck("luhn", ""), 0);
}

UT_TEST(validate_iban)
{
    UT_CHECK_INT(vcheck("iban", "GB82WEST12345698765432"), 1);
    UT_CHECK_INT(vcheck("iban", "DE89370400440532013000"), 1);
    UT_CHECK_INT(vcheck("iban", "GB82 WEST 1234 5698 7654 32"), 1);
    UT_CHECK_INT(vcheck("iban", "de89 3704 0044 0532 0130 00"), 1);
    UT_CHECK_INT(vcheck("iban", "NL91ABNA0417164300"), 1);
    UT_CHECK_INT(vcheck("iban", "FR1420041010050500013M02606"), 1);
    UT_CHECK_INT(vcheck("iban", "NO9386011117947"), 1);
    UT_CHECK_INT(vcheck("iban", "BE68539007547034"), 1);
    UT_CHECK_INT(vcheck("iban", "MT84MALT011000012345MTLCAST001S"), 1);
    /* one digit changed */
    UT_CHECK_INT(vcheck("iban", "GB82WEST12345698765433"), 0);
    UT_CHECK_INT(vcheck("iban", "DE89370400440532013001"), 0);
    UT_CHECK_INT(vcheck("iban", "DE88370400440532013000"), 0);
    /* wrong length for the country, unknown country */
    UT_CHECK_INT(vcheck("iban", "DE8937040044053201300"), 0);
    UT_CHECK_INT(vcheck("iban", "DE893704004405320130000"), 0);
    UT_CHECK_INT(vcheck("iban", "GB82WEST1234569876543"), 0);
    UT_CHECK_INT(vcheck("iban", "ZZ82WEST12345698765432"), 0);
    /* check digits 00/01/99 never occur; bad characters */
    UT_CHECK_INT(vcheck("iban", "GB00WEST12345698765432"), 0);
    UT_CHECK_INT(vcheck("iban", "GB99WEST12345698765432"), 0);
    UT_CHECK_INT(vcheck("iban", "GB82-WEST-1234-5698-7654-32"), 0);
    UT_CHECK_INT(vcheck("iban", "GB82WEST1234569876543200000000000000000"), 0);
    UT_CHECK_INT(vcheck("iban", ""), 0);
}

UT_TEST(validate_ssn)
{
    UT_CHECK_INT(vcheck("ssn", "536-22-1234"), 1);
    UT_CHECK_INT(vcheck("ssn", "536221234"), 1);
    UT_CHECK_INT(vcheck("ssn", "536 22 1234"), 1);
    UT_CHECK_INT(vcheck("ssn", "536.22.1234"), 1);
    UT_CHECK_INT(vcheck("ssn", "536-22 1234"), 0); /* inconsistent */
    UT_CHECK_INT(vcheck("ssn", "536/22/1234"), 0);
    UT_CHECK_INT(vcheck("ssn", "000-12-3456"), 0);
    UT_CHECK_INT(vcheck("ssn", "666-12-3456"), 0);
    UT_CHECK_INT(vcheck("ssn", "900-12-3456"), 0);
    UT_CHECK_INT(vcheck("ssn", "987-65-4321"), 0);
    UT_CHECK_INT(vcheck("ssn", "536-00-1234"), 0);
    UT_CHECK_INT(vcheck("ssn", "536-22-0000"), 0);
    UT_CHECK_INT(vcheck("ssn", "111-11-1111"), 0);
    UT_CHECK_INT(vcheck("ssn", "555555555"), 0);
    UT_CHECK_INT(vcheck("ssn", "078-05-1120"), 0);
    UT_CHECK_INT(vcheck("ssn", "078051120"), 0);
    UT_CHECK_INT(vcheck("ssn", "123-45-6789"), 0);
    UT_CHECK_INT(vcheck("ssn", "53622123"), 0);
    UT_CHECK_INT(vcheck("ssn", "536-22-123a"), 0);
    UT_CHECK_INT(vcheck("ssn", "5362-2-1234"), 0);
}

/* ---- basic auth, age, min-length ------------------------------------------ */

UT_TEST(validate_basic_auth)
{
    uint64_t st = 11;
    char buf[64];
    int i;
    int kept = 0;

    UT_CHECK_INT(vcheck("basic-auth", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), 1);
    UT_CHECK_INT(vcheck("basic-auth", "QWxhZGRpbjpvcGVuIHNlc2FtZQ"), 1);
    UT_CHECK_INT(vcheck("basic-auth", "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), 1);
    UT_CHECK_INT(vcheck("basic-auth", "OnB3"), 1);                     /* ":pw" */
    UT_CHECK_INT(vcheck("basic-auth", "bm9jb2xvbg=="), 0);             /* "nocolon" */
    UT_CHECK_INT(vcheck("basic-auth", "dXNlcjo="), 0);                 /* "user:" */
    UT_CHECK_INT(vcheck("basic-auth", "dXMBZXI6cHc="), 0);             /* control byte */
    UT_CHECK_INT(vcheck("basic-auth", "QWxhZGRpbjpvcGVuIHNlc2FtZQ="), 0); /* bad padding */
    UT_CHECK_INT(vcheck("basic-auth", "QWxhZGRpbjpvcGVuIHNlc2FtZQ==="), 0);
    UT_CHECK_INT(vcheck("basic-auth", "QWxhZGRp bjpvcGVuIHNlc2FtZQ=="), 0);
    UT_CHECK_INT(vcheck("basic-auth", "Basic "), 0);
    UT_CHECK_INT(vcheck("basic-auth", ""), 0);
    for (i = 0; i < 500; i++) {
        rng_fill(&st, B64, buf, 32);
        kept += vcheck("basic-auth", buf);
    }
    UT_CHECK_INT(kept, 0);
}

UT_TEST(validate_age_bech32)
{
    uint8_t key[32];
    char k[80];
    char bad[80];
    size_t i;

    /* the test's own bech32 code against BIP-173 vectors first */
    UT_CHECK(t_bech32_valid("a12uel5l"));
    UT_CHECK(t_bech32_valid("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"));
    UT_CHECK(!t_bech32_valid("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx"));

    for (i = 0; i < 32; i++) {
        key[i] = (uint8_t) (i * 37 + 11);
    }
    make_age_key(key, k);
    UT_CHECK_INT((long) strlen(k), 74);
    UT_CHECK_INT(vcheck("age-bech32", k), 1);
    for (i = 0; k[i] != '\0'; i++) {
        bad[i] = (k[i] >= 'A' && k[i] <= 'Z') ? (char) (k[i] - 'A' + 'a') : k[i];
    }
    bad[i] = '\0';
    UT_CHECK_INT(vcheck("age-bech32", bad), 1); /* all lower case */
    bad[3] = 'E';
    UT_CHECK_INT(vcheck("age-bech32", bad), 0); /* mixed case */
    for (i = 16; i < 74; i += 7) {
        strcpy(bad, k);
        bad[i] = bad[i] == 'Q' ? 'P' : 'Q';
        UT_CHECK_INT(vcheck("age-bech32", bad), 0);
    }
    strcpy(bad, k);
    bad[20] = 'B'; /* 'b' is not in the bech32 alphabet */
    UT_CHECK_INT(vcheck("age-bech32", bad), 0);
    strcpy(bad, k);
    memcpy(bad, "AGE-SECRET-KEX-1", 16);
    UT_CHECK_INT(vcheck("age-bech32", bad), 0);
    UT_CHECK_INT(vcheckn("age-bech32", k, 73), 0);
    UT_CHECK_INT(vcheck("age-bech32", "AGE-SECRET-KEY-1"), 0);
}

UT_TEST(validate_min_length)
{
    UT_CHECK_INT(vcheck("min-length(12)", "12345678901"), 0);
    UT_CHECK_INT(vcheck("min-length(12)", "123456789012"), 1);
    UT_CHECK_INT(vcheckn("min-length(3)", "\0\0\0", 3), 1);
    UT_CHECK_INT(vcheck("min-length(1)", ""), 0);
}
