/*
 * ctlproto.c - the control socket's line protocol: parsing one request
 * line, appending answer lines to a bounded buffer.  No I/O, no state
 * outside the caller's structs (tests/fuzz/fuzz_ctlproto.c drives it).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "log.h"

#define QUOTE_MAX	64	/* bytes of a word quoted in a message */

/* How a command's arguments look. */
enum args {
	ARGS_NONE,		/* status */
	ARGS_NAME,		/* stop NAME */
	ARGS_NAME_BPF,		/* modify NAME BPF */
	ARGS_NAME_FILTER_BPF,	/* new NAME filter BPF */
	ARGS_NAME_SECONDS,	/* watch NAME SECONDS */
};

static const struct {
	const char	*word;
	enum ctlproto_cmd cmd;
	enum args	 args;
	const char	*usage;
} cmds[] = {
	{ "status", CTL_STATUS, ARGS_NONE, "status" },
	{ "stats", CTL_STATS, ARGS_NONE, "stats" },
	{ "rotate", CTL_ROTATE, ARGS_NONE, "rotate" },
	{ "list", CTL_LIST, ARGS_NONE, "list" },
	{ "new", CTL_NEW, ARGS_NAME_FILTER_BPF, "new NAME filter BPF" },
	{ "modify", CTL_MODIFY, ARGS_NAME_BPF, "modify NAME BPF" },
	{ "stop", CTL_STOP, ARGS_NAME, "stop NAME" },
	{ "show", CTL_SHOW, ARGS_NAME, "show NAME" },
	{ "poll", CTL_POLL, ARGS_NAME, "poll NAME" },
	{ "watch", CTL_WATCH, ARGS_NAME_SECONDS, "watch NAME SECONDS" },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

const char *
ctlproto_cmd_name(enum ctlproto_cmd cmd)
{
	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].cmd == cmd)
			return cmds[i].word;
	return "?";
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A word (at most QUOTE_MAX bytes of it, escaped) for a message. */
static const char *
quote(char *dst, size_t dstlen, const char *w, size_t n)
{
	char cut[QUOTE_MAX + 4];

	if (n > QUOTE_MAX)
		snprintf(cut, sizeof(cut), "%.*s...", QUOTE_MAX, w);
	else
		snprintf(cut, sizeof(cut), "%.*s", (int)n, w);
	log_escape(dst, dstlen, cut);
	return dst;
}

/* The next word at *p (blanks skipped); its length, 0 at the end. */
static size_t
next_word(const char **p, const char **word)
{
	const char *s = *p;

	while (is_blank(*s))
		s++;
	*word = s;
	while (*s != '\0' && !is_blank(*s))
		s++;
	*p = s;
	return (size_t)(s - *word);
}

/* The rest of the line from p, blanks around it trimmed, into dst. */
static size_t
rest_of_line(const char *p, char *dst, size_t dstlen)
{
	size_t n;

	while (is_blank(*p))
		p++;
	n = strlen(p);
	while (n > 0 && is_blank(p[n - 1]))
		n--;
	snprintf(dst, dstlen, "%.*s", (int)n, p);
	return n;
}

static bool
name_ok(const char *w, size_t n)
{
	if (n == 0 || n > CTLPROTO_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		    c == '-'))
			return false;
	}
	return true;
}

/* Strict 1-CTLPROTO_WATCH_MAX, decimal digits only. */
static bool
seconds_ok(const char *w, size_t n, unsigned *out)
{
	unsigned v = 0;

	if (n == 0 || n > 4)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9')
			return false;
		v = v * 10 + (unsigned)(w[i] - '0');
	}
	if (v < 1 || v > CTLPROTO_WATCH_MAX)
		return false;
	*out = v;
	return true;
}

