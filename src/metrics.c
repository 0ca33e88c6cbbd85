/*
 * metrics.c - render a statistics snapshot in the Prometheus text format
 * 0.0.4: per family one HELP and one TYPE line, then its samples; every
 * family is there from the start (counters at 0).  The figures are the
 * snapshot's, so they agree with -v, STATUS and the exit line of the
 * same moment.  Pure (see metrics.h).
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "stats.h"

#define BUF_START	4096

/* Make room for need more bytes (and the NUL); false once out of memory. */
static bool
grow(struct metrics_buf *b, size_t need)
{
	size_t cap = b->cap != 0 ? b->cap : BUF_START;
	char *p;

	if (b->oom)
		return false;
	if (b->len + need + 1 <= b->cap)
		return true;
	while (cap < b->len + need + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void
metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
metrics_buf_label(struct metrics_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		const char *esc = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" :
		    *s == '\n' ? "\\n" : NULL;

		if (esc != NULL) {
			metrics_buf_printf(b, "%s", esc);
		} else if (grow(b, 1)) {
			b->p[b->len++] = *s;
			b->p[b->len] = '\0';
		}
	}
}

static void
family(struct metrics_buf *b, const char *name, const char *type,
    const char *help)
{
	metrics_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help,
	    name, type);
}

/* A family of one unlabelled sample. */
static void
single(struct metrics_buf *b, const char *name, const char *type,
    const char *help, uint64_t v)
{
	family(b, name, type, help);
	metrics_buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

static void
single_f(struct metrics_buf *b, const char *name, const char *type,
    const char *help, double v)
{
	family(b, name, type, help);
	metrics_buf_printf(b, "%s %.3f\n", name, v);
}

/* The per-input families: a uint64_t of struct stats_snapshot_input. */
struct per_input {
	const char	*name;
	const char	*type;
	size_t		 off;
	const char	*help;
};

#define IN(f)	offsetof(struct stats_snapshot_input, f)
static const struct per_input per_input[] = {
	{ "mtracecap_input_received_packets_total", "counter", IN(read),
	  "Packets read from the input that passed -F (the exit line's "
	  "read=)." },
	{ "mtracecap_input_kernel_dropped_packets_total", "counter",
	  IN(kernel_drops), "Packets the capture source dropped (the exit "
	  "line's dropped_by_kernel=; includes the interface's drops)." },
	{ "mtracecap_input_interface_dropped_packets_total", "counter",
	  IN(if_drops), "Of the kernel's drops, those the interface "
	  "reported." },
	{ "mtracecap_input_filtered_packets_total", "counter", IN(filtered),
	  "Packets -F rejected (0 where the filter runs in the kernel, "
	  "which does not count them)." },
	{ "mtracecap_input_packets_total", "counter", IN(fates.written),
	  "Packets of the input in completed files (the exit line's "
	  "written=)." },
	{ "mtracecap_input_bytes_total", "counter", IN(fates.bytes),
	  "Captured bytes of the input's packets in completed files." },
	{ "mtracecap_input_reopens_total", "counter", IN(reopens),
	  "Times the input was reopened after a failure." },
	{ "mtracecap_headers_unparsed_total", "counter",
	  IN(headers_unparsed), "Packets whose headers the parser did not "
	  "understand (--headers-only kept what it could parse; 0 without "
	  "it)." },
	{ "mtracecap_queue_bytes", "gauge", IN(queue_bytes),
	  "Bytes the input's queues hold now." },
	{ "mtracecap_queue_capacity_bytes", "gauge", IN(queue_capacity),
	  "Bytes the input's queues can hold (--queue-size per socket)." },
};
#undef IN

static void
input_sample(struct metrics_buf *b, const char *name, const char *uri,
    uint64_t v)
{
	metrics_buf_printf(b, "%s{input=\"", name);
	metrics_buf_label(b, uri);
	metrics_buf_printf(b, "\"} %" PRIu64 "\n", v);
}

static void
render_inputs(struct metrics_buf *b, const struct metrics_view *v)
{
	const struct stats_snapshot *s = v->snap;

	family(b, "mtracecap_input_up", "gauge", "1 while the input "
	    "captures (not failed, no gap open), else 0.");
	for (size_t i = 0; i < s->n; i++)
		input_sample(b, "mtracecap_input_up", v->uris[i],
		    s->in[i].up ? 1 : 0);
	for (size_t k = 0; k < sizeof(per_input) / sizeof(per_input[0]);
	    k++) {
		const struct per_input *pi = &per_input[k];

		family(b, pi->name, pi->type, pi->help);
		for (size_t i = 0; i < s->n; i++) {
			uint64_t x;

			memcpy(&x, (const char *)&s->in[i] + pi->off,
			    sizeof(x));
			input_sample(b, pi->name, v->uris[i], x);
		}
	}
}

static void
render_output(struct metrics_buf *b, const struct metrics_view *v)
{
	const struct stats_snapshot *s = v->snap;
	static const char lost[] = "mtracecap_output_lost_packets_total";

	single(b, "mtracecap_output_packets_total", "counter", "Packets in "
	    "completed files (the exit line's total written=).", s->written);
	single(b, "mtracecap_output_bytes_total", "counter", "Bytes of the "
	    "completed files.", s->file_bytes);
	family(b, lost, "counter", "Packets that were captured but are in "
	    "no file, by reason: output (a write, compressor or rename "
	    "failed), unfit (a link type the file cannot hold), nofile (no "
	    "file could be opened).");
	metrics_buf_printf(b, "%s{reason=\"output\"} %" PRIu64 "\n"
	    "%s{reason=\"unfit\"} %" PRIu64 "\n"
	    "%s{reason=\"nofile\"} %" PRIu64 "\n", lost, s->lost_output,
	    lost, s->unfit, lost, s->lost_nofile);
	single(b, "mtracecap_disorder_packets_total", "counter", "Packets "
	    "written out of time order (the exit line's disorders=).",
	    s->disorders);
	single(b, "mtracecap_files_completed_total", "counter", "Files that "
	    "got their final names.", s->files);
	single(b, "mtracecap_files_failed_total", "counter", "Files that "
	    "could not be created, or whose write, compressor or close "
	    "failed.", s->files_failed);
	single_f(b, "mtracecap_last_file_completed_timestamp_seconds",
	    "gauge", "When the last file got its final name (0: none yet).",
	    (double)s->last_done_ns / 1e9);
	family(b, "mtracecap_output_free_bytes", "gauge", "Bytes available "
	    "to mtracecap on the output file system (absent for standard "
	    "output).");
	if (v->free_known)
		metrics_buf_printf(b, "mtracecap_output_free_bytes %" PRIu64
		    "\n", v->free_bytes);
}

static void
render_process(struct metrics_buf *b, const struct metrics_view *v)
{
	family(b, "mtracecap_build_info", "gauge", "Always 1; the version "
	    "in a label.");
	metrics_buf_printf(b, "mtracecap_build_info{version=\"");
	metrics_buf_label(b, v->version);
	metrics_buf_printf(b, "\"} 1\n");
	if (!v->proc.known)
		return;
	single_f(b, "process_start_time_seconds", "gauge", "Start time of "
	    "the process since the epoch in seconds.", v->proc.start_time_s);
	single_f(b, "process_cpu_seconds_total", "counter", "Total user "
	    "and system CPU time spent in seconds.", v->proc.cpu_s);
	single(b, "process_resident_memory_bytes", "gauge", "Resident "
	    "memory size in bytes.", v->proc.rss_bytes);
}

int
metrics_render(struct metrics_buf *b, const struct metrics_view *v)
{
	render_inputs(b, v);
	render_output(b, v);
	render_process(b, v);
	return b->oom ? -1 : 0;
}

int
metrics_render_sessions(struct metrics_buf *b,
    const struct metrics_session *s, size_t n, const char *const *uris,
    size_t ninputs)
{
	static const char *const names[2] = {
		"mtracecap_session_packets_total",
		"mtracecap_session_bytes_total",
	};
	static const char *const helps[2] = {
		"Packets of the input that the session's filter matched "
		"since the session began (or was last modified).",
		"Bytes on the wire of those packets.",
	};

	for (int k = 0; k < 2; k++) {
		family(b, names[k], "counter", helps[k]);
		for (size_t j = 0; j < n; j++) {
			for (size_t i = 0; i < ninputs; i++) {
				metrics_buf_printf(b, "%s{session=\"",
				    names[k]);
				metrics_buf_label(b, s[j].name);
				metrics_buf_printf(b, "\",input=\"");
				metrics_buf_label(b, uris[i]);
				metrics_buf_printf(b, "\"} %" PRIu64 "\n",
				    k == 0 ? s[j].packets[i] : s[j].bytes[i]);
			}
		}
	}
	return b->oom ? -1 : 0;
}
