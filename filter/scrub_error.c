/* scrub_error: error, action, failure and verdict names (one table each). */
/* SPDX-License-Identifier: Apache-2.0 */
#include "scrub.h"

const char *scrub_strerror(int code)
{
    switch (code) {
    case SCRUB_OK:
        return "success";
    case SCRUB_EINVAL:
        return "invalid argument";
    case SCRUB_ENOMEM:
        return "out of memory";
    case SCRUB_ETOOBIG:
        return "size limit reached";
    case SCRUB_ECONFIG:
        return "configuration error";
    case SCRUB_EREGEX:
        return "pattern does not compile";
    case SCRUB_EIO:
        return "I/O error";
    case SCRUB_ELIMIT:
        return "match limit reached";
    case SCRUB_EJSON:
        return "malformed JSON";
    case SCRUB_EDEPTH:
        return "nesting too deep";
    case SCRUB_EPIPE:
        return "output closed";
    case SCRUB_EBUDGET:
        return "decode budget exhausted";
    default:
        return "unknown error";
    }
}

const char *scrub_action_name(scrub_action_t a)
{
    static const char *const names[] = {"none", "tag",    "defang", "mask",
                                        "hash", "redact", "drop",   "quarantine"};

    return (unsigned)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

const char *scrub_failure_name(scrub_failure_t f)
{
    static const char *const names[] = {"none",  "oversize", "limit",   "budget",
                                        "depth", "nomem",    "internal"};

    return (unsigned)f < sizeof(names) / sizeof(names[0]) ? names[f] : "?";
}
