/*
 * log.c - stderr logging with a verbosity threshold.
 *
 * The level is set once by main.c before any thread starts and only read
 * afterwards; it is atomic anyway so that TSan has nothing to say.
 */
#include "config.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

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

static void
vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* one fprintf per line: stdio locks the stream for the whole call */
	fprintf(stderr, "mtracecap: %s%s\n", prefix, line);
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
