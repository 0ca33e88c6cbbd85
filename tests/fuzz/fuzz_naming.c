/*
 * fuzz_naming.c - libFuzzer harness for the file names (naming.c).
 *
 * Input: 8 bytes time_t, 4 bytes sequence number, 4 bytes pid, 1 byte
 * flags (bit 0 UTC, bit 1 no extension), 2 bytes buffer length, then the
 * directory and the extension separated by a NUL.  Each name is formatted
 * into a heap block of exactly the given length (ASan catches any write
 * past it) and compared with what a large buffer holds.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "naming.h"
#include "fuzz_common.h"

#define BIG	70000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* local time with DST rules that need no zoneinfo file */
	setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
	tzset();
	return 0;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char big[BIG];
	char suffix[64];
	int64_t t64;
	uint32_t seq, upid;
	uint16_t blen;
	uint8_t flags;
	const uint8_t *nul;
	char *dir, *ext, *buf;
	size_t dlen;
	int rc, rbig;

	if (size < 19)
		return 0;
	memcpy(&t64, data, 8);
	memcpy(&seq, data + 8, 4);
	memcpy(&upid, data + 12, 4);
	flags = data[16];
	memcpy(&blen, data + 17, 2);
	data += 19;
	size -= 19;
	nul = memchr(data, '\0', size);
	dlen = nul != NULL ? (size_t)(nul - data) : size;
	dir = strndup((const char *)data, dlen);
	ext = nul != NULL ? strndup((const char *)nul + 1,
	    size - dlen - 1) : strdup("");
	FUZZ_CHECK(dir != NULL && ext != NULL);
	buf = malloc(blen);
	FUZZ_CHECK(buf != NULL || blen == 0);

	/* segment names */
	rbig = naming_segment(big, sizeof(big), dir, (time_t)t64, flags & 1,
	    seq, (flags & 2) ? NULL : ext);
	rc = naming_segment(buf, blen, dir, (time_t)t64, flags & 1, seq,
	    (flags & 2) ? NULL : ext);
	if (rbig == 0) {
		size_t n = strlen(big);

		FUZZ_CHECK(strncmp(big, dir, dlen) == 0);
		snprintf(suffix, sizeof(suffix), "-%08u",
		    (unsigned)(seq % (NAMING_SEQ_MAX + 1)));
		FUZZ_CHECK(strstr(big + dlen, suffix) != NULL);
		FUZZ_CHECK(ends_with(big, (flags & 2) ? "" : ext));
		FUZZ_CHECK(rc == (n < blen ? 0 : -1));
		if (rc == 0)
			FUZZ_CHECK(strcmp(buf, big) == 0);
	} else {
		FUZZ_CHECK(rc == -1);
	}

	/* temp names: dir is taken as the final path */
	rbig = naming_temp(big, sizeof(big), dir, (pid_t)upid);
	rc = naming_temp(buf, blen, dir, (pid_t)upid);
	if (rbig == 0) {
		const char *slash = strrchr(dir, '/');
		size_t pre = slash != NULL ? (size_t)(slash - dir) + 1 : 0;

		snprintf(suffix, sizeof(suffix), "tmp-%ld-", (long)(pid_t)upid);
		FUZZ_CHECK(strncmp(big, dir, pre) == 0);
		FUZZ_CHECK(strncmp(big + pre, suffix, strlen(suffix)) == 0);
		FUZZ_CHECK(strcmp(big + pre + strlen(suffix), dir + pre) == 0);
		FUZZ_CHECK(rc == (strlen(big) < blen ? 0 : -1));
		if (rc == 0)
			FUZZ_CHECK(strcmp(buf, big) == 0);
	} else {
		FUZZ_CHECK(rc == -1);
	}

	/* the sequence wraps after NAMING_SEQ_MAX */
	{
		uint32_t next = naming_next_seq(seq);

		FUZZ_CHECK(next <= NAMING_SEQ_MAX);
		FUZZ_CHECK(seq >= NAMING_SEQ_MAX ? next == 0 : next == seq + 1);
	}
	free(buf);
	free(dir);
	free(ext);
	return 0;
}
