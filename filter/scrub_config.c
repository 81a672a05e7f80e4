/* scrub_config: YAML files -> plain config structs, with file:line:col errors. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub_config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_INCLUDE_DEPTH 8

/* Parsing context for one file. */
typedef struct cfg_file {
    const char *path;          /* file being parsed */
    yaml_document_t doc;       /* loaded document */
    scrub_config_t *c;         /* config being filled */
    char *errstr;              /* caller's error buffer */
    size_t errstr_size;
    int depth;                 /* include depth */
    int top;                   /* 1 for the top-level file */
} cfg_file_t;

/* ---- small helpers ------------------------------------------------------- */

static char *xstrdup(const char *s)
{
    char *d;
    size_t n;

    if (s == NULL) {
        return NULL;
    }
    n = strlen(s);
    d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n + 1);
    }
    return d;
}

/* Make room for element n of an array *v of *cap elements of size elem
 * (doubling). Returns 0 or -1; on failure the array is unchanged. */
static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
    size_t ncap;
    void *nv;

    if (n < *cap) {
        return 0;
    }
    ncap = *cap ? *cap * 2 : 16;
    nv = realloc(*v, ncap * elem);
    if (nv == NULL) {
        return -1;
    }
    *v = nv;
    *cap = ncap;
    return 0;
}

static char *where_of(const cfg_file_t *f, const yaml_node_t *n)
{
    char buf[PATH_MAX + 64];

    snprintf(buf, sizeof(buf), "%s:%lu:%lu", f->path, (unsigned long)n->start_mark.line + 1,
             (unsigned long)n->start_mark.column + 1);
    return xstrdup(buf);
}

/* Format "file:line:col: [rule 'id': ]message" and return SCRUB_ECONFIG. */
static int cfg_error(cfg_file_t *f, const yaml_node_t *n, const char *rule_id,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int cfg_error(cfg_file_t *f, const yaml_node_t *n, const char *rule_id,
                     const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (rule_id != NULL) {
        snprintf(f->errstr, f->errstr_size, "%s:%lu:%lu: rule '%s': %s", f->path,
                 n ? (unsigned long)n->start_mark.line + 1 : 0UL,
                 n ? (unsigned long)n->start_mark.column + 1 : 0UL, rule_id, msg);
    }
    else {
        snprintf(f->errstr, f->errstr_size, "%s:%lu:%lu: %s", f->path,
                 n ? (unsigned long)n->start_mark.line + 1 : 0UL,
                 n ? (unsigned long)n->start_mark.column + 1 : 0UL, msg);
    }
    return SCRUB_ECONFIG;
}

static const char *scalar(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *node(cfg_file_t *f, int idx)
{
    return yaml_document_get_node(&f->doc, idx);
}

static int want_scalar(cfg_file_t *f, const yaml_node_t *n, const char *rule, const char *key,
                       const char **out)
{
    *out = scalar(n);
    if (*out == NULL) {
        return cfg_error(f, n, rule, "'%s' must be a scalar", key);
    }
    return 0;
}

static int set_str(cfg_file_t *f, const yaml_node_t *n, const char *rule, const char *key,
                   char **dst)
{
    const char *s;
    int rc = want_scalar(f, n, rule, key, &s);

    if (rc != 0) {
        return rc;
    }
    free(*dst);
    *dst = xstrdup(s);
    return *dst ? 0 : SCRUB_ENOMEM;
}

static int parse_uint(cfg_file_t *f, const yaml_node_t *n, const char *rule, const char *key,
                      unsigned long long max, unsigned long long *out)
{
    const char *s;
    char *end;
    unsigned long long v;
    int rc = want_scalar(f, n, rule, key, &s);

    if (rc != 0) {
        return rc;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v > max) {
        return cfg_error(f, n, rule, "'%s' must be an integer between 0 and %llu", key, max);
    }
    *out = v;
    return 0;
}

static int parse_bool(cfg_file_t *f, const yaml_node_t *n, const char *rule, const char *key,
                      int *out)
{
    const char *s;
    int rc = want_scalar(f, n, rule, key, &s);

    if (rc != 0) {
        return rc;
    }
    if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "on") == 0) {
        *out = 1;
    }
    else if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "off") == 0) {
        *out = 0;
    }
    else {
        return cfg_error(f, n, rule, "'%s' must be true or false", key);
    }
    return 0;
}

