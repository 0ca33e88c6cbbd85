/*
 * test_metrics.c - unit tests for metrics.c: every family present from
 * the start (HELP, TYPE, a 0 per input), each family's samples together
 * after its TYPE, label values escaped, the figures where the snapshot
 * has them, the session families, a buffer that has to grow.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "stats.h"

/* Every family the man page lists, with its type. */
static const char *const families[][2] = {
	{ "mtracecap_input_up", "gauge" },
	{ "mtracecap_input_received_packets_total", "counter" },
	{ "mtracecap_input_kernel_dropped_packets_total", "counter" },
	{ "mtracecap_input_interface_dropped_packets_total", "counter" },
	{ "mtracecap_input_filtered_packets_total", "counter" },
	{ "mtracecap_input_packets_total", "counter" },
	{ "mtracecap_input_bytes_total", "counter" },
	{ "mtracecap_input_reopens_total", "counter" },
	{ "mtracecap_headers_unparsed_total", "counter" },
	{ "mtracecap_queue_bytes", "gauge" },
	{ "mtracecap_queue_capacity_bytes", "gauge" },
	{ "mtracecap_output_packets_total", "counter" },
	{ "mtracecap_output_bytes_total", "counter" },
	{ "mtracecap_output_lost_packets_total", "counter" },
	{ "mtracecap_disorder_packets_total", "counter" },
	{ "mtracecap_files_completed_total", "counter" },
	{ "mtracecap_files_failed_total", "counter" },
	{ "mtracecap_last_file_completed_timestamp_seconds", "gauge" },
	{ "mtracecap_output_free_bytes", "gauge" },
	{ "mtracecap_build_info", "gauge" },
	{ "process_start_time_seconds", "gauge" },
	{ "process_cpu_seconds_total", "counter" },
	{ "process_resident_memory_bytes", "gauge" },
};
#define NFAM	(sizeof(families) / sizeof(families[0]))

/* The per-input families: one sample per input. */
static const char *const per_input[] = {
	"mtracecap_input_up", "mtracecap_input_received_packets_total",
	"mtracecap_input_kernel_dropped_packets_total",
	"mtracecap_input_interface_dropped_packets_total",
	"mtracecap_input_filtered_packets_total",
	"mtracecap_input_packets_total", "mtracecap_input_bytes_total",
	"mtracecap_input_reopens_total", "mtracecap_headers_unparsed_total",
	"mtracecap_queue_bytes",
	"mtracecap_queue_capacity_bytes",
};

struct fixture {
	struct stats_snapshot snap;
	struct stats_snapshot_input in[2];
	const char *uris[2];
	struct metrics_view v;
	struct metrics_buf b;
};

static void
setup(struct fixture *f, const char *uri0, const char *uri1)
{
	memset(f, 0, sizeof(*f));
	f->snap.n = 2;
	f->snap.in = f->in;
	f->uris[0] = uri0;
	f->uris[1] = uri1;
	f->v.snap = &f->snap;
	f->v.uris = f->uris;
	f->v.version = "1.2.3";
	f->v.proc.known = true;
	f->v.free_known = true;
}

static void
render(struct fixture *f)
{
	free(f->b.p);
	memset(&f->b, 0, sizeof(f->b));
	assert_int_equal(metrics_render(&f->b, &f->v), 0);
	assert_non_null(f->b.p);
	assert_int_equal(strlen(f->b.p), f->b.len);
}

/* The text has line as a whole line. */
static void
assert_line(const char *text, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
	fail_msg("no line '%s' in:\n%s", line, text);
}

/* The metric name of a sample line (up to '{' or ' '), into name. */
static void
sample_name(const char *line, char *name, size_t len)
{
	size_t n = strcspn(line, "{ ");

	assert_true(n < len);
	memcpy(name, line, n);
	name[n] = '\0';
}

