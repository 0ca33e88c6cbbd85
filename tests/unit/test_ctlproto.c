/*
 * test_ctlproto.c - unit tests for ctlproto.c: every command's request
 * line, every kind of malformed one, and the bounded answer buffer.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctlproto.h"

static struct ctlproto_req
parse_ok(const char *line)
{
	struct ctlproto_req req;
	char err[512] = "";

	if (ctlproto_parse(line, strlen(line), &req, err, sizeof(err)) != 0)
		fail_msg("[%s] refused: %s", line, err);
	return req;
}

/* line (len bytes) is refused with a message containing frag */
static void
parse_fails_n(const char *line, size_t len, const char *frag)
{
	struct ctlproto_req req;
	char err[512] = "";

	if (ctlproto_parse(line, len, &req, err, sizeof(err)) == 0)
		fail_msg("[%.*s] accepted", (int)len, line);
	if (strstr(err, frag) == NULL)
		fail_msg("[%.*s]: message [%s] lacks [%s]", (int)len, line,
		    err, frag);
	if (strchr(err, '\n') != NULL)
		fail_msg("[%.*s]: message [%s] has a newline", (int)len, line,
		    err);
}

static void
parse_fails(const char *line, const char *frag)
{
	parse_fails_n(line, strlen(line), frag);
}

static void
test_plain_commands(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("status").cmd, CTL_STATUS);
	assert_int_equal(parse_ok("stats").cmd, CTL_STATS);
	assert_int_equal(parse_ok("  rotate\t ").cmd, CTL_ROTATE);
	assert_int_equal(parse_ok("list\r").cmd, CTL_LIST);
	assert_string_equal(ctlproto_cmd_name(CTL_WATCH), "watch");
	parse_fails("status now", "status: unexpected 'now'");
	parse_fails("STATUS", "unknown command 'STATUS'");
	parse_fails("statusx", "unknown command 'statusx'");
	parse_fails("", "empty request");
	parse_fails(" \t ", "empty request");
}

static void
test_session_commands(void **state)
{
	struct ctlproto_req r;

	(void)state;
	r = parse_ok("new web filter tcp port 80 or  udp ");
	assert_int_equal(r.cmd, CTL_NEW);
	assert_string_equal(r.name, "web");
	assert_string_equal(r.bpf, "tcp port 80 or  udp");
	r = parse_ok("modify a.b-c_9 icmp");
	assert_int_equal(r.cmd, CTL_MODIFY);
	assert_string_equal(r.name, "a.b-c_9");
	assert_string_equal(r.bpf, "icmp");
	assert_int_equal(parse_ok("stop x").cmd, CTL_STOP);
	assert_int_equal(parse_ok("show x").cmd, CTL_SHOW);
	r = parse_ok("poll x");
	assert_int_equal(r.cmd, CTL_POLL);
	assert_string_equal(r.bpf, "");
	r = parse_ok("watch x 3600");
	assert_int_equal(r.cmd, CTL_WATCH);
	assert_int_equal(r.seconds, 3600);
	assert_int_equal(parse_ok("watch x 1").seconds, 1);
	assert_int_equal(parse_ok("watch x 007").seconds, 7);

	parse_fails("new web tcp", "expected 'filter' after the name, not 'tcp'");
	parse_fails("new web", "expected 'filter'");
	parse_fails("new web filter", "new: missing BPF");
	parse_fails("new web filter   ", "new: missing BPF");
	parse_fails("new", "new: missing NAME (new NAME filter BPF)");
	parse_fails("modify x", "modify: missing BPF");
	parse_fails("stop", "stop: missing NAME");
	parse_fails("stop a b", "stop: unexpected 'b'");
	parse_fails("show a/b", "bad session name 'a/b'");
	parse_fails("poll x\xc3\xa9", "bad session name");
	parse_fails("watch x", "watch: bad SECONDS ''");
	parse_fails("watch x 0", "watch: bad SECONDS '0'");
	parse_fails("watch x 3601", "bad SECONDS '3601'");
	parse_fails("watch x -1", "bad SECONDS '-1'");
	parse_fails("watch x 1s", "bad SECONDS '1s'");
	parse_fails("watch x 99999999999", "bad SECONDS");
	parse_fails("watch x 5 6", "watch: unexpected '6'");
}

static void
test_names(void **state)
{
	char line[256];

	(void)state;
	snprintf(line, sizeof(line), "show %0*d", CTLPROTO_NAME_MAX, 0);
	assert_int_equal(parse_ok(line).cmd, CTL_SHOW);
	snprintf(line, sizeof(line), "show %0*d", CTLPROTO_NAME_MAX + 1, 0);
	parse_fails(line, "bad session name");
}

static void
test_bad_bytes(void **state)
{
	char big[CTLPROTO_LINE_MAX + 8];

	(void)state;
	parse_fails_n("stat\0us", 7, "control byte 0x00 at offset 4");
	parse_fails("status\n", "control byte 0x0a at offset 6");
	parse_fails("st\x1b[2Jatus", "control byte 0x1b at offset 2");
	parse_fails("new a filter \x7f", "control byte 0x7f");
	/* an escape in a quoted word comes out escaped, on one line */
	parse_fails("\xff\xfe", "unknown command '\\377\\376'");
	/* the longest line that fits, and one byte more */
	memset(big, 'a', sizeof(big));
	memcpy(big, "new x filter ", 13);
	{
		struct ctlproto_req r;
		char err[256];

		assert_int_equal(ctlproto_parse(big, CTLPROTO_LINE_MAX - 1,
		    &r, err, sizeof(err)), 0);
		assert_int_equal(strlen(r.bpf), CTLPROTO_LINE_MAX - 1 - 13);
	}
	parse_fails_n(big, CTLPROTO_LINE_MAX, "request longer than 1023 bytes");
	/* a long unknown word is cut in the message */
	parse_fails_n(big + 13, 300, "unknown command 'aaaa");
}

static void
test_out(void **state)
{
	char buf[CTLPROTO_ERROR_MAX + 32];
	struct ctlproto_out o;

	(void)state;
	ctlproto_out_init(&o, buf, sizeof(buf));
	ctlproto_line(&o, "a=%d", 1);
	ctlproto_kv_str(&o, "uri", "x\ny");
	ctlproto_end_ok(&o);
	assert_string_equal(buf, "a=1\nuri=x\\ny\nok\n");
	assert_int_equal(o.len, strlen(buf));

	/* lines that no longer fit: left out, and the answer is an error */
	ctlproto_out_init(&o, buf, sizeof(buf));
	ctlproto_line(&o, "0123456789012345678901234");
	ctlproto_line(&o, "0123456789");
	ctlproto_end_ok(&o);
	assert_string_equal(buf, "0123456789012345678901234\n"
	    "error: answer too long\n");

	ctlproto_out_init(&o, buf, sizeof(buf));
	ctlproto_line(&o, "x");
	ctlproto_end_error(&o, "no session '%s'", "a\nb");
	assert_string_equal(buf, "x\nerror: no session 'a\\nb'\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_commands),
		cmocka_unit_test(test_session_commands),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_bytes),
		cmocka_unit_test(test_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
