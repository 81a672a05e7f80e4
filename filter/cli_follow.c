/* cli_follow: follow mode (tail -F) with checkpoints: placeholder until the real runner lands. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

#include <stdio.h>

int cli_follow_run(const cli_follow_opts_t *fo, scrub_ruleset_t **rs, cli_reload_ctx_t *reload)
{
    (void)fo;
    (void)rs;
    (void)reload;
    fprintf(stderr, "logscrub: --follow is not available in this build\n");
    return CLI_EXIT_USAGE;
}
