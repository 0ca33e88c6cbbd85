/*
 * test_deliver_state.c - unit tests for the delivery state file
 * (deliver_state.c: parse, format, load, save, where the listed names
 * are), the delivery queue's rules (deliver_queue.c: order, placement,
 * back-off, what is due) and the delivery object end to end with real
 * hooks (deliver.c: a name is on disk before placement, delivered files
 * leave the state, failures stay pending across a stop; its threads are
 * what the TSan build checks).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "deliver.h"
#include "deliver_queue.h"
#include "deliver_state.h"
#include "testutil.h"

#define HEADER	DELIVER_STATE_HEADER "\n"

/* --- parsing and formatting -------------------------------------------- */

static void
expect_parse(const char *buf, size_t len, size_t n, const char *const *want)
{
	struct deliver_names l = { 0 };
	char err[256] = "";

	if (deliver_state_parse(buf, len, &l, err, sizeof(err)) != 0)
		fail_msg("[%.*s] refused: %s", (int)len, buf, err);
	assert_int_equal(l.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l.v[i], want[i]);
	deliver_names_free(&l);
}

static void
expect_corrupt(const char *buf, size_t len, const char *why)
{
	struct deliver_names l = { 0 };
	char err[256] = "";

	assert_int_equal(deliver_names_add(&l, "kept"), 0);
	if (deliver_state_parse(buf, len, &l, err, sizeof(err)) != -1)
		fail_msg("[%.*s] accepted", (int)len, buf);
	/* what was there before stays, nothing half-parsed is added */
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "kept");
	if (strstr(err, why) == NULL)
		fail_msg("[%.*s]: error '%s' lacks '%s'", (int)len, buf, err,
		    why);
	deliver_names_free(&l);
}

#define PARSE_BAD(s, why)	expect_corrupt((s), sizeof(s) - 1, (why))

static void
test_parse(void **state)
{
	static const char *const two[] = { "20260101-000000-00000001",
	    "20260101-000001-00000002.1" };

	(void)state;
	expect_parse(HEADER, strlen(HEADER), 0, NULL);
	expect_parse(HEADER "20260101-000000-00000001\n"
	    "20260101-000001-00000002.1\n", strlen(HEADER) + 52, 2, two);
	PARSE_BAD("", "empty");
	PARSE_BAD("mtracecap-delivery 2\n", "line 1");
	PARSE_BAD("mtracecap-delivery 1", "line 1: no newline");
	PARSE_BAD(" mtracecap-delivery 1\n", "line 1");
	PARSE_BAD("20260101-000000-00000001\n", "line 1");
	PARSE_BAD(HEADER "a\nb", "line 3: no newline");
	PARSE_BAD(HEADER "a\n\n", "line 3: '' is not");
	PARSE_BAD(HEADER "a/b\n", "line 2: 'a/b' is not");
	PARSE_BAD(HEADER ".\n", "line 2");
	PARSE_BAD(HEADER "..\n", "line 2");
	PARSE_BAD(HEADER "a\nb\na\n", "'a' is listed twice");
	expect_corrupt(HEADER "a\0b\n", strlen(HEADER) + 4, "NUL");
}

