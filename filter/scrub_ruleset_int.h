/* scrub_ruleset_int: the compiled rule set's layout, shared by the core modules only. */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_RULESET_INT_H
#define SCRUB_RULESET_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "scrub.h"
#include "scrub_config.h"
#include "scrub_prefilter.h"
#include "scrub_validate.h"

/* Built-in detectors a rule can name instead of (or besides) a regex. */
typedef enum scrub_detector {
    SCRUB_DET_REGEX = 0,   /* plain PCRE2 rule */
    SCRUB_DET_LOG4SHELL,   /* the bounded log4j lookup evaluator */
    SCRUB_DET_KEY          /* key-based rule: redacts a structured value by its key */
} scrub_detector_t;

/* Record formats (config `format:`). */
typedef enum scrub_format {
    SCRUB_FMT_RAW = 0,     /* plain text lines */
    SCRUB_FMT_JSON,        /* one JSON value per line; invalid lines are scanned raw */
    SCRUB_FMT_LOGFMT,      /* key=value pairs */
    SCRUB_FMT_AUTO         /* per record: JSON, then logfmt, else raw */
} scrub_format_t;

/* One compiled rule. Strings are borrowed from the rule set's config. */
typedef struct scrub_rule {
    const scrub_rule_spec_t *spec;  /* the YAML source (id, examples, positions) */
    scrub_detector_t detector;      /* regex or built-in */
    pcre2_code *re;                 /* compiled pattern, NULL for detector-only rules */
    int jit;                        /* 1 when JIT-compiled */
    uint32_t minlen;                /* no match in a text shorter than this (PCRE2_INFO_MINLENGTH) */
    long lead;                      /* matches start at most this far before a keyword, or -1
                                     * (unknown: every start is tried); see scrub_lead.h */
    long lag;                       /* ... and at most this far after one */
    uint32_t group;                 /* capture holding the secret (0 = whole match) */
    scrub_action_t action;          /* what a finding does */
    const char *replacement;        /* template for redact/hash */
    const char *severity;           /* severity name */
    scrub_mask_spec_t mask;         /* mask parameters */
    pcre2_code **allow;             /* per-rule allow patterns */
    size_t nallow;
    scrub_validator_t *validators;  /* validators, all must pass */
    size_t nvalidators;
    char **keywords;                /* folded keywords (owned) */
    size_t nkeywords;
    char *key_id;                   /* key rules: owned id "key.<name>" */
    char *key_name;                 /* key rules: owned key name or dotted path (folded) */
    size_t key_len;                 /* key rules: strlen(key_name) */
    pcre2_code *key_re;             /* key rules: regex on the key name, or NULL */
    int key_is_path;                /* key rules: key_name is a dotted path */
} scrub_rule_t;

struct scrub_ruleset {
    int refs;                       /* reference count (atomic builtins) */
    scrub_config_t *cfg;            /* owned parsed config */
    scrub_rule_t *rules;            /* compiled rules (owned) */
    size_t nrules;
    size_t ntext;                   /* rules[0, ntext) are text rules; the rest are key rules */
    size_t nwords;                  /* 64-bit words in a rule bitset (rules + 3 trigger bits) */
    uint32_t decode_bit;            /* candidate bit: the record holds escapes to decode */
    uint32_t key_bit;               /* candidate bit: the record may hold a key-rule key */
    uint32_t b64_bit;               /* candidate bit: base64 of a secret marker seen */
    scrub_format_t format;          /* record format */
    pcre2_code **key_exempt_re;     /* regex exemptions from key rules */
    size_t nkey_exempt_re;
    size_t nkey_re;                 /* regex key rules so far (for their ids) */
    int keys_need_walk;             /* a regex key exists: every structured record is walked */
    uint64_t key_lens;              /* bit min(len, 63) set for each plain key rule's name */
    uint64_t path_lens;             /* the same for the dotted-path key rules */
    uint64_t *always;               /* rules without keywords: run on every record */
    int has_always;                 /* any bit set in always */
    scrub_prefilter_t *pf;          /* keyword automaton */
    pcre2_code **allow;             /* global allow patterns */
    size_t nallow;
    uint32_t max_ovector;           /* largest capture count + 1 */
    uint8_t hash_key[64];           /* HMAC key */
    size_t hash_key_len;
    int hash_key_random;            /* 1 when generated at load (not stable across runs) */
    const char *def_replacement;    /* default redact template */
    const char *hash_replacement;   /* default hash template */
};

/* The id of a rule (key rules have no YAML spec). */
static inline const char *scrub_rule_id(const scrub_rule_t *r)
{
    return r->detector == SCRUB_DET_KEY ? r->key_id : r->spec->id;
}

#endif
