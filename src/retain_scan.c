/*
 * retain_scan.c - the disk bounds' inventory of DIR (one readdir pass,
 * candidates and our temp files), their order, and the arithmetic of
 * the bounds.  See retain_scan.h.  Called by retain.c on its thread
 * (and once on the main thread before it starts); no state of its own.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "retain_scan.h"

#define MIB		(1024u * 1024u)
#define MANIFEST_EST	(64u * 1024u)	/* a manifest's bytes, generously */

void
retain_order_keys(const struct naming_parsed *p, bool by_seq,
    uint32_t newest_seq, uint64_t key[3])
{
	uint64_t m = (uint64_t)NAMING_SEQ_MAX + 1;
	/* how many numbers after p->seq the newest one comes */
	uint64_t behind = ((uint64_t)newest_seq % m + m - p->seq % m) % m;

	if (by_seq) {
		key[0] = m - 1 - behind;	/* farthest behind: oldest */
		key[1] = p->time_key;
	} else {
		key[0] = p->time_key;
		key[1] = p->seq;
	}
	key[2] = p->clash;
}

static int
cmp_age(const void *x, const void *y, void *arg)
{
	const struct retain_entry *a = x, *b = y;

	for (int k = 0; k < 3; k++)
		if (a->key[k] != b->key[k])
			return a->key[k] < b->key[k] ? -1 : 1;
	return strcmp(retain_name(arg, a), retain_name(arg, b));
}

static int
cmp_name(const void *x, const void *y, void *arg)
{
	const struct retain_entry *a = x, *b = y;

	return strcmp(retain_name(arg, a), retain_name(arg, b));
}

void
retain_sort(struct retain_inventory *inv, bool by_seq, uint32_t newest_seq)
{
	for (size_t i = 0; i < inv->n; i++)
		retain_order_keys(&inv->e[i].p, by_seq, newest_seq,
		    inv->e[i].key);
	if (inv->n > 1)		/* (e may be NULL when empty) */
		qsort_r(inv->e, inv->n, sizeof(*inv->e), cmp_age, inv);
}

uint64_t
retain_min_free_bytes(const struct options_min_free *m, uint64_t total)
{
	if (m->pct != 0)
		return (uint64_t)((unsigned __int128)total * m->pct / 100);
	return m->bytes;
}

uint64_t
retain_headroom(uint64_t file_bytes, uint64_t total, uint64_t min_free)
{
	uint64_t h = file_bytes;

	if (h == 0)
		h = total > min_free ? (total - min_free) / 8 : 0;
	return h > MIB ? h : MIB;
}

uint64_t
retain_budget(uint64_t free, uint64_t min_free, uint64_t slack)
{
	if (min_free > UINT64_MAX - slack || free <= min_free + slack)
		return 0;
	return free - min_free - slack;
}

uint64_t
retain_slack(uint64_t bufsize, size_t others, bool manifest)
{
	return bufsize + (uint64_t)others * bufsize +
	    (manifest ? (uint64_t)(others + 1) * MANIFEST_EST : 0);
}

const char *
retain_size_text(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "kMGT";
	int u = -1;

	while (v != 0 && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[u]);
	return buf;
}

const char *
retain_bound_text(enum stats_bound b, uint64_t v,
    const struct options_min_free *m, char *buf, size_t len)
{
	char size[32];

	if (b == STATS_BOUND_FILES)
		snprintf(buf, len, "--max-files %" PRIu64, v);
	else if (b == STATS_BOUND_BYTES)
		snprintf(buf, len, "--max-bytes %s", retain_size_text(v, size,
		    sizeof(size)));
	else if (m->pct != 0)
		snprintf(buf, len, "--min-free %u%%", m->pct);
	else
		snprintf(buf, len, "--min-free %s", retain_size_text(m->bytes,
		    size, sizeof(size)));
	return buf;
}

/* Room for one more entry and name of nlen bytes.  0, or -1. */
static int
grow(struct retain_inventory *inv, size_t nlen)
{
	if (inv->n == inv->cap) {
		size_t cap = inv->cap != 0 ? inv->cap * 2 : 64;
		struct retain_entry *e = realloc(inv->e, cap * sizeof(*e));

		if (e == NULL)
			return -1;
		inv->e = e;
		inv->cap = cap;
	}
	if (inv->len + nlen + 1 > inv->names_cap) {
		size_t cap = inv->names_cap != 0 ? inv->names_cap : 4096;
		char *p;

		while (cap < inv->len + nlen + 1)
			cap *= 2;
		if ((p = realloc(inv->names, cap)) == NULL)
			return -1;
		inv->names = p;
		inv->names_cap = cap;
	}
	return 0;
}

