/*
 * fuzz_ctlproto.c - libFuzzer harness for the control socket's line
 * protocol (ctlproto.c): the input is split at newlines into request
 * lines, as the socket does, and each one parsed.
 *
 * Checks: a refused line has a message of printable bytes on one line;
 * an accepted one has a valid name, seconds in range and a BPF free of
 * control bytes and of blanks at its ends, and printing the request again
 * and parsing that gives the same request; an answer built from the
 * parse (the request's fields as lines, then ok or the error) always
 * ends in exactly one final line, and never overflows its buffer.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "fuzz_common.h"

static void
check_printable(const char *s)
{
	for (; *s != '\0'; s++)
		FUZZ_CHECK((unsigned char)*s >= 0x20 && *s != 0x7f);
}

/* The request as a line again (what a client would send). */
static size_t
unparse(const struct ctlproto_req *r, char *buf, size_t len)
{
	const char *cmd = ctlproto_cmd_name(r->cmd);
	int n;

	switch (r->cmd) {
	case CTL_NEW:
		n = snprintf(buf, len, "%s %s filter %s", cmd, r->name, r->bpf);
		break;
	case CTL_MODIFY:
		n = snprintf(buf, len, "%s %s %s", cmd, r->name, r->bpf);
		break;
	case CTL_STOP: case CTL_SHOW: case CTL_POLL:
		n = snprintf(buf, len, "%s %s", cmd, r->name);
		break;
	case CTL_WATCH:
		n = snprintf(buf, len, "%s %s %u", cmd, r->name, r->seconds);
		break;
	default:
		n = snprintf(buf, len, "%s", cmd);
		break;
	}
	FUZZ_CHECK(n > 0 && (size_t)n < len);
	return (size_t)n;
}

static void
check_answer(const struct ctlproto_req *r, int rc, const char *err,
    size_t cap)
{
	char *buf = malloc(cap);
	struct ctlproto_out o;
	const char *last;

	FUZZ_CHECK(buf != NULL);
	ctlproto_out_init(&o, buf, cap);
	if (rc == 0) {
		ctlproto_line(&o, "cmd=%s", ctlproto_cmd_name(r->cmd));
		ctlproto_kv_str(&o, "name", r->name);
		ctlproto_kv_str(&o, "bpf", r->bpf);
		ctlproto_end_ok(&o);
	} else {
		ctlproto_end_error(&o, "%s", err);
	}
	FUZZ_CHECK(o.len < cap && strlen(buf) == o.len);
	FUZZ_CHECK(o.len > 0 && buf[o.len - 1] == '\n');
	buf[o.len - 1] = '\0';
	last = strrchr(buf, '\n');
	last = last != NULL ? last + 1 : buf;
	FUZZ_CHECK(strcmp(last, "ok") == 0 || strncmp(last, "error: ", 7) == 0);
	FUZZ_CHECK(rc == 0 || last == buf);
	check_printable(last);
	free(buf);
}

static void
check_line(const char *line, size_t len)
{
	struct ctlproto_req r, again;
	char err[512] = "", buf[2 * CTLPROTO_LINE_MAX];
	int rc = ctlproto_parse(line, len, &r, err, sizeof(err));
	size_t n;

	if (rc != 0) {
		FUZZ_CHECK(err[0] != '\0');
		check_printable(err);
	} else {
		n = strlen(r.name);
		FUZZ_CHECK(n <= CTLPROTO_NAME_MAX);
		FUZZ_CHECK((r.cmd <= CTL_LIST) == (n == 0));
		FUZZ_CHECK(strspn(r.name, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n);
		FUZZ_CHECK((r.cmd == CTL_NEW || r.cmd == CTL_MODIFY) ==
		    (r.bpf[0] != '\0'));
		for (const char *p = r.bpf; *p != '\0'; p++)
			FUZZ_CHECK(*p == '\t' || ((unsigned char)*p >= 0x20 &&
			    *p != 0x7f));
		n = strlen(r.bpf);
		FUZZ_CHECK(n == 0 || (r.bpf[0] != ' ' && r.bpf[0] != '\t' &&
		    r.bpf[n - 1] != ' ' && r.bpf[n - 1] != '\t'));
		FUZZ_CHECK(r.cmd != CTL_WATCH || (r.seconds >= 1 &&
		    r.seconds <= CTLPROTO_WATCH_MAX));
		n = unparse(&r, buf, sizeof(buf));
		if (n < CTLPROTO_LINE_MAX) {
			FUZZ_CHECK(ctlproto_parse(buf, n, &again, err,
			    sizeof(err)) == 0);
			FUZZ_CHECK(again.cmd == r.cmd && again.seconds ==
			    r.seconds && strcmp(again.name, r.name) == 0 &&
			    strcmp(again.bpf, r.bpf) == 0);
		}
	}
	/* a small buffer that overflows, and one that holds it all */
	check_answer(&r, rc, err, CTLPROTO_ERROR_MAX + 40);
	check_answer(&r, rc, err, 16384);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		check_line(p, len);
		p += len + 1;
	}
	return 0;
}