/* Append a scalar or every scalar of a sequence to list. */
static int add_list(cfg_file_t *f, yaml_node_t *n, const char *rule, const char *key,
                    scrub_cstr_list_t *list)
{
    yaml_node_item_t *it;
    size_t count;
    scrub_cstr_t *v;

    if (n->type == YAML_SCALAR_NODE) {
        count = 1;
    }
    else if (n->type == YAML_SEQUENCE_NODE) {
        count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    }
    else {
        return cfg_error(f, n, rule, "'%s' must be a string or a list of strings", key);
    }
    v = realloc(list->v, (list->n + count + 1) * sizeof(*v));
    if (v == NULL) {
        return SCRUB_ENOMEM;
    }
    list->v = v;
    if (n->type == YAML_SCALAR_NODE) {
        v[list->n].s = xstrdup(scalar(n));
        v[list->n].where = where_of(f, n);
        if (v[list->n].s == NULL || v[list->n].where == NULL) {
            free(v[list->n].s);
            free(v[list->n].where);
            return SCRUB_ENOMEM;
        }
        list->n++;
        return 0;
    }
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *item = node(f, *it);
        if (item == NULL || item->type != YAML_SCALAR_NODE) {
            return cfg_error(f, item ? item : n, rule, "'%s' items must be strings", key);
        }
        v[list->n].s = xstrdup(scalar(item));
        v[list->n].where = where_of(f, item);
        if (v[list->n].s == NULL || v[list->n].where == NULL) {
            free(v[list->n].s);
            free(v[list->n].where);
            return SCRUB_ENOMEM;
        }
        list->n++;
    }
    return 0;
}

static void free_list(scrub_cstr_list_t *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        free(l->v[i].s);
        free(l->v[i].where);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

scrub_action_t scrub_action_parse(const char *name)
{
    static const struct {
        const char *name;
        scrub_action_t act;
    } tab[] = {{"tag", SCRUB_ACT_TAG},       {"redact", SCRUB_ACT_REDACT},
               {"mask", SCRUB_ACT_MASK},     {"hash", SCRUB_ACT_HASH},
               {"defang", SCRUB_ACT_DEFANG}, {"drop", SCRUB_ACT_DROP},
               {"quarantine", SCRUB_ACT_QUARANTINE}};
    size_t i;

    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strcmp(tab[i].name, name) == 0) {
            return tab[i].act;
        }
    }
    return SCRUB_ACT_NONE;
}

/* Call fn for every key of mapping n (what names the section in messages).
 * Non-mapping nodes and non-string keys are errors. Stops at fn's first error. */
typedef int (*pair_fn)(cfg_file_t *f, const char *key, yaml_node_t *k, yaml_node_t *v,
                       void *ctx);

static int each_pair(cfg_file_t *f, yaml_node_t *n, const char *rule, const char *what,
                     pair_fn fn, void *ctx)
{
    yaml_node_pair_t *p;
    int rc;

    if (n->type != YAML_MAPPING_NODE) {
        return cfg_error(f, n, rule, "'%s' must be a mapping", what);
    }
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(f, p->key);
        const char *key = scalar(k);
        if (key == NULL) {
            return cfg_error(f, k, rule, "mapping keys must be strings");
        }
        rc = fn(f, key, k, node(f, p->value), ctx);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int parse_action(cfg_file_t *f, yaml_node_t *n, const char *rule, scrub_action_t *out)
{
    const char *s;
    int rc = want_scalar(f, n, rule, "action", &s);

    if (rc != 0) {
        return rc;
    }
    *out = scrub_action_parse(s);
    if (*out == SCRUB_ACT_NONE) {
        return cfg_error(f, n, rule,
                         "unknown action '%s' (expected redact, mask, hash, quarantine, drop, "
                         "tag or defang)",
                         s);
    }
    return 0;
}

static int parse_severity(cfg_file_t *f, yaml_node_t *n, const char *rule, char **dst)
{
    static const char *const ok[] = {"info", "low", "medium", "high", "critical"};
    const char *s;
    size_t i;
    int rc = want_scalar(f, n, rule, "severity", &s);

    if (rc != 0) {
        return rc;
    }
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        if (strcmp(ok[i], s) == 0) {
            return set_str(f, n, rule, "severity", dst);
        }
    }
    return cfg_error(f, n, rule, "unknown severity '%s' (expected info, low, medium, high or "
                                 "critical)", s);
}