/*
 * Add name (a segment or a manifest, parsed as p, of st_size size).
 * 0, or -1 out of memory.
 */
static int
add(struct retain_inventory *inv, const char *name,
    const struct naming_parsed *p, uint64_t size)
{
	size_t nlen = strlen(name);
	struct retain_entry *e;

	if (grow(inv, nlen) != 0)
		return -1;
	e = &inv->e[inv->n++];
	memset(e, 0, sizeof(*e));
	e->name = inv->len;
	memcpy(inv->names + inv->len, name, nlen + 1);
	inv->len += nlen + 1;
	e->p = *p;
	e->bytes = size;
	return 0;
}

/* Is name a regular file in dirfd (not a link, a directory...)?  Its
 * st_size into *size. */
static bool
regular(int dirfd, const struct dirent *d, uint64_t *size)
{
	struct stat st;

	if (d->d_type != DT_REG && d->d_type != DT_UNKNOWN)
		return false;
	if (fstatat(dirfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	*size = (uint64_t)st.st_size;
	return true;
}

/* A temp file of pid being written or completed: count it. */
static void
count_temp(struct retain_inventory *inv, const char *name, const char *ext,
    pid_t pid, const char *cur_base, uint64_t size)
{
	struct naming_parsed p;
	const char *base;
	long tpid;

	if (naming_parse_temp(name, &tpid, &base) != NAMING_TEMP ||
	    tpid != (long)pid || !naming_parse_segment(base, ext, &p) ||
	    p.manifest)
		return;
	inv->inflight++;
	inv->inflight_bytes += size;
	if (cur_base != NULL && strcmp(base, cur_base) == 0) {
		inv->cur_seen = true;
		inv->cur_bytes = size;
	}
}

/*
 * The manifests found are entries too: give each to its segment (same
 * name without ".json") and drop them all (one without its segment is
 * no candidate: never any other name).
 */
static void
attach_manifests(struct retain_inventory *inv)
{
	size_t nseg = 0, k;

	/* segments first, by name */
	for (size_t i = 0; i < inv->n; i++) {
		if (!inv->e[i].p.manifest) {
			struct retain_entry t = inv->e[nseg];

			inv->e[nseg++] = inv->e[i];
			inv->e[i] = t;
		}
	}
	k = inv->n;
	inv->n = nseg;
	if (inv->n > 1)
		qsort_r(inv->e, inv->n, sizeof(*inv->e), cmp_name, inv);
	for (size_t i = nseg; i < k; i++) {
		const struct retain_entry *m = &inv->e[i];
		const char *mname = retain_name(inv, m);
		size_t lo = 0, hi = nseg, blen = strlen(mname) - 5;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const char *s = retain_name(inv, &inv->e[mid]);
			int c = strncmp(s, mname, blen);

			if (c == 0 && s[blen] != '\0')
				c = 1;	/* s is longer: after the base */
			if (c == 0) {
				inv->e[mid].has_json = true;
				inv->e[mid].json_bytes = m->bytes;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
}

int
retain_scan(const char *dir, const char *ext, pid_t pid,
    const char *cur_base, struct retain_inventory *inv, char *err,
    size_t errlen)
{
	struct naming_parsed p;
	struct dirent *d;
	uint64_t size;
	DIR *dp;
	int rc = 0;

	inv->n = inv->len = inv->inflight = 0;
	inv->inflight_bytes = inv->cur_bytes = 0;
	inv->cur_seen = false;
	if ((dp = opendir(dir)) == NULL) {
		log_seterr(err, errlen, "cannot list '%s' for the disk "
		    "bounds: %s", dir, strerror(errno));
		return -1;
	}
	while ((errno = 0, d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.' || !regular(dirfd(dp), d, &size))
			continue;
		if (naming_parse_segment(d->d_name, ext, &p)) {
			if (add(inv, d->d_name, &p, size) != 0) {
				log_seterr(err, errlen, "cannot list '%s' "
				    "for the disk bounds: out of memory", dir);
				rc = -1;
				break;
			}
		} else {
			count_temp(inv, d->d_name, ext, pid, cur_base, size);
		}
	}
	if (rc == 0 && d == NULL && errno != 0) {
		log_seterr(err, errlen, "cannot list '%s' for the disk bounds: "
		    "%s", dir, strerror(errno));
		rc = -1;
	}
	(void)closedir(dp);
	attach_manifests(inv);
	return rc;
}

void
retain_inventory_free(struct retain_inventory *inv)
{
	free(inv->e);
	free(inv->names);
	memset(inv, 0, sizeof(*inv));
}
