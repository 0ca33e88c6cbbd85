/*
 * ctlcmd.c - the control socket's commands: status, stats and rotate
 * from the statistics and the control flags, list ... watch through the
 * counter sessions (session.h).  Each answer is built whole into the
 * caller's ctlproto_out; nothing here does I/O.
 *
 * DESIGN: control thread only.  The statistics are read through one
 * snapshot per answer (stats_snapshot(), under the stats lock, so `stats`
 * agrees with STATUS and the metrics at that instant); the sessions
 * through their own lock.  A watch keeps its own last figures, so that
 * it does not disturb what `poll` reports as new to anyone.
 */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "ctlcmd.h"
#include "input.h"
#include "log.h"
#include "session.h"
#include "stats.h"

_Static_assert(CTLPROTO_NAME_MAX == SESSION_NAME_MAX,
    "the protocol's names are the sessions' names");

#define NOT_YET	"capture has not started yet (the inputs are opening)"

void
ctlcmd_init(struct ctlcmd *c, struct control *ctl)
{
	c->ctl = ctl;
	atomic_init(&c->stats, NULL);
	atomic_init(&c->sessions, NULL);
}

void
ctlcmd_ready(struct ctlcmd *c, struct stats *stats,
    struct sessions *sessions)
{
	atomic_store_explicit(&c->sessions, sessions, memory_order_release);
	atomic_store_explicit(&c->stats, stats, memory_order_release);
}

static struct stats *
get_stats(struct ctlcmd *c)
{
	return atomic_load_explicit(&c->stats, memory_order_acquire);
}

static struct sessions *
get_sessions(struct ctlcmd *c)
{
	return atomic_load_explicit(&c->sessions, memory_order_acquire);
}

static void
kv(struct ctlproto_out *o, const char *key, uint64_t v)
{
	ctlproto_line(o, "%s=%" PRIu64, key, v);
}

static void
kv_in(struct ctlproto_out *o, size_t i, const char *key, uint64_t v)
{
	ctlproto_line(o, "input.%zu.%s=%" PRIu64, i, key, v);
}

/* `stats`: every figure of one snapshot, key=value. */
static void
answer_stats(struct stats *st, struct ctlproto_out *o)
{
	struct stats_snapshot *snap = stats_snapshot_create(st);
	char key[64];

	if (snap == NULL) {
		ctlproto_end_error(o, "out of memory");
		return;
	}
	stats_snapshot(st, snap);
	for (size_t i = 0; i < snap->n; i++) {
		const struct stats_snapshot_input *in = &snap->in[i];

		snprintf(key, sizeof(key), "input.%zu.uri", i);
		ctlproto_kv_str(o, key, input_uri(st->inputs[i]));
		kv_in(o, i, "read", in->read);
		kv_in(o, i, "kernel_drops", in->kernel_drops);
		if (in->filtered_known)
			kv_in(o, i, "filtered", in->filtered);
		kv_in(o, i, "written", in->fates.written);
		kv_in(o, i, "lost", in->fates.lost);
		kv_in(o, i, "unfit", in->fates.unfit);
		kv_in(o, i, "discarded", in->discarded);
		if (in->reopens_known)
			kv_in(o, i, "reopens", in->reopens);
		kv_in(o, i, "gaps", in->gaps);
		kv_in(o, i, "gap_ns", in->gap_ns);
		kv_in(o, i, "interface_drops", in->if_drops);
		kv_in(o, i, "bytes", in->fates.bytes);
		kv_in(o, i, "up", in->up);
		kv_in(o, i, "queue_bytes", in->queue_bytes);
		kv_in(o, i, "queue_capacity", in->queue_capacity);
	}
	kv(o, "total.written", snap->written);
	kv(o, "total.lost", snap->lost);
	kv(o, "total.unfit", snap->unfit);
	kv(o, "total.kernel_drops", snap->kernel_drops);
	kv(o, "total.files", snap->files);
	kv(o, "total.disorders", snap->disorders);
	kv(o, "total.live_written", snap->live_written);
	kv(o, "total.live_lost", snap->live_lost);
	kv(o, "total.gaps", snap->gaps);
	kv(o, "total.reopens", snap->reopens);
	kv(o, "total.files_failed", snap->files_failed);
	kv(o, "total.file_bytes", snap->file_bytes);
	kv(o, "total.lost_nofile", snap->lost_nofile);
	kv(o, "total.lost_stop", snap->lost_stop);
	kv(o, "total.lost_output", snap->lost_output);
	kv(o, "total.last_done_ns", snap->last_done_ns);
	if (snap->name[0] != '\0') {
		ctlproto_kv_str(o, "file.name", snap->name);
		kv(o, "file.current", snap->name_current);
	}
	stats_snapshot_destroy(snap);
	ctlproto_end_ok(o);
}

