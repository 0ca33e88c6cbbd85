/*
 * fuzz_recover.c - libFuzzer harness for crash recovery (recover.c).
 *
 * The input is what a crashed run left: it is written as
 * DIR/tmp-<pid>-<name> (a pid no process has) and recover_dir() runs on
 * DIR.  Checks, for the usual name:
 * - an empty file is removed;
 * - a plain pcap or pcapng file either becomes <name>, cut to exactly the prefix
 *   that salvage_prefix() finds in the same bytes (which it must
 *   leave unchanged), or is kept whole as <name>.failed; the latter only
 *   when what follows the prefix is more than a partial record header
 *   and not all zeros (a crash or a power loss leaves no more than that);
 * - a file that is neither pcap nor compressed is kept whole as
 *   <name>.failed;
 * - a compressed one ends as <name> or <name>.failed;
 * - no tmp- file is left in any case.
 * With the first byte 0xff the next byte gives the length of a name taken
 * from the input (to fuzz the parsing of temp names: the pid in it may
 * even be running); then only the absence of crashes is checked.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recover.h"
#include "salvage.h"
#include "fuzz_common.h"

#define NAME	"20240101-000000-00000001.pcap"
#define TMPNAME	"tmp-4194305-" NAME	/* above any Linux pid_max */

struct seen {
	int	n;
	char	path[PATH_MAX];
};

static void
on_recovered(const char *path, void *arg)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->path, sizeof(s->path), "%s", path);
}

static int
is_compressed(const uint8_t *m, size_t n)
{
	return (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
	    (n >= 3 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') ||
	    (n >= 4 && m[0] == 0xfd && m[1] == '7' && m[2] == 'z' &&
	    m[3] == 'X');
}

static int
is_pcap(const uint8_t *m, size_t n)
{
	static const uint8_t magic[4][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
	};

	for (int i = 0; i < 4 && n >= 4; i++)
		if (memcmp(m, magic[i], 4) == 0)
			return 1;
	return 0;
}

/* A pcapng section header's block type (its magic), either byte order. */
static int
is_pcapng(const uint8_t *m, size_t n)
{
	return n >= 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d &&
	    m[3] == 0x0a;
}

/* Number of entries in dir; with no_tmp, no name may start with tmp-. */
static int
count_entries(const char *dir, int no_tmp)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	FUZZ_CHECK(d != NULL);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		FUZZ_CHECK(!no_tmp || strncmp(de->d_name, "tmp-", 4) != 0);
		n++;
	}
	closedir(d);
	return n;
}

/* The file holds exactly len bytes of data. */
static void
check_file(const char *path, const uint8_t *data, size_t len)
{
	size_t glen = 0;
	unsigned char *got = fuzz_read_file(path, &glen);

	FUZZ_CHECK(got != NULL);
	FUZZ_CHECK(glen == len && memcmp(got, data, len) == 0);
	free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir();
	char path[PATH_MAX], want[PATH_MAX], failed[PATH_MAX];
	char err[PATH_MAX + 256];
	struct seen seen = { 0, "" };
	unsigned char *copy;
	uint64_t records = 0;
	size_t prefix;
	int rc;

	if (size >= 2 && data[0] == 0xff) {
		/* a fuzzed name: "tmp-" then up to 251 bytes (NAME_MAX is
		 * 255), no '/' or NUL */
		char name[256] = "tmp-";
		size_t n = data[1] < size - 2 ? data[1] : size - 2;

		if (n > sizeof(name) - 5)
			n = sizeof(name) - 5;
		for (size_t i = 0; i < n; i++)
			name[4 + i] = (data[2 + i] == '/' || data[2 + i] == 0) ?
			    '_' : (char)data[2 + i];
		name[4 + n] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		fuzz_write_file(path, data + 2 + n, size - 2 - n);
		rc = recover_dir(dir, on_recovered, &seen, err, sizeof(err));
		FUZZ_CHECK(rc >= 0 && rc == seen.n && rc <= 1);
		FUZZ_CHECK(count_entries(dir, 0) <= 1);
		fuzz_rmdir_contents(dir);
		return 0;
	}

	snprintf(path, sizeof(path), "%s/" TMPNAME, dir);
	fuzz_write_file(path, data, size);
	rc = recover_dir(dir, on_recovered, &seen, err, sizeof(err));
	FUZZ_CHECK(rc >= 0 && rc == seen.n && rc <= 1);

	/* the scanner alone, on an exact-size copy */
	copy = malloc(size ? size : 1);
	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, size);
	prefix = salvage_prefix(copy, size, &records);
	FUZZ_CHECK(prefix <= size);
	FUZZ_CHECK(memcmp(copy, data, size) == 0);
	/* a pcap header and records of 16 bytes at least, or a pcapng SHB
	 * and packet blocks of 32 */
	if (prefix > 0 && is_pcapng(data, size))
		FUZZ_CHECK(prefix >= 28 && records <= (prefix - 28) / 32);
	else if (prefix > 0)
		FUZZ_CHECK(is_pcap(data, size) && prefix >= 24 &&
		    records <= (prefix - 24) / 16);
	free(copy);

	snprintf(want, sizeof(want), "%s/" NAME, dir);
	snprintf(failed, sizeof(failed), "%s/" NAME ".failed", dir);
	if (size == 0) {
		FUZZ_CHECK(rc == 0 && count_entries(dir, 1) == 0);
	} else if ((is_pcap(data, size) || is_pcapng(data, size)) &&
	    prefix > 0) {
		/* what starts a record: pcap's header, pcapng's type and
		 * length */
		size_t rechdr = is_pcapng(data, size) ? 8 : 16;
		int zeros = 1;

		for (size_t i = prefix; i < size && zeros; i++)
			zeros = data[i] == 0;
		if (size - prefix < rechdr || zeros)
			FUZZ_CHECK(rc == 1);
		if (rc == 1) {
			FUZZ_CHECK(strcmp(seen.path, want) == 0);
			check_file(want, data, prefix);
		} else {
			check_file(failed, data, size);
		}
		FUZZ_CHECK(count_entries(dir, 1) == 1);
	} else if (!is_compressed(data, size)) {
		FUZZ_CHECK(rc == 0);
		check_file(failed, data, size);
		FUZZ_CHECK(count_entries(dir, 1) == 1);
	} else {
		FUZZ_CHECK(count_entries(dir, 1) == 1);
		if (rc == 1)
			FUZZ_CHECK(strcmp(seen.path, want) == 0);
		else
			FUZZ_CHECK(access(failed, F_OK) == 0);
	}
	fuzz_rmdir_contents(dir);
	return 0;
}
