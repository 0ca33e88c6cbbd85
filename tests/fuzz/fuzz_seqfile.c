/*
 * fuzz_seqfile.c - libFuzzer harness for the -N sequence file (seqfile.c).
 *
 * The input is written as a seqfile and loaded; the result must agree with
 * seqfile_parse() on the same bytes and with an independent reading of
 * the format (decimal 0..NAMING_SEQ_MAX, one newline, at most 32 bytes;
 * an empty file means 0).  Then a number taken from the input is saved
 * and loaded back.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "seqfile.h"
#include "fuzz_common.h"

/* The format, read independently: 1 valid (next set), 0 corrupt. */
static int
reference(const uint8_t *d, size_t n, uint32_t *next)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0) {
		*next = 0;
		return 1;
	}
	if (n > 32 || n < 2 || d[n - 1] != '\n')
		return 0;
	for (i = 0; i + 1 < n; i++) {
		if (d[i] < '0' || d[i] > '9')
			return 0;
		v = v * 10 + (d[i] - '0');
		if (v > NAMING_SEQ_MAX)
			return 0;
	}
	*next = v == NAMING_SEQ_MAX ? 0 : (uint32_t)v + 1;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[PATH_MAX], err[PATH_MAX + 256];
	uint32_t next = 12345, pnext = 54321, rnext = 0, seq;
	int rc, ok;

	snprintf(path, sizeof(path), "%s/seq", fuzz_tmpdir());
	fuzz_write_file(path, data, size);
	err[0] = '\0';
	rc = seqfile_load(path, &next, err, sizeof(err));
	ok = reference(data, size, &rnext);
	FUZZ_CHECK(rc == (ok ? 0 : -1));
	if (rc == 0)
		FUZZ_CHECK(next == rnext);
	else
		FUZZ_CHECK(strstr(err, path) != NULL);
	if (size <= 32) {
		char *copy = malloc(size ? size : 1);	/* exact size for ASan */

		FUZZ_CHECK(copy != NULL);
		memcpy(copy, data, size);
		rc = seqfile_parse(copy, size, &pnext, err, sizeof(err));
		FUZZ_CHECK(rc == (ok ? 0 : -1));
		if (rc == 0)
			FUZZ_CHECK(pnext == rnext);
		free(copy);
	}

	/* save and load back */
	seq = 0;
	if (size >= 4)
		memcpy(&seq, data, 4);
	seq %= NAMING_SEQ_MAX + 1;
	FUZZ_CHECK(seqfile_save(path, seq, err, sizeof(err)) == 0);
	FUZZ_CHECK(seqfile_load(path, &next, err, sizeof(err)) == 0);
	FUZZ_CHECK(next == naming_next_seq(seq));
	unlink(path);
	return 0;
}
