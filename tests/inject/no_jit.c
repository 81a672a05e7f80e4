/* no_jit: LD_PRELOAD shim that keeps PCRE2 from JIT-compiling, so the interpreter runs. */
/* SPDX-License-Identifier: Apache-2.0 */

/*
 * For valgrind runs (tests/run-valgrind.sh). PCRE2's JIT code scans subjects
 * with SIMD loads that may cover bytes past the subject's end (never past the
 * page); memcheck reports each branch on them as "Conditional jump or move
 * depends on uninitialised value(s)" in unnamed (???) frames unless PCRE2 was
 * built with --enable-valgrind, which Debian's is not.
 *
 * The shim reports success without compiling anything: pcre2_match() runs the
 * interpreter whenever a pattern has no JIT code (PCRE2 10.42, pcre2_match.c),
 * and the core sees what it sees in production (no "JIT compilation failed"
 * warning per rule on stderr, which tests that expect a quiet stderr would
 * trip over). The core never calls pcre2_jit_match() directly.
 * Build: cc -shared -fPIC -o no_jit.so no_jit.c
 */

#include <stdint.h>

int pcre2_jit_compile_8(void *code, uint32_t options);

int pcre2_jit_compile_8(void *code, uint32_t options)
{
    (void)code;
    (void)options;
    return 0;
}
