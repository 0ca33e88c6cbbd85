/*
 * words.h - the shell-word lexer for --pipeout, --post-rotate and the
 * lzop fallback: a command string split into an argv, no shell involved.
 */
#ifndef MTRACECAP_WORDS_H
#define MTRACECAP_WORDS_H

#include <stddef.h>

/*
 * Split a command into words: blanks separate words, single quotes keep
 * everything literal, double quotes and backslashes work as in sh (no
 * expansion of any kind).  Returns a NULL-terminated, malloc'ed vector the
 * caller frees with words_free(), or NULL with err filled.
 */
char **words_split(const char *cmd, char *err, size_t errlen);

/* Free what words_split() returned; words_free(NULL) is a no-op. */
void words_free(char **words);

#endif
