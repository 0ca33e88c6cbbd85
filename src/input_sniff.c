/*
 * input_sniff.c - what a URI names and what a file holds (see input_sniff.h).
 * The magic numbers come from their owners: pcapfile.h (classic pcap)
 * and compress.c (the compression table); pcapng's is here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "input_sniff.h"
#include "log.h"
#include "pcapfile.h"

/* libtrace URI prefixes of live sources; everything else is a file/stream */
static const char *const live_formats[] = {
	"ring", "int", "pcapint", "bpf", "dag", "dpdk", "pfring", "pfringzc",
	"pfringold", "xdp", "ndag", "etsilive", "rt", "legacypos", NULL,
};

/* a pcapng file starts with a section header block, type 0x0a0d0d0a */
static const unsigned char pcapng_magic[4] = { 0x0a, 0x0d, 0x0d, 0x0a };

size_t
input_sniff_format_len(const char *uri)
{
	const char *colon = strchr(uri, ':');

	if (colon == NULL || memchr(uri, '/', (size_t)(colon - uri)) != NULL)
		return 0;
	return (size_t)(colon - uri);
}

bool
input_sniff_has_format(const char *uri, const char *fmt)
{
	size_t n = input_sniff_format_len(uri);

	return n != 0 && strlen(fmt) == n && strncmp(uri, fmt, n) == 0;
}

bool
input_sniff_is_live(const char *uri)
{
	for (size_t i = 0; live_formats[i] != NULL; i++)
		if (input_sniff_has_format(uri, live_formats[i]))
			return true;
	return false;
}

const char *
input_sniff_decompressor(const unsigned char *m, size_t n)
{
	const struct compress_info *c = n >= 4 ? compress_sniff(m, n) : NULL;

	/* zstd and lz4 files are left to libtrace, as they always were */
	if (c == NULL || c->type == COMPRESS_ZSTD || c->type == COMPRESS_LZ4)
		return NULL;
	return c->tool;
}

enum in_kind
input_sniff_magic(const unsigned char *m, size_t n)
{
	uint32_t magic;
	bool swapped;

	if (n < 4)
		return IN_OTHER;
	if ((magic = pcapfile_magic(m, &swapped)) == PCAPFILE_MAGIC_US)
		return IN_PCAP_US;
	if (magic == PCAPFILE_MAGIC_NS)
		return IN_PCAP_NS;
	if (memcmp(m, pcapng_magic, sizeof(pcapng_magic)) == 0)
		return IN_PCAPNG;
	if (input_sniff_decompressor(m, n) != NULL)
		return IN_COMPRESSED;
	return IN_OTHER;
}

/* Kind of a regular file by its first bytes (which are read and lost). */
static enum in_kind
probe_file(const char *path, int *errnum)
{
	unsigned char m[4] = { 0 };
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		*errnum = errno;
		return IN_MISSING;
	}
	n = read(fd, m, sizeof(m));
	if (n < 0)
		*errnum = errno;
	close(fd);
	if (n < 0)
		return IN_MISSING;
	return input_sniff_magic(m, (size_t)n);
}

bool
input_sniff_path_is_stream(const char *path, int *errnum)
{
	struct stat st;

	if (strcmp(path, "-") == 0)
		return true;
	if (stat(path, &st) != 0) {
		*errnum = errno;
		return false;
	}
	return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

bool
input_sniff_is_libpcap_live(const char *uri)
{
	return input_sniff_has_format(uri, "pcapint") ||
	    input_sniff_has_format(uri, "ring") ||
	    input_sniff_has_format(uri, "int");
}

int
input_sniff_uri(const char *uri, bool libtrace_live, struct input_sniff *s,
    char *err, size_t errlen)
{
	const char *path = NULL;
	int errnum = 0;

	s->kind = IN_OTHER;
	s->stream = false;
	if (input_sniff_is_libpcap_live(uri) && !libtrace_live) {
		s->reader = INPUT_READER_LIVE;
		s->path = uri + input_sniff_format_len(uri) + 1;
		return 0;
	}
	if (input_sniff_has_format(uri, "pcapfile") ||
	    input_sniff_has_format(uri, "pcap") ||
	    input_sniff_has_format(uri, "pcapng"))
		path = uri + input_sniff_format_len(uri) + 1;
	else if (input_sniff_format_len(uri) == 0)
		path = uri;		/* bare path: libpcap if it is pcap */
	if (path != NULL) {
		/* pipes and devices cannot be read twice: no probe */
		s->stream = input_sniff_path_is_stream(path, &errnum);
		if (errnum == 0 && !s->stream)
			s->kind = probe_file(path, &errnum);
		if (errnum != 0) {
			log_seterr(err, errlen, "cannot open input '%s': %s",
			    uri, strerror(errnum));
			return -1;
		}
	}
	s->reader = INPUT_READER_LIBTRACE;
	s->path = NULL;
	if (path != NULL && (s->stream || s->kind != IN_OTHER || path != uri)) {
		s->reader = INPUT_READER_PCAPFILE;
		s->path = path;
	}
	return 0;
}