typedef struct mask_ctx {
    const char *rule;        /* rule id for messages, or NULL */
    scrub_mask_spec_t *m;    /* filled */
} mask_ctx_t;

static int mask_pair(cfg_file_t *f, const char *key, yaml_node_t *k, yaml_node_t *val, void *ctx)
{
    mask_ctx_t *mc = ctx;
    unsigned long long v;
    int rc;

    if (strcmp(key, "keep_start") == 0 || strcmp(key, "keep_end") == 0) {
        rc = parse_uint(f, val, mc->rule, key, 64, &v);
        if (rc == 0 && key[5] == 's') {
            mc->m->keep_start = (unsigned)v;
        }
        else if (rc == 0) {
            mc->m->keep_end = (unsigned)v;
        }
        return rc;
    }
    if (strcmp(key, "char") == 0) {
        const char *s = scalar(val);
        if (s == NULL || strlen(s) != 1 || (unsigned char)s[0] < 0x20 ||
            (unsigned char)s[0] > 0x7e) {
            return cfg_error(f, val, mc->rule, "'mask.char' must be one printable ASCII "
                                               "character");
        }
        mc->m->ch = s[0];
        return 0;
    }
    return cfg_error(f, k, mc->rule, "unknown key 'mask.%s'", key);
}

static int parse_mask(cfg_file_t *f, yaml_node_t *n, const char *rule, scrub_mask_spec_t *m)
{
    mask_ctx_t mc = {rule, m};

    return each_pair(f, n, rule, "mask", mask_pair, &mc);
}

/* ---- rules ---------------------------------------------------------------- */

static void rule_spec_free(scrub_rule_spec_t *r)
{
    free(r->where);
    free(r->id);
    free(r->description);
    free(r->regex.s);
    free(r->regex.where);
    free(r->detector);
    free(r->severity);
    free(r->replacement);
    free(r->secret_group);
    free(r->secret_group_where);
    free_list(&r->keywords);
    free_list(&r->allow);
    free_list(&r->validate);
    free_list(&r->ex_match);
    free_list(&r->ex_nomatch);
}

