/* scrub_config: YAML files -> plain config structs (no compilation here). */
/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SCRUB_CONFIG_H
#define SCRUB_CONFIG_H

#include "scrub.h"

#include <stddef.h>

/* A string taken from the YAML with its position "file:line:col". */
typedef struct scrub_cstr {
    char *s;        /* NUL-terminated value (YAML scalars cannot hold NUL) */
    char *where;    /* "file:line:col" of the scalar */
} scrub_cstr_t;

typedef struct scrub_cstr_list {
    scrub_cstr_t *v;   /* items */
    size_t n;          /* number of items */
} scrub_cstr_list_t;

/* Masking parameters. */
typedef struct scrub_mask_spec {
    unsigned keep_start;   /* leading characters kept */
    unsigned keep_end;     /* trailing characters kept */
    char ch;               /* mask character */
} scrub_mask_spec_t;

/* One rule as written in YAML. */
typedef struct scrub_rule_spec {
    char *where;               /* position of the rule mapping */
    char *id;                  /* required, unique */
    char *description;         /* optional, "" when absent */
    scrub_cstr_t regex;        /* PCRE2 source (s NULL for detector rules) */
    char *detector;            /* built-in detector name, or NULL */
    char *severity;            /* low|medium|high|critical */
    char *replacement;         /* template, or NULL for the default */
    char *secret_group;        /* capture number or name, or NULL (whole match) */
    char *secret_group_where;  /* its position */
    scrub_action_t action;     /* what a finding does */
    int has_mask;              /* mask given for this rule */
    scrub_mask_spec_t mask;    /* mask parameters */
    int utf;                   /* 1: PCRE2_UTF|PCRE2_MATCH_INVALID_UTF; 0: byte mode */
    scrub_cstr_list_t keywords;  /* prefilter literals */
    scrub_cstr_list_t allow;     /* regexes that cancel a finding */
    scrub_cstr_list_t validate;  /* validator specs */
    scrub_cstr_list_t ex_match;  /* examples that must match */
    scrub_cstr_list_t ex_nomatch;/* examples that must not match */
} scrub_rule_spec_t;

/* A scalar of a front-end section (input:, output:, quarantine:, audit:). */
typedef struct scrub_setting {
    char *path;    /* dotted path, sequence items numbered from 0 */
    char *value;   /* scalar value */
    char *where;   /* "file:line:col" */
} scrub_setting_t;

/* Limits and policies. */
typedef struct scrub_limits {
    size_t max_record;        /* bytes; longer records fail closed */
    uint32_t match_limit;     /* PCRE2 match limit */
    uint32_t depth_limit;     /* PCRE2 depth limit */
    uint32_t heap_limit_kb;   /* PCRE2 heap limit in KiB */
    size_t max_findings;      /* per record; more fail closed */
    unsigned max_depth;       /* JSON nesting depth */
} scrub_limits_t;

typedef struct scrub_config {
    scrub_rule_spec_t *rules;    /* all rules, in file order (includes first-seen order) */
    size_t nrules;
    size_t rules_cap;
    scrub_cstr_list_t allow;     /* global allow regexes */
    scrub_cstr_list_t disable;   /* rule ids to drop */
    scrub_cstr_list_t keys;      /* key-based rules: names or /regex/ */
    scrub_cstr_list_t keys_exempt; /* key names/paths exempt from key rules */
    scrub_setting_t *settings;   /* front-end sections */
    size_t nsettings;
    size_t settings_cap;
    /* defaults */
    scrub_action_t def_action;   /* default action */
    char *def_replacement;       /* default replacement template */
    char *def_severity;          /* default severity */
    scrub_mask_spec_t def_mask;  /* default mask */
    char *hash_replacement;      /* template for the hash action */
    /* hash */
    char *hash_key;              /* key bytes (from hash.key or the env var) */
    unsigned hash_length;        /* hex chars in {hash} */
    /* limits and policies */
    scrub_limits_t limits;
    scrub_action_t failure_action; /* QUARANTINE or DROP for failed-closed records */
    char *format;                /* raw|json|logfmt|auto */
    int paranoid;                /* log4shell paranoid mode */
    char *quarantine_path;       /* quarantine file, or NULL */
    char *audit_path;            /* audit file, or NULL */
    int keys_default;            /* 1 when keys: was absent (use the built-in set) */
} scrub_config_t;

/*
 * Parse path (and its includes, relative to the including file) into a new
 * config owned by the caller. Returns 0, SCRUB_ECONFIG (errstr holds
 * "file:line:col: rule 'id': message" or "file:line:col: message"), or
 * SCRUB_ENOMEM. On failure *out is NULL.
 */
int scrub_config_load(const char *path, scrub_config_t **out, char *errstr, size_t errstr_size);

/* Free a config and everything it owns. Accepts NULL and half-built configs. */
void scrub_config_destroy(scrub_config_t *c);

/* Action by name ("redact", ...); returns SCRUB_ACT_NONE when unknown. */
scrub_action_t scrub_action_parse(const char *name);

#endif
