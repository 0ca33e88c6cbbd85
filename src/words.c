/*
 * words.c - the shell-word lexer: a command string split into words the
 * way sh would split it, without any expansion (no shell ever runs).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "words.h"

void
words_free(char **words)
{
	if (words == NULL)
		return;
	for (char **w = words; *w != NULL; w++)
		free(*w);
	free(words);
}

char **
words_split(const char *cmd, char *err, size_t errlen)
{
	size_t len = strlen(cmd);
	/* at most len/2+1 words; each word at most len bytes */
	size_t maxwords = len / 2 + 2;
	char **words = calloc(maxwords, sizeof(*words));
	char *cur = malloc(len + 1);
	size_t nwords = 0, n = 0;
	const char *p = cmd;
	bool inword = false;

	if (words == NULL || cur == NULL) {
		log_seterr(err, errlen, "out of memory");
		goto fail;
	}
	while (*p != '\0') {
		char c = *p++;

		if (c == ' ' || c == '\t' || c == '\n') {
			if (inword) {
				cur[n] = '\0';
				if ((words[nwords++] = strdup(cur)) == NULL)
					goto oom;
				n = 0;
				inword = false;
			}
			continue;
		}
		inword = true;
		if (c == '\'') {
			while (*p != '\0' && *p != '\'')
				cur[n++] = *p++;
			if (*p != '\'')
				goto unbalanced;
			p++;
		} else if (c == '"') {
			while (*p != '\0' && *p != '"') {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				cur[n++] = *p++;
			}
			if (*p != '"')
				goto unbalanced;
			p++;
		} else if (c == '\\') {
			if (*p == '\0')
				goto unbalanced;
			cur[n++] = *p++;
		} else {
			cur[n++] = c;
		}
	}
	if (inword) {
		cur[n] = '\0';
		if ((words[nwords++] = strdup(cur)) == NULL)
			goto oom;
	}
	if (nwords == 0) {
		log_seterr(err, errlen, "empty command");
		goto fail;
	}
	free(cur);
	return words;
unbalanced:
	log_seterr(err, errlen, "unbalanced quote or trailing backslash in '%s'",
	    cmd);
	goto fail;
oom:
	log_seterr(err, errlen, "out of memory");
fail:
	free(cur);
	words_free(words);
	return NULL;
}