static int parse_examples(cfg_file_t *f, yaml_node_t *n, scrub_rule_spec_t *r)
{
    yaml_node_pair_t *p;
    int rc;

    if (n->type != YAML_MAPPING_NODE) {
        return cfg_error(f, n, r->id, "'examples' must be a mapping with match and no_match");
    }
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(f, p->key);
        yaml_node_t *v = node(f, p->value);
        const char *key = scalar(k);
        if (key != NULL && strcmp(key, "match") == 0) {
            rc = add_list(f, v, r->id, "examples.match", &r->ex_match);
        }
        else if (key != NULL && strcmp(key, "no_match") == 0) {
            rc = add_list(f, v, r->id, "examples.no_match", &r->ex_nomatch);
        }
        else {
            rc = cfg_error(f, k, r->id, "unknown key 'examples.%s'", key ? key : "?");
        }
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

/* Parse one rule mapping; fills r (already zeroed). */
static int parse_rule(cfg_file_t *f, yaml_node_t *n, scrub_rule_spec_t *r)
{
    yaml_node_pair_t *p;
    int rc = 0;

    r->where = where_of(f, n);
    r->utf = 1;
    if (r->where == NULL) {
        return SCRUB_ENOMEM;
    }
    if (n->type != YAML_MAPPING_NODE) {
        return cfg_error(f, n, NULL, "a rule must be a mapping");
    }
    /* Find the id first so every later message can name the rule. */
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *key = scalar(node(f, p->key));
        if (key != NULL && strcmp(key, "id") == 0) {
            rc = set_str(f, node(f, p->value), NULL, "id", &r->id);
            if (rc != 0) {
                return rc;
            }
        }
    }
    if (r->id == NULL || r->id[0] == '\0') {
        return cfg_error(f, n, NULL, "rule without an 'id'");
    }
    if (strspn(r->id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
        strlen(r->id)) {
        return cfg_error(f, n, NULL, "rule id '%s' may only use letters, digits, '.', '_' and "
                         "'-'", r->id);
    }
    for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top && rc == 0; p++) {
        yaml_node_t *k = node(f, p->key);
        yaml_node_t *v = node(f, p->value);
        const char *key = scalar(k);
        if (key == NULL) {
            rc = cfg_error(f, k, r->id, "mapping keys must be strings");
        }
        else if (strcmp(key, "id") == 0) {
            rc = 0;
        }
        else if (strcmp(key, "description") == 0) {
            rc = set_str(f, v, r->id, key, &r->description);
        }
        else if (strcmp(key, "regex") == 0) {
            rc = set_str(f, v, r->id, key, &r->regex.s);
            if (rc == 0) {
                free(r->regex.where);
                r->regex.where = where_of(f, v);
                rc = r->regex.where ? 0 : SCRUB_ENOMEM;
            }
        }
        else if (strcmp(key, "detector") == 0) {
            rc = set_str(f, v, r->id, key, &r->detector);
        }
        else if (strcmp(key, "keywords") == 0) {
            rc = add_list(f, v, r->id, key, &r->keywords);
        }
        else if (strcmp(key, "secret_group") == 0) {
            rc = set_str(f, v, r->id, key, &r->secret_group);
            if (rc == 0) {
                free(r->secret_group_where);
                r->secret_group_where = where_of(f, v);
            }
        }
        else if (strcmp(key, "action") == 0) {
            rc = parse_action(f, v, r->id, &r->action);
        }
        else if (strcmp(key, "replacement") == 0) {
            rc = set_str(f, v, r->id, key, &r->replacement);
        }
        else if (strcmp(key, "mask") == 0) {
            r->has_mask = 1;
            r->mask = f->c->def_mask;
            rc = parse_mask(f, v, r->id, &r->mask);
        }
        else if (strcmp(key, "allow") == 0) {
            rc = add_list(f, v, r->id, key, &r->allow);
        }
        else if (strcmp(key, "validate") == 0) {
            rc = add_list(f, v, r->id, key, &r->validate);
        }
        else if (strcmp(key, "severity") == 0) {
            rc = parse_severity(f, v, r->id, &r->severity);
        }
        else if (strcmp(key, "utf") == 0) {
            rc = parse_bool(f, v, r->id, key, &r->utf);
        }
        else if (strcmp(key, "examples") == 0) {
            rc = parse_examples(f, v, r);
        }
        else {
            rc = cfg_error(f, k, r->id, "unknown key '%s'", key);
        }
    }
    if (rc != 0) {
        return rc;
    }
    if (r->regex.s == NULL && r->detector == NULL) {
        return cfg_error(f, n, r->id, "rule needs a 'regex' (or a built-in 'detector')");
    }
    if (r->description == NULL) {
        r->description = xstrdup("");
    }
    return r->description ? 0 : SCRUB_ENOMEM;
}

static int parse_rules(cfg_file_t *f, yaml_node_t *n)
{
    yaml_node_item_t *it;
    scrub_config_t *c = f->c;
    int rc;

    if (n->type != YAML_SEQUENCE_NODE) {
        return cfg_error(f, n, NULL, "'rules' must be a list of rule mappings");
    }
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        scrub_rule_spec_t *r;
        size_t i;
        if (grow((void **)&c->rules, &c->rules_cap, c->nrules, sizeof(*c->rules)) != 0) {
            return SCRUB_ENOMEM;
        }
        r = &c->rules[c->nrules];
        memset(r, 0, sizeof(*r));
        c->nrules++;
        rc = parse_rule(f, node(f, *it), r);
        if (rc != 0) {
            return rc;
        }
        for (i = 0; i + 1 < c->nrules; i++) {
            if (strcmp(c->rules[i].id, r->id) == 0) {
                return cfg_error(f, node(f, *it), r->id, "duplicate rule id (first defined at %s)",
                                 c->rules[i].where);
            }
        }
    }
    return 0;
}

