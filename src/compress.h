/*
 * compress.h - the compression table: every type -Z names, its magic
 * bytes, the tool that reads it, libwandio's writer for it, the probe
 * that proves the writer compresses, and the lzop fallback.
 *
 * It knows nothing of the config, the inputs or the output; it uses
 * only log.c, words.c (the lzop command) and spawn.c (finding lzop).
 */
#ifndef MTRACECAP_COMPRESS_H
#define MTRACECAP_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

enum compress_type {
	COMPRESS_NONE = 0,
	COMPRESS_GZ,
	COMPRESS_BZ2,
	COMPRESS_LZO,
	COMPRESS_XZ,
	COMPRESS_ZSTD,		/* only with libwandio >= 4.2 */
	COMPRESS_LZ4,		/* only with libwandio >= 4.2 */
};

struct compress_info {
	enum compress_type type;
	const char	*name;		/* as -Z names it: "gz", ... */
	int		 default_level;	/* the tool's own default */
	int		 wandio;	/* WANDIO_COMPRESS_*; -1: no writer here */
	const char	*tool;		/* the command that decompresses it */
	unsigned char	 magic[4];	/* how a stream of it starts */
	size_t		 magic_len;	/* 0 for COMPRESS_NONE */
};

/* The row of t (never NULL: an unknown t gives the COMPRESS_NONE row). */
const struct compress_info *compress_info(enum compress_type t);

/* Name of t as -Z takes it ("none", "gz", ...), or "?". */
const char *compress_name(enum compress_type t);

/* The level -Z uses without -z: each tool's own default. */
int compress_default_level(enum compress_type t);

/* -Z's names and aliases (gzip, zlib, lzma, no, ...): 0, or -1 if unknown. */
int compress_from_name(const char *s, enum compress_type *t);

/* The compressed type whose magic starts m (n bytes), or NULL. */
const struct compress_info *compress_sniff(const unsigned char *m, size_t n);

/* The row whose libwandio writer is wandio_type, or NULL. */
const struct compress_info *compress_by_wandio(int wandio_type);

/*
 * Does libwandio really compress t at level?  Some builds (Debian's
 * libwandio1 for lzo) silently write plain data instead; this writes a
 * small file under $TMPDIR and checks its magic.  0 yes, -1 with err.
 */
int compress_probe(enum compress_type t, int level, char *err,
    size_t errlen);

/*
 * -Z/-z policy: map t to libwandio's writer (*wandio_type, 0 for none)
 * and make sure it compresses.  Where libwandio cannot write lzo, lzop
 * (if installed) does it as a --pipeout child: *lzop_argv (free with
 * words_free), *wandio_type 0.  type_given false (only -z) logs the gzip
 * warning.  Returns 0, or -1 with err naming the type (a usage error).
 */
int compress_choose(enum compress_type t, int level, bool type_given,
    int *wandio_type, char ***lzop_argv, char *err, size_t errlen);

#endif
