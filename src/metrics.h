/*
 * metrics.h - the Prometheus text exposition format (version 0.0.4) of
 * one statistics snapshot: every series mtracecap exports, with its HELP
 * and TYPE lines, rendered into a caller's growable buffer.  Pure: no
 * I/O, no locks, no clock; what the renderer cannot compute (process
 * figures, free disk, build version) the caller reads and passes in.
 * metrics_out.h reads those and serves the text.
 */
#ifndef MTRACECAP_METRICS_H
#define MTRACECAP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct stats_snapshot;

/* A growable text buffer; zero it to start.  After an allocation fails
 * every append is a no-op and oom stays set. */
struct metrics_buf {
	char		*p;		/* NUL-terminated, malloc'ed (caller frees) */
	size_t		 len;
	size_t		 cap;
	bool		 oom;
};

/* Append printf-style text to b. */
void metrics_buf_printf(struct metrics_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a label value: \ " and newline escaped (\\ \" \n). */
void metrics_buf_label(struct metrics_buf *b, const char *s);

/* The process's own figures (/proc/self), known or not. */
struct metrics_process {
	bool		 known;
	double		 start_time_s;	/* since the epoch */
	double		 cpu_s;		/* user + system */
	uint64_t	 rss_bytes;
};

/* What one rendering shows. */
struct metrics_view {
	const struct stats_snapshot *snap;	/* snap->n inputs */
	const char *const *uris;	/* snap->n: input labels, as given */
	const char	*version;	/* mtracecap_build_info */
	struct metrics_process proc;
	bool		 free_known;	/* output file system's free bytes */
	uint64_t	 free_bytes;
};

/* Every series of v, each family once, into b.  0, or -1 (b->oom). */
int metrics_render(struct metrics_buf *b, const struct metrics_view *v);

/*
 * One counter session's figures, for mtracecap_session_packets_total and
 * _bytes_total: per input (ninputs of each, in input order).
 */
struct metrics_session {
	const char	*name;
	const uint64_t	*packets;
	const uint64_t	*bytes;
};

/*
 * The session families (HELP and TYPE even when n is 0) with a sample
 * per session and input (uris: ninputs labels).  0, or -1 (b->oom).
 */
int metrics_render_sessions(struct metrics_buf *b,
    const struct metrics_session *s, size_t n, const char *const *uris,
    size_t ninputs);

#endif