/* ---- sections --------------------------------------------------------------- */

static int defaults_pair(cfg_file_t *f, const char *key, yaml_node_t *k, yaml_node_t *v,
                         void *ctx)
{
    scrub_config_t *c = f->c;

    (void)ctx;
    if (strcmp(key, "action") == 0) {
        return parse_action(f, v, NULL, &c->def_action);
    }
    if (strcmp(key, "replacement") == 0) {
        return set_str(f, v, NULL, "defaults.replacement", &c->def_replacement);
    }
    if (strcmp(key, "hash_replacement") == 0) {
        return set_str(f, v, NULL, "defaults.hash_replacement", &c->hash_replacement);
    }
    if (strcmp(key, "severity") == 0) {
        return parse_severity(f, v, NULL, &c->def_severity);
    }
    if (strcmp(key, "mask") == 0) {
        return parse_mask(f, v, NULL, &c->def_mask);
    }
    return cfg_error(f, k, NULL, "unknown key 'defaults.%s'", key);
}

static int hash_pair(cfg_file_t *f, const char *key, yaml_node_t *k, yaml_node_t *val, void *ctx)
{
    scrub_config_t *c = f->c;
    unsigned long long v;
    int rc;

    (void)ctx;
    if (strcmp(key, "key") == 0) {
        return set_str(f, val, NULL, "hash.key", &c->hash_key);
    }
    if (strcmp(key, "key_env") == 0) {
        const char *name = scalar(val);
        const char *env = name ? getenv(name) : NULL;
        if (name == NULL) {
            return cfg_error(f, val, NULL, "'hash.key_env' must name an environment variable");
        }
        if (env != NULL && env[0] != '\0') {
            free(c->hash_key);
            c->hash_key = xstrdup(env);
            return c->hash_key ? 0 : SCRUB_ENOMEM;
        }
        return 0;
    }
    if (strcmp(key, "length") == 0) {
        rc = parse_uint(f, val, NULL, "hash.length", 64, &v);
        if (rc == 0 && v < 8) {
            rc = cfg_error(f, val, NULL, "'hash.length' must be between 8 and 64");
        }
        c->hash_length = rc == 0 ? (unsigned)v : c->hash_length;
        return rc;
    }
    return cfg_error(f, k, NULL, "unknown key 'hash.%s'", key);
}

/* limits.*: every value is an integer; the table gives its range. */
static int limits_pair(cfg_file_t *f, const char *key, yaml_node_t *k, yaml_node_t *val,
                       void *ctx)
{
    static const struct {
        const char *name;            /* key */
        unsigned long long lo, hi;   /* accepted range */
    } tab[] = {{"max_record", 64, 1ULL << 40},       {"match_limit", 1, UINT32_MAX},
               {"depth_limit", 1, UINT32_MAX},       {"heap_limit_kb", 1, UINT32_MAX},
               {"max_findings", 1, 1ULL << 40},      {"max_depth", 1, 100000}};
    scrub_limits_t *l = &f->c->limits;
    unsigned long long v;
    size_t i;
    int rc;

    (void)ctx;
    for (i = 0; i < sizeof(tab) / sizeof(tab[0]) && strcmp(tab[i].name, key) != 0; i++) {
    }
    if (i == sizeof(tab) / sizeof(tab[0])) {
        return cfg_error(f, k, NULL, "unknown key 'limits.%s'", key);
    }
    rc = parse_uint(f, val, NULL, key, 1ULL << 40, &v);
    if (rc != 0) {
        return rc;
    }
    if (v < tab[i].lo || v > tab[i].hi) {
        return cfg_error(f, val, NULL, "'limits.%s' must be between %llu and %llu", key,
                         tab[i].lo, tab[i].hi);
    }
    switch (i) {
    case 0:
        l->max_record = (size_t)v;
        break;
    case 1:
        l->match_limit = (uint32_t)v;
        break;
    case 2:
        l->depth_limit = (uint32_t)v;
        break;
    case 3:
        l->heap_limit_kb = (uint32_t)v;
        break;
    case 4:
        l->max_findings = (size_t)v;
        break;
    default:
        l->max_depth = (unsigned)v;
        break;
    }
    return 0;
}

