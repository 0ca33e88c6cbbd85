/*
 * compress.c - the compression table and what is decided from it: names,
 * default levels, magic bytes, libwandio's writers, the probe that proves
 * a writer compresses, and the lzop fallback.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wandio.h>

#include "compress.h"
#include "log.h"
#include "spawn.h"
#include "words.h"

#if HAVE_DECL_WANDIO_COMPRESS_ZSTD
#define WANDIO_ZSTD	WANDIO_COMPRESS_ZSTD
#else
#define WANDIO_ZSTD	-1	/* libwandio < 4.2 has no such writer */
#endif
#if HAVE_DECL_WANDIO_COMPRESS_LZ4
#define WANDIO_LZ4	WANDIO_COMPRESS_LZ4
#else
#define WANDIO_LZ4	-1
#endif

/* Indexed by enum compress_type. */
static const struct compress_info table[] = {
	[COMPRESS_NONE] = { COMPRESS_NONE, "none", 0, WANDIO_COMPRESS_NONE,
	    NULL, { 0 }, 0 },
	[COMPRESS_GZ] = { COMPRESS_GZ, "gz", 6, WANDIO_COMPRESS_ZLIB,
	    "gzip", { 0x1f, 0x8b }, 2 },
	[COMPRESS_BZ2] = { COMPRESS_BZ2, "bz2", 9, WANDIO_COMPRESS_BZ2,
	    "bzip2", { 'B', 'Z', 'h' }, 3 },
	[COMPRESS_LZO] = { COMPRESS_LZO, "lzo", 1, WANDIO_COMPRESS_LZO,
	    "lzop", { 0x89, 'L', 'Z', 'O' }, 4 },
	[COMPRESS_XZ] = { COMPRESS_XZ, "xz", 6, WANDIO_COMPRESS_LZMA,
	    "xz", { 0xfd, '7', 'z', 'X' }, 4 },
	[COMPRESS_ZSTD] = { COMPRESS_ZSTD, "zstd", 3, WANDIO_ZSTD,
	    "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
	[COMPRESS_LZ4] = { COMPRESS_LZ4, "lz4", 1, WANDIO_LZ4,
	    "lz4", { 0x04, 0x22, 0x4d, 0x18 }, 4 },
};

#define NTYPES	(sizeof(table) / sizeof(table[0]))

const struct compress_info *
compress_info(enum compress_type t)
{
	return (size_t)t < NTYPES ? &table[t] : &table[COMPRESS_NONE];
}

const char *
compress_name(enum compress_type t)
{
	return (size_t)t < NTYPES ? table[t].name : "?";
}

int
compress_default_level(enum compress_type t)
{
	return compress_info(t)->default_level;
}

int
compress_from_name(const char *s, enum compress_type *t)
{
	static const struct {
		const char *name;
		enum compress_type type;
	} aliases[] = {
		{ "gzip", COMPRESS_GZ }, { "zlib", COMPRESS_GZ },
		{ "bzip2", COMPRESS_BZ2 }, { "lzma", COMPRESS_XZ },
		{ "no", COMPRESS_NONE },
	};

	for (size_t i = 0; i < NTYPES; i++) {
		if (strcmp(s, table[i].name) == 0) {
			*t = table[i].type;
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		if (strcmp(s, aliases[i].name) == 0) {
			*t = aliases[i].type;
			return 0;
		}
	}
	return -1;
}

const struct compress_info *
compress_sniff(const unsigned char *m, size_t n)
{
	for (size_t i = 0; i < NTYPES; i++) {
		const struct compress_info *c = &table[i];

		if (c->magic_len != 0 && n >= c->magic_len &&
		    memcmp(m, c->magic, c->magic_len) == 0)
			return c;
	}
	return NULL;
}

const struct compress_info *
compress_by_wandio(int wandio_type)
{
	if (wandio_type <= 0)	/* none, or a writer this libwandio lacks */
		return NULL;
	for (size_t i = 0; i < NTYPES; i++)
		if (table[i].wandio == wandio_type)
			return &table[i];
	return NULL;
}

int
compress_probe(enum compress_type t, int level, char *err, size_t errlen)
{
	static const unsigned char zeros[4096];
	const struct compress_info *c = compress_info(t);
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	unsigned char head[4] = { 0 };
	iow_t *iow;
	int fd, rc = -1;

	if (c->magic_len == 0 || c->wandio < 0) {
		log_seterr(err, errlen, "unknown compression type %d",
		    c->wandio);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mtracecap-probe-XXXXXX",
	    dir != NULL && *dir != '\0' ? dir : "/tmp");
	if ((fd = mkstemp(path)) < 0) {
		log_seterr(err, errlen, "cannot test libwandio's compressor "
		    "in '%s': %s", path, strerror(errno));
		return -1;
	}
	if ((iow = wandio_wcreate(path, c->wandio, level, 0)) != NULL) {
		(void)wandio_wwrite(iow, zeros, (off_t)sizeof(zeros));
		wandio_wdestroy(iow);
		if (pread(fd, head, sizeof(head), 0) >=
		    (ssize_t)c->magic_len &&
		    memcmp(head, c->magic, c->magic_len) == 0)
			rc = 0;
	}
	close(fd);
	unlink(path);
	if (rc != 0)
		log_seterr(err, errlen, "this libwandio cannot write that "
		    "compression type (it would write the file uncompressed)");
	return rc;
}

int
compress_choose(enum compress_type t, int level, bool type_given,
    int *wandio_type, char ***lzop_argv, char *err, size_t errlen)
{
	const struct compress_info *c = compress_info(t);
	const char *name = compress_name(t);
	char perr[256], cmd[32];

	*wandio_type = 0;
	*lzop_argv = NULL;
	if (t == COMPRESS_NONE)
		return 0;
	if (!type_given)
		log_warn("-z given without -Z: compressing with gzip, as "
		    "mtracecap 0.6 did");
	if (c->wandio < 0) {
		/* libwandio < 4.2 has no such writer */
		log_seterr(err, errlen, "invalid value '%s' for "
		    "-Z/--compress-type: this libwandio cannot write %s; use "
		    "--pipeout='%s -1' instead", name, name, name);
		return -1;
	}
	if (compress_probe(t, level, perr, sizeof(perr)) == 0) {
		*wandio_type = c->wandio;
		return 0;
	}
	if (t == COMPRESS_LZO) {
		char *lzop = spawn_resolve("lzop", NULL, 0);

		if (lzop != NULL) {
			free(lzop);
			snprintf(cmd, sizeof(cmd), "lzop -%d -c", level);
			*lzop_argv = words_split(cmd, err, errlen);
			if (*lzop_argv == NULL)
				return -1;
			log_info("-Z lzo: libwandio cannot write lzo here, "
			    "compressing with '%s' instead", cmd);
			return 0;
		}
	}
	log_seterr(err, errlen, "invalid value '%s' for -Z/--compress-type: "
	    "%s%s", name, perr, t == COMPRESS_LZO ?
	    "; install lzop or use --pipeout" : "");
	return -1;
}
