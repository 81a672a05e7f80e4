/* no_jit: LD_PRELOAD shim that makes PCRE2 JIT compilation fail, so the interpreter runs. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * For valgrind runs (tests/run-valgrind.sh). PCRE2's JIT code scans subjects
 * with SIMD loads that may cover bytes past the subject's end (never past the
 * page); memcheck reports each branch on them as "Conditional jump or move
 * depends on uninitialised value(s)" in unnamed (???) frames unless PCRE2 was
 * built with --enable-valgrind, which Debian's is not. The core treats a JIT
 * failure as a logged fallback (house style rule 11), so the run stays valid.
 * Build: cc -shared -fPIC -o no_jit.so no_jit.c
 */

#include <stdint.h>

int pcre2_jit_compile_8(void *code, uint32_t options);

int pcre2_jit_compile_8(void *code, uint32_t options)
{
    (void)code;
    (void)options;
    return -45; /* PCRE2_ERROR_JIT_BADOPTION */
}