static int add_setting(cfg_file_t *f, const char *path, yaml_node_t *v)
{
    scrub_config_t *c = f->c;
    scrub_setting_t *s;

    if (grow((void **)&c->settings, &c->settings_cap, c->nsettings, sizeof(*c->settings)) != 0) {
        return SCRUB_ENOMEM;
    }
    s = &c->settings[c->nsettings];
    s->path = xstrdup(path);
    s->value = xstrdup(scalar(v));
    s->where = where_of(f, v);
    if (s->path == NULL || s->value == NULL || s->where == NULL) {
        free(s->path);
        free(s->value);
        free(s->where);
        return SCRUB_ENOMEM;
    }
    c->nsettings++;
    return 0;
}

/* Flatten a front-end section into dotted-path settings. */
static int flatten(cfg_file_t *f, const char *prefix, yaml_node_t *n, int depth)
{
    char path[512];
    int rc;

    if (depth > 16) {
        return cfg_error(f, n, NULL, "section nested too deeply");
    }
    if (n->type == YAML_SCALAR_NODE) {
        return add_setting(f, prefix, n);
    }
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;
        size_t i = 0;
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
            snprintf(path, sizeof(path), "%s.%zu", prefix, i);
            rc = flatten(f, path, node(f, *it), depth + 1);
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    if (n->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            const char *key = scalar(node(f, p->key));
            if (key == NULL) {
                return cfg_error(f, node(f, p->key), NULL, "mapping keys must be strings");
            }
            snprintf(path, sizeof(path), "%s.%s", prefix, key);
            rc = flatten(f, path, node(f, p->value), depth + 1);
            if (rc != 0) {
                return rc;
            }
        }
        return 0;
    }
    return cfg_error(f, n, NULL, "unsupported YAML node");
}

/* quarantine:/audit: a path, or {file: path}, or other sinks (kafka) kept as settings. */
static int parse_sink(cfg_file_t *f, const char *name, yaml_node_t *n, char **path)
{
    if (n->type == YAML_SCALAR_NODE) {
        return set_str(f, n, NULL, name, path);
    }
    if (n->type == YAML_MAPPING_NODE) {
        yaml_node_pair_t *p;
        int rc;
        for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
            const char *key = scalar(node(f, p->key));
            if (key != NULL && strcmp(key, "file") == 0) {
                rc = set_str(f, node(f, p->value), NULL, "file", path);
                if (rc != 0) {
                    return rc;
                }
            }
            else if (key == NULL || strcmp(key, "kafka") != 0) {
                return cfg_error(f, node(f, p->key), NULL, "unknown key '%s.%s' (expected file "
                                 "or kafka)", name, key ? key : "?");
            }
        }
        return flatten(f, name, n, 0);
    }
    return cfg_error(f, n, NULL, "'%s' must be a path or a mapping", name);
}

static int parse_file(scrub_config_t *c, const char *path, int depth, const yaml_node_t *from,
                      cfg_file_t *parent, char *errstr, size_t errstr_size);

static int parse_includes(cfg_file_t *f, yaml_node_t *n)
{
    scrub_cstr_list_t list = {NULL, 0};
    size_t i;
    int rc = add_list(f, n, NULL, "include", &list);

    for (i = 0; rc == 0 && i < list.n; i++) {
        char full[PATH_MAX];
        const char *slash = strrchr(f->path, '/');
        if (list.v[i].s[0] == '/' || slash == NULL) {
            snprintf(full, sizeof(full), "%s", list.v[i].s);
        }
        else {
            snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - f->path), f->path,
                     list.v[i].s);
        }
        rc = parse_file(f->c, full, f->depth + 1, n, f, f->errstr, f->errstr_size);
    }
    free_list(&list);
    return rc;
}

