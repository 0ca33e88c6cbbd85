/*
 * retain_scan.h - the disk bounds' inventory of the output directory
 * and the arithmetic they decide by (retain.c uses both; the pure parts
 * are unit-tested).
 *
 * The candidates are the completed segments of this configuration
 * (naming_parse_segment with --file-ext), each with its manifest
 * NAME.json when there is one; anything else in DIR is never one: other
 * names, directories, symbolic links, NAME.failed, the temp files.  The
 * temp files of this process (tmp-<our pid>-<segment>) are the files
 * being written or completed: they count towards the bounds but are never
 * deleted.  Oldest first: with -N by sequence number in cyclic order
 * after the newest one (they wrap at NAMING_SEQ_MAX), ties by the time in
 * the name; without -N (every run starts at 0) by the time in the name,
 * ties by sequence number; then the ".N" of a clash, then the name.
 */
#ifndef MTRACECAP_RETAIN_SCAN_H
#define MTRACECAP_RETAIN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "naming.h"
#include "options_value.h"
#include "stats.h"

/* One candidate: a completed segment (and its manifest). */
struct retain_entry {
	size_t		 name;		/* offset of its name in names */
	struct naming_parsed p;
	uint64_t	 key[3];	/* retain_order_keys: smaller is older */
	uint64_t	 bytes;		/* st_size of NAME */
	uint64_t	 json_bytes;	/* st_size of NAME.json, 0: none */
	bool		 has_json;
	bool		 gone;		/* deleted (or vanished) meanwhile */
};

/* DIR as one scan saw it. */
struct retain_inventory {
	struct retain_entry *e;		/* n of them, cap allocated */
	size_t		 n, cap;
	char		*names;		/* NUL-terminated names, len used */
	size_t		 len, names_cap;
	size_t		 inflight;	/* our temp files (segments) */
	uint64_t	 inflight_bytes;	/* their st_size */
	bool		 cur_seen;	/* cur_base's temp file is among them */
	uint64_t	 cur_bytes;	/* ...and its st_size */
};

/* The name of entry e of inv. */
static inline const char *
retain_name(const struct retain_inventory *inv, const struct retain_entry *e)
{
	return inv->names + e->name;
}

/*
 * List dir into inv (emptied first; its memory reused): the candidates
 * for extension ext and the temp files of pid (cur_base, if not NULL, is
 * the base name of the file being written).  0, or -1 with err naming
 * dir (opendir failed or out of memory; inv then holds what was read).
 * A file that vanishes while it is read is skipped.
 */
int retain_scan(const char *dir, const char *ext, pid_t pid,
    const char *cur_base, struct retain_inventory *inv, char *err,
    size_t errlen);
/* Free inv's memory (inv itself is the caller's). */
void retain_inventory_free(struct retain_inventory *inv);

/* Order inv's candidates oldest first (see above; newest_seq: the -N
 * sequence number of the newest file, by_seq: -N is given). */
void retain_sort(struct retain_inventory *inv, bool by_seq,
    uint32_t newest_seq);

/* Pure: the sort keys of a name (smaller key[0], then key[1], key[2]:
 * older). */
void retain_order_keys(const struct naming_parsed *p, bool by_seq,
    uint32_t newest_seq, uint64_t key[3]);

/* Pure: --min-free in bytes on a file system of total bytes. */
uint64_t retain_min_free_bytes(const struct options_min_free *m,
    uint64_t total);
/*
 * Pure: how much more than min_free the deletions aim to leave free, so
 * that the writer does not meet its budget at every file: one -S file
 * (file_bytes, 0 = no -S), else an eighth of the space above min_free;
 * at least 1 MiB.
 */
uint64_t retain_headroom(uint64_t file_bytes, uint64_t total,
    uint64_t min_free);
/* Pure: bytes the writer may still hand to its output when free bytes
 * are free: free - min_free - slack, 0 if that is not positive. */
uint64_t retain_budget(uint64_t free, uint64_t min_free, uint64_t slack);
/*
 * Pure: what the budget keeps back for what free space does not show
 * yet: the current output's buffer (bufsize), the buffers of the other
 * files still being completed (others of them), a manifest's estimate
 * with --manifest.
 */
uint64_t retain_slack(uint64_t bufsize, size_t others, bool manifest);
/* Pure: v as the shortest exact SIZE (k/M/G/T, 1024-based): "8M",
 * "1536k", "1000000"; into buf. */
const char *retain_size_text(uint64_t v, char *buf, size_t len);

/* Pure: bound b as the log names it ("--max-files 5", "--max-bytes 5M",
 * "--min-free 10%"): v is its value (--min-free's is m). */
const char *retain_bound_text(enum stats_bound b, uint64_t v,
    const struct options_min_free *m, char *buf, size_t len);

#endif