/* Per input: what a session counted there. */
static void
per_input(const struct session_figures *f, struct ctlproto_out *o)
{
	for (size_t i = 0; i < f->ninputs; i++) {
		kv_in(o, i, "packets", f->packets[i]);
		kv_in(o, i, "bytes", f->bytes[i]);
	}
}

static void
answer_list(struct sessions *s, struct ctlproto_out *o)
{
	struct session_figures *f = NULL;
	size_t n = sessions_each(s, &f);
	char esc[4 * CTLPROTO_LINE_MAX + 1];

	for (size_t k = 0; k < n; k++) {
		log_escape(esc, sizeof(esc), f[k].filter);
		ctlproto_line(o, "%s packets=%" PRIu64 " bytes=%" PRIu64
		    " filter=%s", f[k].name, f[k].total_packets,
		    f[k].total_bytes, esc);
	}
	sessions_figures_free(f, n);
	free(f);
	ctlproto_end_ok(o);
}

static void
answer_show(struct sessions *s, const char *name, struct ctlproto_out *o)
{
	struct session_figures f;
	char err[512];

	if (sessions_show(s, name, &f, err, sizeof(err)) != 0) {
		ctlproto_end_error(o, "%s", err);
		return;
	}
	ctlproto_line(o, "name=%s", f.name);
	ctlproto_kv_str(o, "filter", f.filter);
	ctlproto_line(o, "started=%" PRIu64 ".%09" PRIu64,
	    f.started_ns / 1000000000u, f.started_ns % 1000000000u);
	kv(o, "packets", f.total_packets);
	kv(o, "bytes", f.total_bytes);
	per_input(&f, o);
	sessions_figures_free(&f, 1);
	ctlproto_end_ok(o);
}

/* A poll-style block: totals, what is new, per input; then ok. */
static void
block(const struct session_figures *f, uint64_t dp, uint64_t db,
    struct ctlproto_out *o)
{
	kv(o, "packets", f->total_packets);
	kv(o, "bytes", f->total_bytes);
	kv(o, "new_packets", dp);
	kv(o, "new_bytes", db);
	per_input(f, o);
	ctlproto_end_ok(o);
}

static void
answer_poll(struct sessions *s, const char *name, struct ctlproto_out *o)
{
	struct session_figures f;
	uint64_t dp, db;
	char err[512];

	if (sessions_poll(s, name, &f, &dp, &db, err, sizeof(err)) != 0) {
		ctlproto_end_error(o, "%s", err);
		return;
	}
	block(&f, dp, db, o);
	sessions_figures_free(&f, 1);
}

void
ctlcmd_watch_block(struct ctlcmd *c, struct ctlcmd_watch *w,
    struct ctlproto_out *o)
{
	struct sessions *s = get_sessions(c);
	struct session_figures f;
	char err[512];