static int parse_choice(cfg_file_t *f, yaml_node_t *n, const char *key,
                        const char *const *choices, char **dst)
{
    const char *s;
    size_t i;
    int rc = want_scalar(f, n, NULL, key, &s);

    if (rc != 0) {
        return rc;
    }
    for (i = 0; choices[i] != NULL; i++) {
        if (strcmp(choices[i], s) == 0) {
            return set_str(f, n, NULL, key, dst);
        }
    }
    return cfg_error(f, n, NULL, "invalid value '%s' for '%s'", s, key);
}

/* Top-level keys. Included files take the same keys; settings read later win, so a
 * config that includes default.yaml and then sets format: overrides it. */
static int parse_top(cfg_file_t *f, yaml_node_t *root)
{
    static const char *const formats[] = {"raw", "json", "logfmt", "auto", NULL};
    yaml_node_pair_t *p;
    scrub_config_t *c = f->c;
    int rc = 0;

    if (root->type != YAML_MAPPING_NODE) {
        return cfg_error(f, root, NULL, "the top level must be a mapping");
    }
    for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top && rc == 0; p++) {
        yaml_node_t *k = node(f, p->key);
        yaml_node_t *v = node(f, p->value);
        const char *key = scalar(k);
        if (key == NULL) {
            rc = cfg_error(f, k, NULL, "mapping keys must be strings");
            break;
        }
        if (strcmp(key, "include") == 0) {
            rc = parse_includes(f, v);
        }
        else if (strcmp(key, "rules") == 0) {
            rc = parse_rules(f, v);
        }
        else if (strcmp(key, "allow") == 0) {
            rc = add_list(f, v, NULL, "allow", &c->allow);
        }
        else if (strcmp(key, "name") == 0 || strcmp(key, "description") == 0) {
            const char *s;
            rc = want_scalar(f, v, NULL, key, &s);
        }
        else if (strcmp(key, "defaults") == 0) {
            rc = each_pair(f, v, NULL, "defaults", defaults_pair, NULL);
        }
        else if (strcmp(key, "hash") == 0) {
            rc = each_pair(f, v, NULL, "hash", hash_pair, NULL);
        }
        else if (strcmp(key, "limits") == 0) {
            rc = each_pair(f, v, NULL, "limits", limits_pair, NULL);
        }
        else if (strcmp(key, "disable") == 0) {
            rc = add_list(f, v, NULL, "disable", &c->disable);
        }
        else if (strcmp(key, "keys") == 0) {
            c->keys_default = 0;
            rc = add_list(f, v, NULL, "keys", &c->keys);
        }
        else if (strcmp(key, "keys_exempt") == 0) {
            rc = add_list(f, v, NULL, "keys_exempt", &c->keys_exempt);
        }
        else if (strcmp(key, "format") == 0) {
            rc = parse_choice(f, v, "format", formats, &c->format);
        }
        else if (strcmp(key, "paranoid") == 0) {
            rc = parse_bool(f, v, NULL, "paranoid", &c->paranoid);
        }
        else if (strcmp(key, "failure_action") == 0) {
            rc = parse_action(f, v, NULL, &c->failure_action);
            if (rc == 0 && c->failure_action != SCRUB_ACT_QUARANTINE &&
                c->failure_action != SCRUB_ACT_DROP) {
                rc = cfg_error(f, v, NULL, "'failure_action' must be quarantine or drop");
            }
        }
        else if (strcmp(key, "quarantine") == 0) {
            rc = parse_sink(f, "quarantine", v, &c->quarantine_path);
        }
        else if (strcmp(key, "audit") == 0) {
            rc = parse_sink(f, "audit", v, &c->audit_path);
        }
        else if (strcmp(key, "input") == 0 || strcmp(key, "output") == 0) {
            rc = v->type == YAML_MAPPING_NODE
                     ? flatten(f, key, v, 0)
                     : cfg_error(f, v, NULL, "'%s' must be a mapping", key);
        }
        else {
            rc = cfg_error(f, k, NULL, "unknown key '%s'", key);
        }
    }
    return rc;
}

