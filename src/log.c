/*
 * log.c - stderr logging with a verbosity threshold.
 *
 * The level is set once by main.c before any thread starts and only read
 * afterwards; it is atomic anyway so that TSan has nothing to say.
 * Every line is escaped as it is printed (log_escape): names, URIs and
 * paths come from users and directories and may hold any byte, a newline
 * or a terminal escape among them, and a message is one line.
 */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static atomic_int verbosity;

void
log_set_verbosity(int level)
{
	atomic_store_explicit(&verbosity, level, memory_order_relaxed);
}

int
log_verbosity(void)
{
	return atomic_load_explicit(&verbosity, memory_order_relaxed);
}

/*
 * Length of the UTF-8 sequence at p if it is valid and encodes a
 * printable character (U+00A0 and up: not a C1 control, no surrogate,
 * not overlong); 0 otherwise.
 */
static size_t
utf8_printable(const unsigned char *p)
{
	uint32_t c;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		c = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		c = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		c = p[0] & 0x07u;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	if (c < 0xa0 || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

/* vis(3)'s C-style escape letter for c, or 0 (then \ooo). */
static char
cstyle(unsigned char c)
{
	switch (c) {
	case '\a':	return 'a';
	case '\b':	return 'b';
	case '\t':	return 't';
	case '\n':	return 'n';
	case '\v':	return 'v';
	case '\f':	return 'f';
	case '\r':	return 'r';
	case '\\':	return '\\';
	default:	return 0;
	}
}

size_t
log_escape(char *dst, size_t dstlen, const char *src)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0, n, used;
	char esc[5];

	if (dstlen == 0)
		return 0;
	while (*p != '\0') {
		used = 1;
		if (*p >= 0x20 && *p < 0x7f && *p != '\\') {
			esc[0] = (char)*p;
			n = 1;
		} else if (*p >= 0x80 && (used = utf8_printable(p)) > 0) {
			memcpy(esc, p, used);
			n = used;
		} else if ((esc[1] = cstyle(*p)) != 0) {
			used = 1;
			esc[0] = '\\';
			n = 2;
		} else {
			used = 1;
			snprintf(esc, sizeof(esc), "\\%03o", *p);
			n = 4;
		}
		if (o + n >= dstlen)
			break;		/* never half an escape */
		memcpy(dst + o, esc, n);
		o += n;
		p += used;
	}
	dst[o] = '\0';
	return o;
}

static void
vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024], safe[4 * sizeof(line)];

	vsnprintf(line, sizeof(line), fmt, ap);
	log_escape(safe, sizeof(safe), line);
	/* one fprintf per line: stdio locks the stream for the whole call */
	fprintf(stderr, "mtracecap: %s%s\n", prefix, safe);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity() < 1)
		return;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_verbosity() < 2)
		return;
	va_start(ap, fmt);
	vlog("debug: ", fmt, ap);
	va_end(ap);
}

void
log_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
