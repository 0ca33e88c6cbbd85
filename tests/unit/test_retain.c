/*
 * test_retain.c - unit tests for the disk bounds (retain_scan.c, and
 * retain.c's thread on a scratch directory): the order of candidates
 * with and without -N (sequence wrap, ties), what a scan takes for a
 * candidate and what it never does (other names, directories, links,
 * other processes' temp files), manifests with their files, the budget
 * arithmetic, and the thread deleting oldest first, sparing files that
 * await delivery, counting what it deleted, and the writer's
 * synchronous requests (run under TSan too).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "naming.h"
#include "options.h"
#include "retain.h"
#include "retain_scan.h"
#include "stats.h"
#include "testutil.h"

#define MIB	(1024ull * 1024ull)

static struct naming_parsed
parsed(const char *name)
{
	struct naming_parsed p;

	if (!naming_parse_segment(name, "", &p))
		fail_msg("'%s' is no segment name", name);
	return p;
}

/* Is a older than b by the keys? */
static bool
older(const char *a, const char *b, bool by_seq, uint32_t newest)
{
	struct naming_parsed pa = parsed(a), pb = parsed(b);
	uint64_t ka[3], kb[3];

	retain_order_keys(&pa, by_seq, newest, ka);
	retain_order_keys(&pb, by_seq, newest, kb);
	for (int k = 0; k < 3; k++)
		if (ka[k] != kb[k])
			return ka[k] < kb[k];
	return false;
}

/* With -N: cyclic after the newest; ties by time. */
static void
test_order_by_seq(void **state)
{
	(void)state;
	/* no wrap: plain sequence order, whatever the times say */
	assert_true(older("20260101-000010-00000003",
	    "20250101-000000-00000004", true, 9));
	/* wrapped: 99999998 came before 00000001 when 00000002 is newest */
	assert_true(older("20260101-000000-99999998",
	    "20260101-000001-00000001", true, 2));
	assert_true(older("20260101-000000-99999999",
	    "20260101-000001-00000000", true, 2));
	assert_false(older("20260101-000001-00000000",
	    "20260101-000000-99999999", true, 2));
	/* the newest itself is the youngest of all */
	assert_true(older("20260101-000000-00000003",
	    "20260101-000000-00000002", true, 2));
	assert_true(older("20260101-000000-00000001",
	    "20260101-000000-00000002", true, 2));
	/* the newest at the top of the range */
	assert_true(older("20260101-000000-00000000",
	    "20260101-000000-99999999", true, NAMING_SEQ_MAX));
	/* same number (two runs): the earlier time first, then the clash */
	assert_true(older("20260101-000000-00000005",
	    "20260102-000000-00000005", true, 9));
	assert_true(older("20260101-000000-00000005",
	    "20260101-000000-00000005.1", true, 9));
	assert_true(older("20260101-000000-00000005.2",
	    "20260101-000000-00000005.10", true, 9));
}

/* Without -N (every run starts at 0): by time, ties by sequence. */
static void
test_order_by_time(void **state)
{
	(void)state;
	assert_true(older("20260101-000000-00000007",
	    "20260101-000001-00000000", false, 0));
	assert_true(older("20251231-235959-00000009",
	    "20260101-000000-00000000", false, 0));
	assert_true(older("20260101-000000-00000001",
	    "20260101-000000-00000002", false, 0));
	assert_true(older("20260101-000000-00000001",
	    "20260101-000000-00000001.1", false, 0));
	assert_false(older("20260101-000001-00000000",
	    "20260101-000000-00000007", false, 0));
}

static void
make_file(const char *dir, const char *name, size_t bytes)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	for (size_t i = 0; i < bytes; i++)
		fputc('x', f);
	assert_int_equal(fclose(f), 0);
}

static bool
exists(const char *dir, const char *name)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* The inventory: candidates, their manifests, our temp files, nothing
 * else. */
