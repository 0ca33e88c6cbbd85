/*
 * test_words.c - unit tests for words.c: the shell-word lexer behind
 * --pipeout, --post-rotate and the lzop fallback.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "words.h"

/* --- words_split ------------------------------------------------------ */

/* Split cmd and compare with the NULL-terminated expected words. */
static void
check_words(const char *cmd, ...)
{
	char err[256] = "";
	char **w = words_split(cmd, err, sizeof(err));
	va_list ap;
	const char *want;
	size_t i = 0;

	if (w == NULL)
		fail_msg("split of [%s] failed: %s", cmd, err);
	va_start(ap, cmd);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (w[i] == NULL || strcmp(w[i], want) != 0) {
			va_end(ap);
			fail_msg("[%s]: word %zu is [%s], expected [%s]", cmd,
			    i, w[i] != NULL ? w[i] : "(none)", want);
		}
		i++;
	}
	va_end(ap);
	if (w[i] != NULL)
		fail_msg("[%s]: extra word [%s]", cmd, w[i]);
	words_free(w);
}

#define WORDS(cmd, ...) \
	check_words((cmd), __VA_ARGS__, (const char *)NULL)

static void
check_split_fails(const char *cmd, const char *frag)
{
	char err[256] = "";
	char **w = words_split(cmd, err, sizeof(err));

	if (w != NULL) {
		words_free(w);
		fail_msg("split of [%s] succeeded", cmd);
	}
	if (strstr(err, frag) == NULL)
		fail_msg("[%s]: error '%s' lacks '%s'", cmd, err, frag);
}

static void
test_split_words(void **state)
{
	(void)state;
	WORDS("gzip", "gzip");
	WORDS("gzip -c -9", "gzip", "-c", "-9");
	WORDS("  a \t b\nc  ", "a", "b", "c");
	WORDS("a b c d e f g h", "a", "b", "c", "d", "e", "f", "g", "h");
	/* single quotes: everything literal */
	WORDS("'a b' c", "a b", "c");
	WORDS("'a\\b \"c\"'", "a\\b \"c\"");
	WORDS("x'y z'w", "xy zw");
	WORDS("''", "");
	WORDS("'' '' ''", "", "", "");
	WORDS("a '' b", "a", "", "b");
	/* double quotes: \" and \\ are escapes, other backslashes stay */
	WORDS("\"a b\"", "a b");
	WORDS("\"a \\\" b\"", "a \" b");
	WORDS("\"a\\\\b\"", "a\\b");
	WORDS("\"a\\nb\"", "a\\nb");
	WORDS("\"it's\"", "it's");
	WORDS("'say \"hi\"'", "say \"hi\"");
	WORDS("\"$HOME\" `x` *", "$HOME", "`x`", "*");	/* no expansion */
	/* backslash outside quotes escapes any one character */
	WORDS("a\\ b", "a b");
	WORDS("\\'x", "'x");
	WORDS("\\\\", "\\");
	WORDS("a\\\"b", "a\"b");
	WORDS("xz -T0 --stdout", "xz", "-T0", "--stdout");

	check_split_fails("'abc", "unbalanced");
	check_split_fails("a 'b c", "'a 'b c'");
	check_split_fails("\"abc", "unbalanced");
	check_split_fails("\"a\\\"", "unbalanced");
	check_split_fails("abc\\", "unbalanced");
	check_split_fails("", "empty");
	check_split_fails("   \t\n", "empty");
	words_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