	if (s == NULL || sessions_show(s, w->name, &f, err,
	    sizeof(err)) != 0) {
		ctlproto_end_error(o, "watch %s ends: %s", w->name, s == NULL ?
		    NOT_YET : err);
		w->on = false;
		return;
	}
	if (f.started_ns != w->started_ns) {
		/* modified: its counts began again */
		w->started_ns = f.started_ns;
		w->last_packets = w->last_bytes = 0;
	}
	block(&f, f.total_packets - w->last_packets,
	    f.total_bytes - w->last_bytes, o);
	w->last_packets = f.total_packets;
	w->last_bytes = f.total_bytes;
	sessions_figures_free(&f, 1);
}

static void
start_watch(struct ctlcmd *c, const struct ctlproto_req *req,
    struct ctlproto_out *o, struct ctlcmd_watch *w)
{
	struct session_figures f;
	char err[512];

	if (sessions_show(get_sessions(c), req->name, &f, err,
	    sizeof(err)) != 0) {
		ctlproto_end_error(o, "%s", err);
		return;
	}
	*w = (struct ctlcmd_watch){
		.on = true,
		.period_ns = (uint64_t)req->seconds * 1000000000u,
		.started_ns = f.started_ns,
		.last_packets = f.total_packets,
		.last_bytes = f.total_bytes,
	};
	snprintf(w->name, sizeof(w->name), "%s", req->name);
	sessions_figures_free(&f, 1);
	ctlcmd_watch_block(c, w, o);	/* now, then every period */
}

/* The session commands.  s is not NULL. */
static void
run_session(struct ctlcmd *c, struct sessions *s,
    const struct ctlproto_req *req, struct ctlproto_out *o,
    struct ctlcmd_watch *w)
{
	char err[512];
	int rc = 0;

	switch (req->cmd) {
	case CTL_LIST:
		answer_list(s, o);
		return;
	case CTL_SHOW:
		answer_show(s, req->name, o);
		return;
	case CTL_POLL:
		answer_poll(s, req->name, o);
		return;
	case CTL_WATCH:
		start_watch(c, req, o, w);
		return;
	case CTL_NEW:
		rc = sessions_new(s, req->name, req->bpf, err, sizeof(err));
		break;
	case CTL_MODIFY:
		rc = sessions_modify(s, req->name, req->bpf, err, sizeof(err));
		break;
	case CTL_STOP:
		rc = sessions_stop(s, req->name, err, sizeof(err));
		break;
	default:
		rc = -1;
		snprintf(err, sizeof(err), "%s: not a session command",
		    ctlproto_cmd_name(req->cmd));
		break;
	}
	if (rc != 0) {
		ctlproto_end_error(o, "%s", err);
		return;
	}
	log_info("control socket: %s %s%s%s", ctlproto_cmd_name(req->cmd),
	    req->name, req->bpf[0] != '\0' ? ": " : "", req->bpf);
	ctlproto_end_ok(o);
}

void
ctlcmd_run(struct ctlcmd *c, const struct ctlproto_req *req,
    struct ctlproto_out *o, struct ctlcmd_watch *w)
{
	struct stats *st = get_stats(c);
	struct sessions *s = get_sessions(c);
	char line[384];

	switch (req->cmd) {
	case CTL_ROTATE:
		log_info("control socket: rotate: starting a new file");
		atomic_store_explicit(&c->ctl->rotate, true,
		    memory_order_relaxed);
		ctlproto_end_ok(o);
		return;
	case CTL_STATUS:
	case CTL_STATS:
		if (st == NULL) {
			ctlproto_end_error(o, NOT_YET);
		} else if (req->cmd == CTL_STATS) {
			answer_stats(st, o);
		} else {
			stats_live_status(st, line, sizeof(line));
			ctlproto_line(o, "%s", line);
			ctlproto_end_ok(o);
		}
		return;
	default:
		if (s == NULL)
			ctlproto_end_error(o, "%s", st == NULL ? NOT_YET :
			    "counter sessions are not available");
		else
			run_session(c, s, req, o, w);
		return;
	}
}