/* The arguments after the command word (p), as args says.  0 or -1. */
static int
parse_args(const char *p, size_t k, struct ctlproto_req *req, char *err,
    size_t errlen)
{
	char q[4 * QUOTE_MAX + 16];
	const char *w;
	size_t n;

	if (cmds[k].args != ARGS_NONE) {
		if ((n = next_word(&p, &w)) == 0) {
			log_seterr(err, errlen, "%s: missing NAME (%s)",
			    cmds[k].word, cmds[k].usage);
			return -1;
		}
		if (!name_ok(w, n)) {
			log_seterr(err, errlen, "bad session name '%s': 1-%d "
			    "of A-Z a-z 0-9 _ . -", quote(q, sizeof(q), w, n),
			    CTLPROTO_NAME_MAX);
			return -1;
		}
		memcpy(req->name, w, n);
		req->name[n] = '\0';
	}
	switch (cmds[k].args) {
	case ARGS_NAME_FILTER_BPF:
		n = next_word(&p, &w);
		if (n != strlen("filter") || memcmp(w, "filter", n) != 0) {
			log_seterr(err, errlen, "new: expected 'filter' after "
			    "the name, not '%s' (%s)", quote(q, sizeof(q), w,
			    n), cmds[k].usage);
			return -1;
		}
		/* FALLTHROUGH */
	case ARGS_NAME_BPF:
		if (rest_of_line(p, req->bpf, sizeof(req->bpf)) == 0) {
			log_seterr(err, errlen, "%s: missing BPF (%s)",
			    cmds[k].word, cmds[k].usage);
			return -1;
		}
		return 0;
	case ARGS_NAME_SECONDS:
		n = next_word(&p, &w);
		if (!seconds_ok(w, n, &req->seconds)) {
			log_seterr(err, errlen, "watch: bad SECONDS '%s': a "
			    "whole number from 1 to %u", quote(q, sizeof(q), w,
			    n), CTLPROTO_WATCH_MAX);
			return -1;
		}
		break;
	case ARGS_NONE:
	case ARGS_NAME:
		break;
	}
	if ((n = next_word(&p, &w)) != 0) {
		log_seterr(err, errlen, "%s: unexpected '%s' (%s)",
		    cmds[k].word, quote(q, sizeof(q), w, n), cmds[k].usage);
		return -1;
	}
	return 0;
}

int
ctlproto_parse(const char *line, size_t len, struct ctlproto_req *req,
    char *err, size_t errlen)
{
	char buf[CTLPROTO_LINE_MAX], q[4 * QUOTE_MAX + 16];
	const char *p = buf, *w;
	size_t n;

	memset(req, 0, sizeof(*req));
	if (len >= CTLPROTO_LINE_MAX) {
		log_seterr(err, errlen, "request longer than %d bytes",
		    CTLPROTO_LINE_MAX - 1);
		return -1;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			log_seterr(err, errlen, "control byte 0x%02x at "
			    "offset %zu of the request", c, i);
			return -1;
		}
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	if ((n = next_word(&p, &w)) == 0) {
		log_seterr(err, errlen, "empty request");
		return -1;
	}
	for (size_t k = 0; k < NCMDS; k++) {
		if (strlen(cmds[k].word) == n &&
		    memcmp(cmds[k].word, w, n) == 0) {
			req->cmd = cmds[k].cmd;
			return parse_args(p, k, req, err, errlen);
		}
	}
	log_seterr(err, errlen, "unknown command '%s' (status, stats, rotate, "
	    "list, new, modify, stop, show, poll, watch)",
	    quote(q, sizeof(q), w, n));
	return -1;
}

void
ctlproto_out_init(struct ctlproto_out *o, char *buf, size_t cap)
{
	o->buf = buf;
	o->cap = cap;
	o->len = 0;
	o->overflow = cap <= CTLPROTO_ERROR_MAX;
	if (cap > 0)
		buf[0] = '\0';
}

static void
append_line(struct ctlproto_out *o, const char *fmt, va_list ap,
    size_t limit)
{
	int n;

	if (o->overflow || o->len >= limit) {
		o->overflow = true;
		return;
	}
	n = vsnprintf(o->buf + o->len, limit - o->len, fmt, ap);
	if (n < 0 || (size_t)n + 1 >= limit - o->len) {
		o->buf[o->len] = '\0';	/* the line is left out */
		o->overflow = true;
		return;
	}
	o->len += (size_t)n;
	o->buf[o->len++] = '\n';
	o->buf[o->len] = '\0';
}

void
ctlproto_line(struct ctlproto_out *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	append_line(o, fmt, ap, o->cap > CTLPROTO_ERROR_MAX ?
	    o->cap - CTLPROTO_ERROR_MAX : 0);
	va_end(ap);
}

void
ctlproto_kv_str(struct ctlproto_out *o, const char *key, const char *value)
{
	char esc[4 * CTLPROTO_LINE_MAX + 1];

	log_escape(esc, sizeof(esc), value);
	ctlproto_line(o, "%s=%s", key, esc);
}

static void
final_line(struct ctlproto_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
final_line(struct ctlproto_out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->cap <= CTLPROTO_ERROR_MAX)
		return;		/* no room at all (a caller's bug) */
	o->overflow = false;
	va_start(ap, fmt);
	append_line(o, fmt, ap, o->cap);
	va_end(ap);
}

void
ctlproto_end_ok(struct ctlproto_out *o)
{
	if (o->overflow)
		final_line(o, "error: answer too long");
	else
		final_line(o, "ok");
}

void
ctlproto_end_error(struct ctlproto_out *o, const char *fmt, ...)
{
	char msg[CTLPROTO_ERROR_MAX], esc[CTLPROTO_ERROR_MAX - 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_escape(esc, sizeof(esc), msg);
	final_line(o, "error: %s", esc);
}