static void
test_format(void **state)
{
	char *names[] = { "b", "a", "20260101-000000-00000001.pcap.gz" };
	struct deliver_names l = { 0 };
	char err[256];
	size_t len;
	char *text;

	(void)state;
	text = deliver_state_format(names, 0, &len);
	assert_non_null(text);
	assert_string_equal(text, HEADER);
	assert_int_equal(len, strlen(HEADER));
	free(text);
	text = deliver_state_format(names, 3, &len);
	assert_string_equal(text, HEADER "b\na\n"
	    "20260101-000000-00000001.pcap.gz\n");
	assert_int_equal(deliver_state_parse(text, len, &l, err,
	    sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(l.v[i], names[i]);	/* order kept */
	deliver_names_free(&l);
	free(text);
	assert_true(deliver_state_name_ok("x"));
	assert_false(deliver_state_name_ok(""));
	assert_false(deliver_state_name_ok("a\nb"));
	assert_false(deliver_state_name_ok("a/b"));
}

static void
test_path(void **state)
{
	char buf[64], err[256];

	(void)state;
	assert_int_equal(deliver_state_path(buf, sizeof(buf), "/d", "", err,
	    sizeof(err)), 0);
	assert_string_equal(buf, "/d/.mtracecap-delivery");
	assert_int_equal(deliver_state_path(buf, sizeof(buf), "/d/", ".gz",
	    err, sizeof(err)), 0);
	assert_string_equal(buf, "/d/.mtracecap-delivery.gz");
	assert_int_equal(deliver_state_path(buf, sizeof(buf), "d", NULL, err,
	    sizeof(err)), 0);
	assert_string_equal(buf, "d/.mtracecap-delivery");
	assert_int_equal(deliver_state_path(buf, 10, "/d", "", err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "'/d'"));
}

/* --- load, save, where -------------------------------------------------- */

struct dirs {
	char	dir[512];
	char	path[600];
};

static int
setup_dir(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	if (d == NULL || testutil_mkdtemp(d->dir, sizeof(d->dir),
	    "test_deliver_state") != 0)
		return -1;
	snprintf(d->path, sizeof(d->path), "%s/.mtracecap-delivery", d->dir);
	*state = d;
	return 0;
}

static int
teardown_dir(void **state)
{
	struct dirs *d = *state;

	testutil_remove_tree(d->dir);
	free(d);
	return 0;
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The whole of path (a string), or "" if it cannot be read. */
static const char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = 0;

	buf[0] = '\0';
	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static size_t
count_entries(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	while ((de = readdir(dh)) != NULL)
		n += de->d_name[0] != '.' || strncmp(de->d_name,
		    ".mtracecap", 10) == 0;
	closedir(dh);
	return n;
}

static void
test_load_save(void **state)
{
	struct dirs *d = *state;
	struct deliver_names l = { 0 };
	char err[1024], link[700];
	bool found = true;
	struct stat st;

	assert_int_equal(deliver_state_load(d->path, &l, &found, err,
	    sizeof(err)), 0);
	assert_false(found);
	assert_int_equal(deliver_state_save(d->dir, d->path, HEADER "x\n",
	    strlen(HEADER) + 2, err, sizeof(err)), 0);
	assert_string_equal(slurp(d->path), HEADER "x\n");
	assert_int_equal(count_entries(d->dir), 1);	/* no temp left */
	assert_int_equal(deliver_state_load(d->path, &l, &found, err,
	    sizeof(err)), 0);
	assert_true(found);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0], "x");
	deliver_names_free(&l);

	/* corrupt: refused with its name and why, and left as it is */
	write_file(d->path, HEADER "x\nx\n");
	assert_int_equal(deliver_state_load(d->path, &l, &found, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "corrupt delivery state file"));
	assert_non_null(strstr(err, d->path));
	assert_non_null(strstr(err, "'x' is listed twice"));
	assert_string_equal(slurp(d->path), HEADER "x\nx\n");
	assert_int_equal(l.n, 0);
	deliver_names_free(&l);

	/* not a regular file: never opened for reading (a FIFO would hang) */
	assert_int_equal(unlink(d->path), 0);
	assert_int_equal(mkfifo(d->path, 0600), 0);
	assert_int_equal(deliver_state_load(d->path, &l, &found, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(unlink(d->path), 0);
	snprintf(link, sizeof(link), "%s/target", d->dir);
	write_file(link, HEADER);
	assert_int_equal(symlink(link, d->path), 0);
	assert_int_equal(deliver_state_load(d->path, &l, &found, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "symbolic link"));
	assert_int_equal(unlink(d->path), 0);

	/* a planted link as the temp name: never written through */
	snprintf(link, sizeof(link), "%s.tmp-%ld", d->path, (long)getpid());
	assert_int_equal(symlink("target", link), 0);
	assert_int_equal(deliver_state_save(d->dir, d->path, HEADER, strlen(
	    HEADER), err, sizeof(err)), -1);
	assert_non_null(strstr(err, d->path));
	assert_int_equal(lstat(d->path, &st), -1);
	assert_string_equal(slurp(link), HEADER);	/* target untouched */
}

static void
test_where(void **state)
{
	struct dirs *d = *state;
	struct deliver_names l = { 0 };
	enum deliver_where w[4];
	char p[700];

	snprintf(p, sizeof(p), "%s/here", d->dir);
	write_file(p, "");
	snprintf(p, sizeof(p), "%s/tmp-4242-placing", d->dir);
	write_file(p, "");
	assert_int_equal(deliver_names_add(&l, "here"), 0);
	assert_int_equal(deliver_names_add(&l, "gone"), 0);
	assert_int_equal(deliver_names_add(&l, "placing"), 0);
	assert_int_equal(deliver_names_add(&l, "tmp-4242-placing"), 0);
	assert_int_equal(deliver_state_where(d->dir, &l, w), 0);
	assert_int_equal(w[0], DELIVER_PRESENT);
	assert_int_equal(w[1], DELIVER_GONE);
	assert_int_equal(w[2], DELIVER_RECOVERING);
	assert_int_equal(w[3], DELIVER_PRESENT);
	deliver_names_free(&l);
}

/* --- the queue ------------------------------------------------------------ */

/* q's names in order, joined by spaces */
static const char *
order(const struct deliver_queue *q)
{
	static char buf[1024];
	size_t off = 0;

	buf[0] = '\0';
	for (const struct dq_entry *e = q->head; e != NULL; e = e->next)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
		    off > 0 ? " " : "", e->name);
	return buf;
}

static void
test_queue_placed(void **state)
{
	struct deliver_queue q;
	struct dq_entry *e;

	(void)state;
	assert_int_equal(deliver_queue_init(&q), 0);
	assert_non_null(deliver_queue_add(&q, "a", DQ_WAITING, q.tail));
	assert_non_null(deliver_queue_add(&q, "b", DQ_PREPARED, q.tail));
	assert_non_null(deliver_queue_add(&q, "c", DQ_PREPARED, q.tail));
	assert_non_null(deliver_queue_add(&q, "d", DQ_PREPARED, q.tail));
	/* placed under the name recorded: due now, the state unchanged */
	assert_int_equal(deliver_queue_placed(&q, "b", "b", true), 0);
	e = deliver_queue_find(&q, "b");
	assert_int_equal(e->state, DQ_WAITING);
	assert_int_equal(q.gen, 4);
	/* placed under another name (a clash: .1): it takes c's place */
	assert_int_equal(deliver_queue_placed(&q, "c", "c.1", true), 0);
	assert_string_equal(order(&q), "a b c.1 d");
	assert_null(deliver_queue_find(&q, "c"));
	assert_int_equal(deliver_queue_find(&q, "c.1")->state, DQ_WAITING);
	/* not placed, or not a file to deliver: forgotten */
	assert_int_equal(deliver_queue_placed(&q, "d", "", false), 0);
	assert_string_equal(order(&q), "a b c.1");
	/* an entry that is not PREPARED is another file's: kept */
	assert_int_equal(deliver_queue_placed(&q, "a", "a.1", true), 0);
	assert_string_equal(order(&q), "a b c.1 a.1");
	/* nothing recorded (the .failed path): queued at the end */
	assert_int_equal(deliver_queue_placed(&q, NULL, "e", true), 0);
	assert_string_equal(order(&q), "a b c.1 a.1 e");
	assert_int_equal(deliver_queue_placed(&q, NULL, "e", true), 0);
	assert_string_equal(order(&q), "a b c.1 a.1 e");
	/* the first one renamed stays first */
	e = deliver_queue_find(&q, "a");
	deliver_queue_drop(&q, e);
	free(e);
	assert_non_null(deliver_queue_add(&q, "z", DQ_PREPARED, NULL));
	assert_int_equal(deliver_queue_placed(&q, "z", "z.1", true), 0);
	assert_string_equal(order(&q), "z.1 b c.1 a.1 e");
	assert_int_equal(q.n, 5);
	deliver_queue_free(&q);
}

static void
test_queue_due(void **state)
{
	static const unsigned want[] = { 10, 20, 40, 80, 160, 320, 600, 600 };
	struct deliver_queue q;
	struct dq_entry *a, *b;

	(void)state;
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(deliver_queue_backoff_s(i + 1), want[i]);
	assert_int_equal(deliver_queue_backoff_s(1000000), 600);
	assert_int_equal(deliver_queue_init(&q), 0);
	assert_null(deliver_queue_next(&q, 0, false));
	assert_int_equal(deliver_queue_next_ns(&q, false), UINT64_MAX);
	a = deliver_queue_add(&q, "a", DQ_WAITING, q.tail);
	b = deliver_queue_add(&q, "b", DQ_WAITING, q.tail);
	assert_non_null(deliver_queue_add(&q, "p", DQ_PREPARED, q.tail));
	assert_ptr_equal(deliver_queue_next(&q, 0, false), a);	/* oldest */
	a->state = DQ_RUNNING;
	a->tried = true;
	assert_ptr_equal(deliver_queue_next(&q, 0, false), b);
	/* a failed at t=5 s: due at 15 s, then 25 s + 20 s */
	assert_int_equal(deliver_queue_failed(a, 5000000000ull), 10);
	assert_int_equal(a->state, DQ_WAITING);
	assert_int_equal(a->due_ns, 15000000000ull);
	b->state = DQ_RUNNING;
	assert_null(deliver_queue_next(&q, 14999999999ull, false));
	assert_ptr_equal(deliver_queue_next(&q, 15000000000ull, false), a);
	assert_int_equal(deliver_queue_next_ns(&q, false), 15000000000ull);
	/* stopping: only what was never tried may start */
	assert_null(deliver_queue_next(&q, UINT64_MAX, true));
	assert_int_equal(deliver_queue_next_ns(&q, true), UINT64_MAX);
	assert_int_equal(deliver_queue_failed(a, 25000000000ull), 20);
	assert_int_equal(a->due_ns, 45000000000ull);
	deliver_queue_free(&q);
}

static void
test_queue_many(void **state)
{
	struct deliver_names l = { 0 };
	enum deliver_where *w;
	struct deliver_queue q;
	char name[32];
	size_t len;
	char *text;

	(void)state;
	w = calloc(5000, sizeof(*w));
	assert_non_null(w);
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "f%05d", i);
		assert_int_equal(deliver_names_add(&l, name), 0);
		w[i] = i % 3 == 0 ? DELIVER_GONE : i % 3 == 1 ?
		    DELIVER_PRESENT : DELIVER_RECOVERING;
	}
	assert_int_equal(deliver_queue_init(&q), 0);
	assert_int_equal(deliver_queue_load(&q, &l, w), 0);
	assert_int_equal(q.n, 3333);
	assert_true(q.gen != q.n);	/* some were forgotten: dirty */
	for (int i = 0; i < 5000; i++) {
		struct dq_entry *e;

		snprintf(name, sizeof(name), "f%05d", i);
		e = deliver_queue_find(&q, name);
		if (i % 3 == 0) {
			assert_null(e);
			continue;
		}
		assert_non_null(e);
		assert_int_equal(e->state, i % 3 == 1 ? DQ_WAITING :
		    DQ_PREPARED);
	}
	assert_string_equal(q.head->name, "f00001");
	assert_string_equal(q.tail->name, "f04999");
	text = deliver_queue_format(&q, &len);
	assert_non_null(text);
	assert_int_equal(len, strlen(HEADER) + 3333 * 7);
	assert_int_equal(strncmp(text, HEADER "f00001\nf00002\nf00004\n",
	    strlen(HEADER) + 21), 0);
	free(text);
	deliver_queue_free(&q);
	deliver_names_free(&l);
	free(w);
}

