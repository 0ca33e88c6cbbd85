/*
 * options.h - the command line of mtracecap (drop-in for mtracecap 0.6).
 *
 * options_parse() turns argv into an immutable struct config.  It does no
 * I/O besides reading argv and never exits: a bad value yields -1 and a
 * one-line message naming the value and the option.
 */
#ifndef MTRACECAP_OPTIONS_H
#define MTRACECAP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "options_config.h"

/*
 * Parse argv into *cfg.  Returns 0 on success, -1 on a usage error with a
 * one-line message in err.  On success the caller owns what
 * options_free() releases.  Uses getopt_long: not thread-safe, call once
 * from main before threads exist.
 */
int options_parse(int argc, char **argv, struct config *cfg, char *err,
    size_t errlen);
void options_free(struct config *cfg);

/* Print the usage text (the help for -h). */
void options_usage(FILE *fp);

#endif