static int parse_file(scrub_config_t *c, const char *path, int depth, const yaml_node_t *from,
                      cfg_file_t *parent, char *errstr, size_t errstr_size)
{
    cfg_file_t f;
    yaml_parser_t parser;
    yaml_node_t *root;
    FILE *fp;
    int rc;

    if (depth > MAX_INCLUDE_DEPTH) {
        return cfg_error(parent, from, NULL, "includes nested deeper than %d (a cycle?)",
                         MAX_INCLUDE_DEPTH);
    }
    memset(&f, 0, sizeof(f));
    f.path = path;
    f.c = c;
    f.errstr = errstr;
    f.errstr_size = errstr_size;
    f.depth = depth;
    f.top = depth == 0;
    fp = fopen(path, "rb");
    if (fp == NULL) {
        if (parent != NULL) {
            return cfg_error(parent, from, NULL, "cannot open included file '%s': %s", path,
                             strerror(errno));
        }
        snprintf(errstr, errstr_size, "%s: cannot open: %s", path, strerror(errno));
        return SCRUB_ECONFIG;
    }
    if (!yaml_parser_initialize(&parser)) {
        fclose(fp);
        return SCRUB_ENOMEM;
    }
    yaml_parser_set_input_file(&parser, fp);
    if (!yaml_parser_load(&parser, &f.doc)) {
        snprintf(errstr, errstr_size, "%s:%lu:%lu: YAML syntax error: %s%s%s", path,
                 (unsigned long)parser.problem_mark.line + 1,
                 (unsigned long)parser.problem_mark.column + 1,
                 parser.problem ? parser.problem : "malformed document",
                 parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        fclose(fp);
        return SCRUB_ECONFIG;
    }
    yaml_parser_delete(&parser);
    fclose(fp);
    root = yaml_document_get_root_node(&f.doc);
    if (root == NULL) {
        rc = 0; /* an empty file is an empty pack */
    }
    else {
        rc = parse_top(&f, root);
    }
    yaml_document_delete(&f.doc);
    return rc;
}

/* ---- public ---------------------------------------------------------------- */

int scrub_config_load(const char *path, scrub_config_t **out, char *errstr, size_t errstr_size)
{
    scrub_config_t *c;
    int rc;

    *out = NULL;
    if (errstr_size > 0) {
        errstr[0] = '\0';
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return SCRUB_ENOMEM;
    }
    c->def_action = SCRUB_ACT_REDACT;
    c->def_mask.keep_start = 4;
    c->def_mask.keep_end = 0;
    c->def_mask.ch = '*';
    c->hash_length = 16;
    c->keys_default = 1;
    c->failure_action = SCRUB_ACT_QUARANTINE;
    c->limits.max_record = 1024 * 1024;
    c->limits.match_limit = 1000000;
    c->limits.depth_limit = 10000;
    c->limits.heap_limit_kb = 20 * 1024;
    c->limits.max_findings = 1000;
    c->limits.max_depth = 64;
    rc = parse_file(c, path, 0, NULL, NULL, errstr, errstr_size);
    if (rc == SCRUB_ENOMEM && errstr_size > 0 && errstr[0] == '\0') {
        snprintf(errstr, errstr_size, "%s: out of memory", path);
    }
    if (rc != 0) {
        scrub_config_destroy(c);
        return rc;
    }
    *out = c;
    return 0;
}

void scrub_config_destroy(scrub_config_t *c)
{
    size_t i;

    if (c == NULL) {
        return;
    }
    for (i = 0; i < c->nrules; i++) {
        rule_spec_free(&c->rules[i]);
    }
    free(c->rules);
    for (i = 0; i < c->nsettings; i++) {
        free(c->settings[i].path);
        free(c->settings[i].value);
        free(c->settings[i].where);
    }
    free(c->settings);
    free_list(&c->allow);
    free_list(&c->disable);
    free_list(&c->keys);
    free_list(&c->keys_exempt);
    free(c->def_replacement);
    free(c->def_severity);
    free(c->hash_replacement);
    free(c->hash_key);
    free(c->format);
    free(c->quarantine_path);
    free(c->audit_path);
    free(c);
}