static void
test_scan(void **state)
{
	struct retain_inventory inv = { 0 };
	char dir[512], name[128], err[256], sub[600];
	const char *cur = "20260101-000003-00000003.pcap";

	(void)state;
	assert_int_equal(testutil_mkdtemp(dir, sizeof(dir), "test_retain"),
	    0);
	make_file(dir, "20260101-000002-00000002.pcap", 20);
	make_file(dir, "20260101-000002-00000002.pcap.json", 3);
	make_file(dir, "20260101-000001-00000001.pcap", 10);
	make_file(dir, "20260101-000001-00000001.pcap.1", 11);
	make_file(dir, "20260101-000001-00000001.pcap.1.json", 4);
	/* a manifest without its file is nothing of ours to delete */
	make_file(dir, "20260101-000009-00000009.pcap.json", 5);
	/* never candidates */
	make_file(dir, "20260101-000000-00000000", 1);
	make_file(dir, "x-20260101-000000-00000001.pcap", 1);
	make_file(dir, "20260101-000000-00000001.pcap.failed", 1);
	make_file(dir, "20260101-000000-00000001.pcapng", 1);
	make_file(dir, ".20260101-000000-00000008.pcap", 1);
	snprintf(sub, sizeof(sub), "%s/20260101-000005-00000005.pcap", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/20260101-000006-00000006.pcap", dir);
	assert_int_equal(symlink("20260101-000001-00000001.pcap", sub), 0);
	/* temp files: ours count, another process's do not */
	snprintf(name, sizeof(name), "tmp-%ld-%s", (long)getpid(), cur);
	make_file(dir, name, 7);
	snprintf(name, sizeof(name), "tmp-%ld-20260101-000002-00000009.pcap",
	    (long)getpid());
	make_file(dir, name, 8);
	make_file(dir, "tmp-1-20260101-000004-00000004.pcap", 100);
	snprintf(name, sizeof(name), "tmp-manifest-%ld-%s.json",
	    (long)getpid(), cur);
	make_file(dir, name, 100);

	assert_int_equal(retain_scan(dir, ".pcap", getpid(), cur, &inv, err,
	    sizeof(err)), 0);
	retain_sort(&inv, false, 0);
	assert_int_equal(inv.n, 3);
	assert_string_equal(retain_name(&inv, &inv.e[0]),
	    "20260101-000001-00000001.pcap");
	assert_false(inv.e[0].has_json);
	assert_int_equal(inv.e[0].bytes, 10);
	assert_string_equal(retain_name(&inv, &inv.e[1]),
	    "20260101-000001-00000001.pcap.1");
	assert_true(inv.e[1].has_json);
	assert_int_equal(inv.e[1].json_bytes, 4);
	assert_string_equal(retain_name(&inv, &inv.e[2]),
	    "20260101-000002-00000002.pcap");
	assert_int_equal(inv.e[2].bytes, 20);
	assert_int_equal(inv.e[2].json_bytes, 3);
	assert_int_equal(inv.inflight, 2);
	assert_int_equal(inv.inflight_bytes, 15);
	assert_true(inv.cur_seen);
	assert_int_equal(inv.cur_bytes, 7);

	/* a second scan reuses the memory and starts afresh */
	assert_int_equal(retain_scan(dir, "", getpid(), NULL, &inv, err,
	    sizeof(err)), 0);
	assert_int_equal(inv.n, 1);
	assert_int_equal(inv.inflight, 0);
	assert_false(inv.cur_seen);
	retain_inventory_free(&inv);

	testutil_remove_tree(dir);
	assert_int_equal(retain_scan(dir, "", getpid(), NULL, &inv, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, dir));
	retain_inventory_free(&inv);
}

/* The arithmetic: --min-free in bytes, headroom, slack, budget. */
static void
test_budget(void **state)
{
	struct options_min_free m = { .bytes = 8 * MIB };
	char buf[32];

	(void)state;
	assert_int_equal(retain_min_free_bytes(&m, 24 * MIB), 8 * MIB);
	m = (struct options_min_free){ .pct = 10 };
	assert_int_equal(retain_min_free_bytes(&m, 1000000), 100000);
	/* no overflow on a huge file system */
	assert_int_equal(retain_min_free_bytes(&m, UINT64_MAX),
	    UINT64_MAX / 10);

	/* -S decides the headroom; else an eighth above min_free; >= 1 MiB */
	assert_int_equal(retain_headroom(5 * MIB, 100 * MIB, 8 * MIB),
	    5 * MIB);
	assert_int_equal(retain_headroom(0, 808 * MIB, 8 * MIB), 100 * MIB);
	assert_int_equal(retain_headroom(0, 10 * MIB, 8 * MIB), MIB);
	assert_int_equal(retain_headroom(1000, 10 * MIB, 8 * MIB), MIB);
	assert_int_equal(retain_headroom(0, 4 * MIB, 8 * MIB), MIB);

	/* one buffer, one per other file still being completed, manifests */
	assert_int_equal(retain_slack(MIB, 0, false), MIB);
	assert_int_equal(retain_slack(MIB, 2, false), 3 * MIB);
	assert_true(retain_slack(MIB, 0, true) > MIB);
	assert_true(retain_slack(MIB, 1, true) > retain_slack(MIB, 0, true) +
	    MIB);

	/* what may still be written */
	assert_int_equal(retain_budget(20 * MIB, 8 * MIB, MIB), 11 * MIB);
	assert_int_equal(retain_budget(9 * MIB, 8 * MIB, MIB), 0);
	assert_int_equal(retain_budget(8 * MIB, 8 * MIB, MIB), 0);
	assert_int_equal(retain_budget(MIB, 8 * MIB, MIB), 0);
	assert_int_equal(retain_budget(UINT64_MAX, UINT64_MAX, 1), 0);

	assert_string_equal(retain_size_text(8 * MIB, buf, sizeof(buf)),
	    "8M");
	assert_string_equal(retain_size_text(1536 * 1024, buf, sizeof(buf)),
	    "1536k");
	assert_string_equal(retain_size_text(3ull << 40, buf, sizeof(buf)),
	    "3T");
	assert_string_equal(retain_size_text(1ull << 50, buf, sizeof(buf)),
	    "1024T");
	assert_string_equal(retain_size_text(1000000, buf, sizeof(buf)),
	    "1000000");
	assert_string_equal(retain_size_text(0, buf, sizeof(buf)), "0");
	/* the bounds as the log lines name them */
	m = (struct options_min_free){ .pct = 10 };
	assert_string_equal(retain_bound_text(STATS_BOUND_FILES, 5, &m, buf,
	    sizeof(buf)), "--max-files 5");
	assert_string_equal(retain_bound_text(STATS_BOUND_BYTES, 5 * MIB, &m,
	    buf, sizeof(buf)), "--max-bytes 5M");
	assert_string_equal(retain_bound_text(STATS_BOUND_FREE, 0, &m, buf,
	    sizeof(buf)), "--min-free 10%");
	m = (struct options_min_free){ .bytes = 8 * MIB };
	assert_string_equal(retain_bound_text(STATS_BOUND_FREE, 0, &m, buf,
	    sizeof(buf)), "--min-free 8M");
}

/* is_pending: the names in a NULL-terminated list await delivery. */
static bool
pending_in(void *arg, const char *base)
{
	const char *const *names = arg;

	for (; *names != NULL; names++)
		if (strcmp(*names, base) == 0)
			return true;
	return false;
}

/*
 * The thread: the first pass (earlier runs' files) deletes the oldest
 * deletable ones down to --max-files, sparing the undelivered; then the
 * writer's request before a new file makes room for it; everything
 * deleted is counted.
 */
static void
test_thread_max_files(void **state)
{
	static const char *const undelivered[] = {
		"20260101-000000-00000000", NULL
	};
	struct config cfg = { 0 };
	struct stats st;
	struct stats_snapshot snap = { 0 };
	struct retain *r;
	char dir[512], err[256], path[600];

	(void)state;
	assert_int_equal(testutil_mkdtemp(dir, sizeof(dir), "test_retain"),
	    0);
	assert_int_equal(stats_init(&st, NULL, 0), 0);
	for (int i = 0; i < 6; i++) {
		char name[64];

		snprintf(name, sizeof(name), "20260101-00000%d-0000000%d", i,
		    i);
		make_file(dir, name, 100);
	}
	make_file(dir, "20260101-000001-00000001.json", 10);
	make_file(dir, "x-20260101-000000-00000001", 1);
	cfg.rotating = true;
	cfg.output_path = dir;
	cfg.file_ext = "";
	cfg.max_files = 4;
	r = retain_create(&cfg, &st, MIB, 0, pending_in,
	    (void *)undelivered, err, sizeof(err));
	assert_non_null(r);
	/* 0 awaits delivery: 1 and 2 went, with 1's manifest */
	assert_true(exists(dir, "20260101-000000-00000000"));
	assert_false(exists(dir, "20260101-000001-00000001"));
	assert_false(exists(dir, "20260101-000001-00000001.json"));
	assert_false(exists(dir, "20260101-000002-00000002"));
	assert_true(exists(dir, "20260101-000003-00000003"));
	assert_true(exists(dir, "x-20260101-000000-00000001"));

	/* before a new file: completed <= N - 1 */
	snprintf(path, sizeof(path), "%s/20260101-000006-00000006", dir);
	retain_before_file(r, path, 0);
	assert_false(exists(dir, "20260101-000003-00000003"));
	assert_true(exists(dir, "20260101-000004-00000004"));
	assert_true(exists(dir, "20260101-000000-00000000"));
	/* wakes from any thread are harmless */
	retain_file_done(r, path, 0);
	retain_wake(r);
	retain_wake(NULL);
	retain_destroy(r);
	retain_destroy(NULL);

	assert_non_null(snap.in = calloc(1, sizeof(*snap.in)));
	stats_snapshot(&st, &snap);
	assert_true(snap.disk_bounds);
	assert_int_equal(snap.deleted[STATS_BOUND_FILES], 3);
	assert_int_equal(snap.deleted[STATS_BOUND_BYTES], 0);
	assert_int_equal(snap.deleted_bytes, 310);
	free(snap.in);
	stats_destroy(&st);
	testutil_remove_tree(dir);
}

/* --max-bytes: the completed files' bytes (manifests too) <= SIZE. */
static void
test_thread_max_bytes(void **state)
{
	static const char *const none[] = { NULL };
	struct config cfg = { 0 };
	struct stats st;
	struct retain *r;
	char dir[512], err[256];

	(void)state;
	assert_int_equal(testutil_mkdtemp(dir, sizeof(dir), "test_retain"),
	    0);
	assert_int_equal(stats_init(&st, NULL, 0), 0);
	make_file(dir, "20260101-000000-00000000.pcap", 400);
	make_file(dir, "20260101-000001-00000001.pcap", 400);
	make_file(dir, "20260101-000001-00000001.pcap.json", 50);
	make_file(dir, "20260101-000002-00000002.pcap", 400);
	make_file(dir, "20260101-000002-00000002.pcap.json", 50);
	cfg.rotating = true;
	cfg.output_path = dir;
	cfg.file_ext = ".pcap";
	cfg.max_bytes = 800;
	cfg.seqfile = "unused";		/* -N: by sequence number */
	r = retain_create(&cfg, &st, MIB, 3, pending_in, (void *)none, err,
	    sizeof(err));
	assert_non_null(r);
	assert_false(exists(dir, "20260101-000000-00000000.pcap"));
	assert_false(exists(dir, "20260101-000001-00000001.pcap"));
	assert_true(exists(dir, "20260101-000002-00000002.pcap"));
	assert_true(exists(dir, "20260101-000002-00000002.pcap.json"));
	retain_destroy(r);
	stats_destroy(&st);
	testutil_remove_tree(dir);
}

/* --min-free: the budget is the writer's total plus the room above it. */
static void
test_thread_min_free(void **state)
{
	struct config cfg = { 0 };
	struct retain_gate g;
	struct stats st;
	struct retain *r;
	char dir[512], err[256];

	(void)state;
	assert_int_equal(testutil_mkdtemp(dir, sizeof(dir), "test_retain"),
	    0);
	assert_int_equal(stats_init(&st, NULL, 0), 0);
	cfg.rotating = true;
	cfg.output_path = dir;
	cfg.file_ext = "";
	cfg.min_free.bytes = 1;		/* surely there */
	cfg.rotate_bytes = MIB;		/* headroom: 1 MiB */
	r = retain_create(&cfg, &st, MIB, 0, NULL, NULL, err, sizeof(err));
	assert_non_null(r);
	retain_gate(r, &g);
	assert_non_null(g.allow_until);
	assert_true(atomic_load(g.allow_until) > 0);
	atomic_store(g.handed, 1000);
	assert_true(retain_wait_room(r, 1001));
	assert_true(atomic_load(g.allow_until) > 1000);
	assert_false(retain_wait_room(r, UINT64_MAX));
	assert_true(retain_may_resume(r));
	retain_destroy(r);

	/* no bound: no object, no error */
	cfg.min_free.bytes = 0;
	assert_null(retain_create(&cfg, &st, MIB, 0, NULL, NULL, err,
	    sizeof(err)));
	assert_string_equal(err, "");
	/* a directory that is not there: one line naming it */
	cfg.min_free.pct = 5;
	cfg.output_path = "/nonexistent/mtc-retain";
	assert_null(retain_create(&cfg, &st, MIB, 0, NULL, NULL, err,
	    sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/mtc-retain"));
	stats_destroy(&st);
	testutil_remove_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_by_seq),
		cmocka_unit_test(test_order_by_time),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_thread_max_files),
		cmocka_unit_test(test_thread_max_bytes),
		cmocka_unit_test(test_thread_min_free),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