static void
test_every_family_from_zero(void **state)
{
	struct fixture f;
	char line[256], name[128], current[128] = "";
	int seen[NFAM] = { 0 };
	char *text, *save, *l;

	(void)state;
	setup(&f, "ring:eth0", "pcapfile:/tmp/a.pcap");
	render(&f);
	for (size_t k = 0; k < NFAM; k++) {
		snprintf(line, sizeof(line), "# TYPE %s %s", families[k][0],
		    families[k][1]);
		assert_line(f.b.p, line);
		snprintf(line, sizeof(line), "# HELP %s ", families[k][0]);
		assert_non_null(strstr(f.b.p, line));
	}
	for (size_t k = 0; k < sizeof(per_input) / sizeof(per_input[0]);
	    k++) {
		snprintf(line, sizeof(line), "%s{input=\"ring:eth0\"} 0",
		    per_input[k]);
		assert_line(f.b.p, line);
		snprintf(line, sizeof(line),
		    "%s{input=\"pcapfile:/tmp/a.pcap\"} 0", per_input[k]);
		assert_line(f.b.p, line);
	}
	assert_line(f.b.p, "mtracecap_output_packets_total 0");
	assert_line(f.b.p, "mtracecap_output_lost_packets_total"
	    "{reason=\"output\"} 0");
	assert_line(f.b.p, "mtracecap_output_lost_packets_total"
	    "{reason=\"unfit\"} 0");
	assert_line(f.b.p, "mtracecap_output_lost_packets_total"
	    "{reason=\"nofile\"} 0");
	assert_line(f.b.p, "mtracecap_last_file_completed_timestamp_seconds "
	    "0.000");
	assert_line(f.b.p, "mtracecap_build_info{version=\"1.2.3\"} 1");
	/* each sample belongs to the family of the TYPE line before it, and
	 * no family comes twice */
	text = strdup(f.b.p);
	assert_non_null(text);
	for (l = strtok_r(text, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "# TYPE ", 7) == 0) {
			sample_name(l + 7, current, sizeof(current));
			for (size_t k = 0; k < NFAM; k++)
				if (strcmp(families[k][0], current) == 0)
					assert_int_equal(seen[k]++, 0);
			continue;
		}
		if (l[0] == '#')
			continue;
		sample_name(l, name, sizeof(name));
		assert_string_equal(name, current);
	}
	free(text);
	for (size_t k = 0; k < NFAM; k++)
		assert_int_equal(seen[k], 1);
	free(f.b.p);
}

static void
test_escaping(void **state)
{
	struct fixture f;

	(void)state;
	setup(&f, "pcapfile:/tmp/a\\b\"c\nd", "x");
	f.v.version = "1\"0";
	render(&f);
	assert_line(f.b.p, "mtracecap_input_up"
	    "{input=\"pcapfile:/tmp/a\\\\b\\\"c\\nd\"} 0");
	assert_line(f.b.p, "mtracecap_build_info{version=\"1\\\"0\"} 1");
	/* the raw newline never reaches the text */
	assert_null(strstr(f.b.p, "c\nd"));
	free(f.b.p);
}

