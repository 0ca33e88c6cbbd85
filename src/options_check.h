/*
 * options_check.h - the checks across options (options_check.c), for
 * options_parse() once every option and operand is in *cfg.
 */
#ifndef MTRACECAP_OPTIONS_CHECK_H
#define MTRACECAP_OPTIONS_CHECK_H

#include <stddef.h>

struct config;

/*
 * -z with -Z and --pipeout (settling -Z's default level), --fanout with
 * the inputs, --control with --control-group, --time-stamp-type with the
 * inputs.  0, or -1 with a one-line message naming the value in err.
 */
int options_check(struct config *cfg, char *err, size_t errlen);

#endif
