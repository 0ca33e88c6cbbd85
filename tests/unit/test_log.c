/*
 * test_log.c - unit tests for log.c's log_escape(): what every log line
 * and systemd STATUS goes through.  Printable ASCII and UTF-8 pass as
 * they are; control bytes, DEL, a backslash and bytes that are not part
 * of a printable UTF-8 character are escaped as vis(3) does in C style;
 * a short buffer cuts before an escape, never inside one.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"

static void
expect_escape(const char *in, const char *want)
{
	char out[256];
	size_t n = log_escape(out, sizeof(out), in);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void
test_cstyle(void **state)
{
	(void)state;
	expect_escape("", "");
	expect_escape("plain /var/cap/x.pcap 'q' \"d\" ~",
	    "plain /var/cap/x.pcap 'q' \"d\" ~");
	expect_escape("a\nb", "a\\nb");
	expect_escape("\t\r\a\b\v\f", "\\t\\r\\a\\b\\v\\f");
	expect_escape("back\\slash", "back\\\\slash");
	expect_escape("\\n", "\\\\n");		/* not a newline */
	expect_escape("\033[31mred", "\\033[31mred");
	expect_escape("\001\037\177", "\\001\\037\\177");
}

static void
test_every_byte(void **state)
{
	char in[2] = { 0, 0 }, out[8], want[8];

	(void)state;
	for (int c = 1; c < 256; c++) {
		in[0] = (char)c;
		log_escape(out, sizeof(out), in);
		if (c >= 0x20 && c < 0x7f && c != '\\')
			snprintf(want, sizeof(want), "%c", c);
		else if (strchr("\a\b\t\n\v\f\r\\", c) != NULL)
			continue;		/* test_cstyle */
		else
			snprintf(want, sizeof(want), "\\%03o", c);
		if (strcmp(out, want) != 0)
			fail_msg("byte 0x%02x: '%s', want '%s'", c, out, want);
	}
}

static void
test_utf8(void **state)
{
	(void)state;
	expect_escape("caf\xc3\xa9", "caf\xc3\xa9");		/* U+00E9 */
	expect_escape("\xc2\xa0", "\xc2\xa0");			/* U+00A0 */
	expect_escape("\xe2\x82\xac", "\xe2\x82\xac");		/* U+20AC */
	expect_escape("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");	/* U+1F600 */
	expect_escape("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");	/* U+10FFFF */
	/* C1 controls: U+009B is CSI on some terminals */
	expect_escape("\xc2\x9b", "\\302\\233");
	expect_escape("\xc2\x80", "\\302\\200");
	/* overlong, surrogate, past U+10FFFF, cut short, stray bytes */
	expect_escape("\xc0\xaf", "\\300\\257");
	expect_escape("\xe0\x80\xaf", "\\340\\200\\257");
	expect_escape("\xed\xa0\x80", "\\355\\240\\200");
	expect_escape("\xf4\x90\x80\x80", "\\364\\220\\200\\200");
	expect_escape("\xe2\x82", "\\342\\202");
	expect_escape("\xe2\x82x", "\\342\\202x");
	expect_escape("\x80\xff", "\\200\\377");
}

static void
test_short_buffer(void **state)
{
	char out[16];

	(void)state;
	/* "a\n" needs 4 bytes with the NUL: 3 keep only "a" */
	assert_int_equal(log_escape(out, 3, "a\nb"), 1);
	assert_string_equal(out, "a");
	assert_int_equal(log_escape(out, 4, "a\nb"), 3);
	assert_string_equal(out, "a\\n");
	/* an octal escape is 4 bytes: all or nothing */
	assert_int_equal(log_escape(out, 5, "x\033"), 1);
	assert_string_equal(out, "x");
	assert_int_equal(log_escape(out, 6, "x\033"), 5);
	/* a UTF-8 character is never split */
	assert_int_equal(log_escape(out, 3, "a\xe2\x82\xac"), 1);
	assert_string_equal(out, "a");
	assert_int_equal(log_escape(out, 1, "abc"), 0);
	assert_string_equal(out, "");
	out[0] = 'z';
	assert_int_equal(log_escape(out, 0, "abc"), 0);
	assert_int_equal(out[0], 'z');		/* untouched */
}

/* 4 * strlen + 1 bytes always hold the whole escaped text. */
static void
test_worst_case(void **state)
{
	char in[64], out[4 * sizeof(in)];

	(void)state;
	memset(in, '\033', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(log_escape(out, 4 * strlen(in) + 1, in),
	    4 * strlen(in));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cstyle),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_worst_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
