/*
 * session.h - counter sessions (capstats' BPF sessions): named BPF
 * filters that count, per input, the packets mtracecap captures (after
 * -F) that match them, and their bytes on the wire.  Created, changed and
 * read by the control socket and read by the metrics; the programs run
 * on the reader threads.
 */
#ifndef MTRACECAP_SESSION_H
#define MTRACECAP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSIONS_MAX		64	/* live at once */
#define SESSION_NAME_MAX	64	/* [A-Za-z0-9_.-]{1,64} */

struct input;
struct sessions;

/*
 * The sessions of a run over inputs[0, n) (opened, readers not started).
 * Main thread.  NULL with err when out of memory.
 */
struct sessions *sessions_create(struct input *const *inputs, size_t n,
    char *err, size_t errlen);
/* After every reader is joined; sessions_destroy(NULL) is a no-op. */
void sessions_destroy(struct sessions *s);

/*
 * Any thread (one lock; never the readers').  Each returns 0, or -1
 * with a one-line message in err: a bad name, "session 'x' exists",
 * "no session 'x'", "filter 'f' does not compile for input 'u': why",
 * "too many sessions (64)".
 */
/* A new session counting from now. */
int sessions_new(struct sessions *s, const char *name, const char *bpf,
    char *err, size_t errlen);
/* A new filter for a session: its counts start again from 0. */
int sessions_modify(struct sessions *s, const char *name, const char *bpf,
    char *err, size_t errlen);
int sessions_stop(struct sessions *s, const char *name, char *err,
    size_t errlen);

/* What one session counted since it started (new or modify). */
struct session_figures {
	char		 name[SESSION_NAME_MAX + 1];
	char		*filter;	/* malloc'ed */
	uint64_t	 started_ns;	/* wall clock */
	size_t		 ninputs;
	uint64_t	*packets;	/* per input, malloc'ed (one block with */
	uint64_t	*bytes;		/* bytes) */
	uint64_t	 total_packets;
	uint64_t	 total_bytes;
};

int sessions_show(struct sessions *s, const char *name,
    struct session_figures *out, char *err, size_t errlen);
/* sessions_show(), and what matched since the previous poll of that
 * session (the first one: since it started) in *d_packets, *d_bytes. */
int sessions_poll(struct sessions *s, const char *name,
    struct session_figures *now, uint64_t *d_packets, uint64_t *d_bytes,
    char *err, size_t errlen);
/* Every session's figures, by name; returns how many (*out malloc'ed,
 * NULL for none; out of memory: 0). */
size_t sessions_each(struct sessions *s, struct session_figures **out);
/* Free what n figures at f hold (not f itself: free() sessions_each's
 * array after this). */
void sessions_figures_free(struct session_figures *f, size_t n);

#endif
