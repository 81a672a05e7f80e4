/* scrub_validate: offline validators that confirm or cancel a candidate secret. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_VALIDATE_H
#define SCRUB_VALIDATE_H

/*
 * A rule lists validators in YAML (`validate: [github-crc32, entropy(3.5)]`).
 * Each one is parsed once at load time into a scrub_validator_t and then run
 * on the bytes of a finding's redaction span: 1 keeps the finding, 0 cancels
 * it. Every check is pure (no global state, no I/O, no allocation), reads the
 * span by length (NUL bytes are data), runs in O(n) and never prints or
 * copies the bytes it is given anywhere but its own stack.
 *
 * Validators (YAML spelling):
 *   github-crc32     ghp_/gho_/ghu_/ghs_/ghr_ + 30 base62 + 6-char CRC-32 tail
 *   npm-crc32        npm_ + 30 base62 + 6-char CRC-32 tail
 *   jwt              compact JWS (3 segments) or JWE (5 segments) with a JSON
 *                    header holding an "alg" string
 *   pem              PEM private-key block (or its truncated head)
 *   aws-key-id       AKIA/ASIA/ABIA/ACCA/A3T? + 16 base32 chars, not *EXAMPLE
 *   entropy          charset-aware normalised Shannon entropy; entropy(x)
 *                    compares the raw entropy with x bits per character
 *   not-placeholder  rejects template and placeholder values
 *   luhn             13-19 digit card number with a valid Luhn digit
 *   iban             per-country length and ISO 7064 mod-97 check
 *   basic-auth       base64 of printable "user:password", password non-empty
 *   ssn              US social security number structure
 *   age-bech32       AGE-SECRET-KEY-1 + bech32 data with a valid checksum
 *   min-length(n)    at least n bytes
 */

#include <stddef.h>
#include <stdint.h>

/* Validator kinds; 0 is never a valid kind, so a zeroed struct is "unset". */
enum scrub_validator_kind {
    SCRUB_VAL_NONE = 0,         /* unset; check() keeps the finding */
    SCRUB_VAL_GITHUB_CRC32,     /* github-crc32 */
    SCRUB_VAL_NPM_CRC32,        /* npm-crc32 */
    SCRUB_VAL_JWT,              /* jwt */
    SCRUB_VAL_PEM,              /* pem */
    SCRUB_VAL_AWS_KEY_ID,       /* aws-key-id */
    SCRUB_VAL_ENTROPY,          /* entropy, entropy(x) */
    SCRUB_VAL_NOT_PLACEHOLDER,  /* not-placeholder */
    SCRUB_VAL_LUHN,             /* luhn */
    SCRUB_VAL_IBAN,             /* iban */
    SCRUB_VAL_BASIC_AUTH,       /* basic-auth */
    SCRUB_VAL_SSN,              /* ssn */
    SCRUB_VAL_AGE_BECH32,       /* age-bech32 */
    SCRUB_VAL_MIN_LENGTH        /* min-length(n) */
};

/* A parsed validator: plain data, copyable, immutable after parsing. */
typedef struct scrub_validator {
    int kind;       /* an enum scrub_validator_kind value */
    double arg;     /* the argument when has_arg (bits/char, or a byte count) */
    int has_arg;    /* 1 when the spec carried "(arg)" */
} scrub_validator_t;

/*
 * Parse a validator spec such as "luhn", "entropy", "entropy(3.5)" or
 * "min-length(12)". Blanks around the name and the argument are ignored.
 * Arguments are plain decimals (no sign, no exponent; parsed without the C
 * locale, so "3.5" always means three and a half). entropy takes an optional
 * threshold in (0, 8]; min-length requires an integer in [1, 1048576]; the
 * other validators take no argument.
 *
 * Returns 0 and fills *v on success. On an unknown name or a bad argument
 * returns SCRUB_ECONFIG, leaves *v unchanged and writes a short message that
 * names the validator (from the config, never log content) into errstr
 * (NUL-terminated when errstr_size > 0). SCRUB_EINVAL when spec or v is NULL.
 * Thread-safe; no allocation.
 */
int scrub_validator_parse(const char *spec, scrub_validator_t *v, char *errstr,
                          size_t errstr_size);

/*
 * Run a validator on the candidate secret s[0..n). Returns 1 to keep the
 * finding and 0 to reject (cancel) it. s may be NULL when n is 0.
 * A NULL v or an unknown kind returns 1: a broken validator must never make a
 * secret disappear (fail closed). Pure and thread-safe: no allocation, no
 * global state, O(n) time, bounded stack.
 */
int scrub_validator_check(const scrub_validator_t *v, const uint8_t *s, size_t n);

/* The YAML name of v's kind ("entropy", "min-length", ...), without the
 * argument; "unknown" for an unset or invalid kind. Never NULL, static. */
const char *scrub_validator_name(const scrub_validator_t *v);

/*
 * Decode standard (+/) or url-safe (-_) base64 into out (cap bytes). Padding
 * is optional but, when present, must be correct; whitespace is not allowed,
 * and the two alphabets may not be mixed in one input. Unused trailing bits
 * are ignored (as most decoders do). Returns the decoded length, or -1 if the
 * input is not base64 or the decoded bytes do not fit in cap. out may be NULL
 * when cap is 0. On failure out may hold partial output. Thread-safe.
 */
long scrub_base64_decode(const uint8_t *in, size_t n, uint8_t *out, size_t cap);

/* Shannon entropy of the byte distribution of s[0..n), in bits per byte
 * (0 for n == 0, at most 8). Pure, O(n), no allocation. */
double scrub_shannon_entropy(const uint8_t *s, size_t n);

#endif