static void
test_figures(void **state)
{
	static const char *const want[] = {
		"mtracecap_input_up{input=\"a\"} 1",
		"mtracecap_input_up{input=\"b\"} 0",
		"mtracecap_input_received_packets_total{input=\"a\"} 120",
		"mtracecap_input_kernel_dropped_packets_total{input=\"a\"} 7",
		"mtracecap_input_interface_dropped_packets_total{input=\"a\"} 2",
		"mtracecap_input_filtered_packets_total{input=\"b\"} 5",
		"mtracecap_input_packets_total{input=\"b\"} 99",
		"mtracecap_input_bytes_total{input=\"b\"} 6336",
		"mtracecap_input_reopens_total{input=\"b\"} 3",
		"mtracecap_queue_bytes{input=\"b\"} 4096",
		"mtracecap_queue_capacity_bytes{input=\"b\"} 8388608",
		"mtracecap_output_packets_total 150",
		"mtracecap_output_bytes_total 123456",
		"mtracecap_output_lost_packets_total{reason=\"output\"} 4",
		"mtracecap_output_lost_packets_total{reason=\"unfit\"} 1",
		"mtracecap_output_lost_packets_total{reason=\"nofile\"} 9",
		"mtracecap_disorder_packets_total 11",
		"mtracecap_files_completed_total 12",
		"mtracecap_files_failed_total 13",
		"mtracecap_last_file_completed_timestamp_seconds 1700000000.250",
		"mtracecap_output_free_bytes 1099511627776",
		"process_start_time_seconds 1699999999.500",
		"process_cpu_seconds_total 2.250",
		"process_resident_memory_bytes 8192",
	};
	struct fixture f;

	(void)state;
	setup(&f, "a", "b");
	f.in[0].up = true;
	f.in[0].read = 120;
	f.in[0].kernel_drops = 7;
	f.in[0].if_drops = 2;
	f.in[1].filtered = 5;
	f.in[1].fates.written = 99;
	f.in[1].fates.bytes = 6336;
	f.in[1].reopens = 3;
	f.in[1].queue_bytes = 4096;
	f.in[1].queue_capacity = 8388608;
	f.snap.written = 150;
	f.snap.file_bytes = 123456;
	f.snap.lost_output = 4;
	f.snap.unfit = 1;
	f.snap.lost_nofile = 9;
	f.snap.disorders = 11;
	f.snap.files = 12;
	f.snap.files_failed = 13;
	f.snap.last_done_ns = 1700000000250000000ull;
	f.v.free_bytes = 1ull << 40;
	f.v.proc.start_time_s = 1699999999.5;
	f.v.proc.cpu_s = 2.25;
	f.v.proc.rss_bytes = 8192;
	render(&f);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++)
		assert_line(f.b.p, want[k]);
	/* standard output has no file system: the family without a sample */
	f.v.free_known = false;
	render(&f);
	assert_line(f.b.p, "# TYPE mtracecap_output_free_bytes gauge");
	assert_null(strstr(f.b.p, "\nmtracecap_output_free_bytes "));
	free(f.b.p);
}

static void
test_sessions(void **state)
{
	static const uint64_t p0[2] = { 3, 4 }, b0[2] = { 300, 400 };
	static const uint64_t p1[2] = { 0, 1 }, b1[2] = { 0, 60 };
	const struct metrics_session s[2] = {
		{ .name = "dns", .packets = p0, .bytes = b0 },
		{ .name = "web\"x", .packets = p1, .bytes = b1 },
	};
	const char *const uris[2] = { "ring:a", "ring:b" };
	struct metrics_buf b = { 0 };

	(void)state;
	/* none: the families, no samples */
	assert_int_equal(metrics_render_sessions(&b, NULL, 0, uris, 2), 0);
	assert_line(b.p, "# TYPE mtracecap_session_packets_total counter");
	assert_line(b.p, "# TYPE mtracecap_session_bytes_total counter");
	assert_null(strstr(b.p, "{session="));
	free(b.p);
	memset(&b, 0, sizeof(b));
	assert_int_equal(metrics_render_sessions(&b, s, 2, uris, 2), 0);
	assert_line(b.p, "mtracecap_session_packets_total"
	    "{session=\"dns\",input=\"ring:a\"} 3");
	assert_line(b.p, "mtracecap_session_packets_total"
	    "{session=\"dns\",input=\"ring:b\"} 4");
	assert_line(b.p, "mtracecap_session_bytes_total"
	    "{session=\"dns\",input=\"ring:b\"} 400");
	assert_line(b.p, "mtracecap_session_packets_total"
	    "{session=\"web\\\"x\",input=\"ring:a\"} 0");
	assert_line(b.p, "mtracecap_session_bytes_total"
	    "{session=\"web\\\"x\",input=\"ring:b\"} 60");
	/* the bytes family starts after the last packets sample */
	assert_true(strstr(b.p, "# TYPE mtracecap_session_bytes_total") >
	    strstr(b.p, "{session=\"web\\\"x\",input=\"ring:b\"} 1"));
	free(b.p);
}

static void
test_growth(void **state)
{
	struct fixture f;
	char *uri = malloc(20001), line[20100];

	(void)state;
	assert_non_null(uri);
	memset(uri, 'u', 20000);
	uri[20000] = '\0';
	setup(&f, uri, "b");
	render(&f);
	assert_true(f.b.cap > 20000 * 10);
	snprintf(line, sizeof(line), "mtracecap_input_up{input=\"%s\"} 0",
	    uri);
	assert_line(f.b.p, line);
	assert_line(f.b.p, "mtracecap_build_info{version=\"1.2.3\"} 1");
	free(f.b.p);
	free(uri);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_family_from_zero),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
