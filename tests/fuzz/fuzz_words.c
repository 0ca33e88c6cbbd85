/*
 * fuzz_words.c - libFuzzer harness for the command and URI splitting:
 * words_split() (--pipeout, --post-rotate) and the output URI
 * parser behind -B and outputuri (static in options.c, so reached through
 * options_parse()).
 *
 * The input, cut at its first NUL, is one command line.  Checks: a split
 * yields at least one word and no more than the input can hold; quoting
 * every word with single quotes and splitting again gives the same words
 * (the words are exactly what sh would pass); a parsed output path is a
 * non-empty tail of the URI.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "words.h"
#include "fuzz_common.h"

/* sh single-quoting of every word, blank-separated (malloc'ed). */
static char *
quote_words(char **w)
{
	size_t len = 1;
	char *out, *p;

	for (size_t i = 0; w[i] != NULL; i++)
		len += 4 * strlen(w[i]) + 3;
	out = malloc(len);
	FUZZ_CHECK(out != NULL);
	p = out;
	for (size_t i = 0; w[i] != NULL; i++) {
		if (i > 0)
			*p++ = ' ';
		*p++ = '\'';
		for (const char *c = w[i]; *c != '\0'; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	return out;
}

static void
check_split(const char *s)
{
	char err[256] = "";
	char **w = words_split(s, err, sizeof(err));
	char **again;
	char *q;
	size_t n = 0;

	if (w == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	for (; w[n] != NULL; n++)
		FUZZ_CHECK(strlen(w[n]) <= strlen(s));
	/* words are separated by at least one blank */
	FUZZ_CHECK(n >= 1 && n <= strlen(s) / 2 + 1);
	q = quote_words(w);
	again = words_split(q, err, sizeof(err));
	FUZZ_CHECK(again != NULL);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(again[i] != NULL && strcmp(again[i], w[i]) == 0);
	FUZZ_CHECK(again[n] == NULL);
	words_free(again);
	free(q);
	words_free(w);
}

static void
check_parse(char *s)
{
	char a0[] = "mtracecap", dashb[] = "-B", pipeout[] = "--pipeout";
	char out[] = "pcapfile:/o", in[] = "in.pcap";
	char *forms[3][6] = {
		{ a0, dashb, s, in, NULL },
		{ a0, s, in, NULL },
		{ a0, pipeout, s, out, in, NULL },
	};
	const int argcs[3] = { 4, 3, 5 };
	char err[512];
	struct config cfg;

	for (int f = 0; f < 3; f++) {
		err[0] = '\0';
		if (options_parse(argcs[f], forms[f], &cfg, err,
		    sizeof(err)) != 0) {
			FUZZ_CHECK(err[0] != '\0');
			continue;
		}
		/* (s starting with '-' is an option, not the outputuri) */
		if (cfg.action == ACTION_RUN && (f == 0 || (f == 1 &&
		    s[0] != '-')) && strcmp(s, cfg.output_path) != 0) {
			size_t ls = strlen(s), lp = strlen(cfg.output_path);

			/* "pcapfile:PATH" or "pcap:PATH" -> PATH */
			FUZZ_CHECK(lp >= 1 && lp < ls &&
			    strcmp(s + ls - lp, cfg.output_path) == 0 &&
			    s[ls - lp - 1] == ':');
		}
		if (cfg.action == ACTION_RUN && f == 2)
			FUZZ_CHECK(cfg.pipeout_argv != NULL &&
			    cfg.pipeout_argv[0] != NULL);
		options_free(&cfg);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t n = nul != NULL ? (size_t)(nul - data) : size;
	char *s = malloc(n + 1);

	FUZZ_CHECK(s != NULL);
	memcpy(s, data, n);
	s[n] = '\0';
	check_split(s);
	check_parse(s);
	free(s);
	return 0;
}
