/*
 * log.h - the one way mtracecap talks to its operator.
 *
 * Every line goes to stderr as "mtracecap: <text>" so that a service
 * manager or a terminal sees one self-contained line per event.  Errors and
 * warnings always print; info lines need -v, debug lines -vv.
 * Safe to call from any thread (each line is a single stdio call).
 */
#ifndef MTRACECAP_LOG_H
#define MTRACECAP_LOG_H

#include <stddef.h>

void log_set_verbosity(int level);
int log_verbosity(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fill a caller-supplied error buffer (snprintf semantics, never overflows). */
void log_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
