/*
 * options_check.h - the checks across options (options_check.c), for
 * options_parse() once every option and operand is in *cfg.
 */
#ifndef MTRACECAP_OPTIONS_CHECK_H
#define MTRACECAP_OPTIONS_CHECK_H

#include <stddef.h>

struct config;

/*
 * The output (-B's directory, baseuri, or the first operand) and the trace
 * URIs from argv[ind...], with the options that only -B allows.  0, or -1
 * with err filled.
 */
int options_check_operands(struct config *cfg, const char *baseuri,
    int argc, char **argv, int ind, char *err, size_t errlen);
/*
 * -z with -Z and --pipeout (settling -Z's default level), --fanout with
 * the inputs, --control with --control-group, --time-stamp-type with the
 * inputs, what needs -B, -G or --post-rotate (settling
 * --post-rotate-timeout's default).  0, or -1 with a one-line message naming the value in err.
 */
int options_check(struct config *cfg, char *err, size_t errlen);

#endif
