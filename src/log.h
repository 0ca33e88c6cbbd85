/*
 * log.h - the one way mtracecap talks to its operator.
 *
 * Every line goes to stderr as "mtracecap: <text>" so that a service
 * manager or a terminal sees one self-contained line per event; control
 * characters in the text (a newline in a file name) are escaped.  Errors and
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

/*
 * Copy src into dst (dstlen bytes, always NUL-terminated; cut before an
 * escape that does not fit) with every byte that is not printable escaped
 * as vis(3) does in C style: \n, \t, \r, \a, \b, \v, \f, \\ for a
 * backslash, \ooo (octal) for any other control byte, DEL and any byte
 * that is not part of a printable UTF-8 character.  Printable ASCII and
 * UTF-8 pass unchanged.  4 * strlen(src) + 1 bytes always suffice.
 * Returns the length written.  Every log line goes through it; use it
 * for any other text that carries names to a reader (sd_notify STATUS).
 */
size_t log_escape(char *dst, size_t dstlen, const char *src);

/* Fill a caller-supplied error buffer (snprintf semantics, never overflows). */
void log_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