/* --- the delivery object with real hooks --------------------------------- */

static atomic_int delivered_calls;

static void
on_delivered(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

/* Wait up to 5 s for the state file of d to read text. */
static bool
state_becomes(const struct dirs *d, const char *text)
{
	for (int i = 0; i < 500; i++) {
		if (strcmp(slurp(d->path), text) == 0)
			return true;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return false;
}

static struct deliver *
make(const struct dirs *d, const char *hook, char **argv)
{
	struct deliver_setup ds = { .dir = d->dir, .ext = "",
	    .hook_path = hook, .hook_argv = argv, .timeout_s = 300 };
	char err[1024] = "";
	struct deliver *dv = deliver_create(&ds, err, sizeof(err));

	if (dv == NULL)
		fail_msg("deliver_create: %s", err);
	assert_int_equal(deliver_start(dv, err, sizeof(err)), 0);
	return dv;
}

static void
test_deliver_ok(void **state)
{
	struct dirs *d = *state;
	char *argv[] = { "true", NULL }, file[700];
	const struct stats_delivery *sd;
	struct deliver *dv = make(d, "/bin/true", argv);

	atomic_store(&delivered_calls, 0);
	deliver_set_on_delivered(dv, on_delivered, &delivered_calls);
	snprintf(file, sizeof(file), "%s/seg1", d->dir);
	assert_int_equal(deliver_prepare(dv, file), 0);
	/* on disk before the file has its name */
	assert_string_equal(slurp(d->path), HEADER "seg1\n");
	assert_true(deliver_is_pending(dv, "seg1"));
	assert_false(deliver_is_pending(dv, "seg2"));
	assert_false(deliver_is_pending(NULL, "seg1"));
	write_file(file, "data");
	deliver_placed(dv, file, file, true);
	assert_true(state_becomes(d, HEADER));
	for (int i = 0; i < 500 && atomic_load(&delivered_calls) == 0; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_int_equal(atomic_load(&delivered_calls), 1);
	assert_false(deliver_is_pending(dv, "seg1"));
	sd = deliver_stats(dv);
	assert_true(sd->hook);
	assert_int_equal(atomic_load(&sd->delivered), 1);
	assert_int_equal(atomic_load(&sd->pending), 0);
	assert_int_equal(atomic_load(&sd->failures), 0);
	deliver_stop(dv, 10);
	deliver_destroy(dv);
	deliver_destroy(NULL);
	assert_null(deliver_stats(NULL));
}

static void
test_deliver_fails(void **state)
{
	struct dirs *d = *state;
	char *argv[] = { "false", NULL }, file[700], want[700];
	struct deliver *dv = make(d, "/bin/false", argv);
	const struct stats_delivery *sd = deliver_stats(dv);

	/* placed under another name: the state follows */
	snprintf(want, sizeof(want), "%s/seg1", d->dir);
	snprintf(file, sizeof(file), "%s/seg1.1", d->dir);
	assert_int_equal(deliver_prepare(dv, want), 0);
	write_file(file, "data");
	deliver_placed(dv, want, file, true);
	assert_string_equal(slurp(d->path), HEADER "seg1.1\n");
	for (int i = 0; i < 500 && atomic_load(&sd->failures) == 0; i++)
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	assert_int_equal(atomic_load(&sd->failures), 1);
	assert_int_equal(atomic_load(&sd->pending), 1);
	assert_true(deliver_is_pending(dv, "seg1.1"));
	/* the retry is 10 s away: the stop does not wait for it */
	deliver_stop(dv, 10);
	assert_int_equal(atomic_load(&sd->failures), 1);
	deliver_destroy(dv);
	assert_string_equal(slurp(d->path), HEADER "seg1.1\n");

	/* the next run finds it pending; a vanished one is forgotten */
	write_file(d->path, HEADER "gone\nseg1.1\n");
	dv = make(d, NULL, NULL);	/* no hook: saved at start */
	assert_true(deliver_is_pending(dv, "seg1.1"));
	assert_false(deliver_is_pending(dv, "gone"));
	sd = deliver_stats(dv);
	assert_int_equal(sd != NULL ? atomic_load(&sd->pending) : 99, 1);
	assert_false(sd != NULL && sd->hook);
	assert_string_equal(slurp(d->path), HEADER "seg1.1\n");
	/* without a hook nothing new is recorded */
	assert_int_equal(deliver_prepare(dv, want), 0);
	assert_false(deliver_is_pending(dv, "seg1"));
	deliver_destroy(dv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_path),
		cmocka_unit_test_setup_teardown(test_load_save, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_where, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_queue_placed),
		cmocka_unit_test(test_queue_due),
		cmocka_unit_test(test_queue_many),
		cmocka_unit_test_setup_teardown(test_deliver_ok, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_deliver_fails, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
