/*
 * metrics_out.c - the metrics text (snapshot + /proc/self + statvfs) and
 * its two ways out: the HTTP endpoint and the textfile.
 *
 * DESIGN
 * - The text: one stats_snapshot() into a snapshot of the caller's own
 *   (allocated per rendering: a scrape, a file write), then, with the
 *   statistics' lock released, /proc/self, statvfs of the output
 *   directory, the sessions hook and the rendering.  Any thread.
 * - The textfile: place_save() writes PATH.tmp-<pid> (never through a
 *   link or FIFO) and renames it to PATH, node_exporter's convention, so a reader sees the
 *   old text or the new one, never part of one.  Not fsync'ed: it is
 *   rewritten every METRICS_FILE_EVERY_S, and after a crash an older
 *   complete text (or none) is what the collector finds, which is right
 *   for a process that is gone.  Its timer is a timerfd in the control
 *   loop (control_add_fd), so the writes run on the control thread; the
 *   last one runs on the main thread after that thread ended.
 *   A failing write is logged once, and again once it works.
 * - m->stats is published (release) by metrics_out_start before the
 *   timer is armed and the HTTP thread starts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/statvfs.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "control.h"
#include "log.h"
#include "metrics_http.h"
#include "metrics_out.h"
#include "place.h"
#include "options.h"
#include "session.h"
#include "stats.h"

struct metrics_out {
	const struct config	*cfg;
	_Atomic(struct stats *)	 stats;
	struct metrics_http	*http;
	int			 timer;		/* -1: no --metrics-file */
	char			*dir;		/* for statvfs, NULL: stdout */
	double			 start_s;	/* process start, epoch s */
	bool			 file_failing;	/* logged, not yet recovered */
	struct sessions		*sessions;	/* NULL: none yet */
};

/* The counter sessions' families: every session's figures at once
 * (sessions_each, under the sessions' own lock, no I/O). */
static void
render_sessions(struct metrics_out *m, struct metrics_buf *b,
    const char *const *uris, size_t ninputs)
{
	struct session_figures *f = NULL;
	struct metrics_session *ms = NULL;
	size_t n = m->sessions != NULL ? sessions_each(m->sessions, &f) : 0;

	if (n > 0 && (ms = calloc(n, sizeof(*ms))) == NULL)
		n = 0;
	for (size_t i = 0; i < n; i++)
		ms[i] = (struct metrics_session){ .name = f[i].name,
		    .packets = f[i].packets, .bytes = f[i].bytes };
	(void)metrics_render_sessions(b, ms, n, uris, ninputs);
	free(ms);
	sessions_figures_free(f, n);
	free(f);
}

/*
 * The delivery families (--post-rotate; deliver.c): always there, 0
 * without a hook, so that a dashboard needs no special case.
 */
static void
render_delivery(struct metrics_buf *b, const struct stats_snapshot *s)
{
	static const struct {
		const char *name, *type, *help;
	} fam[3] = {
		{ "mtracecap_deliveries_pending", "gauge", "Completed files "
		    "whose --post-rotate hook has not exited 0 yet (kept, "
		    "never deleted by the disk bounds)." },
		{ "mtracecap_files_delivered_total", "counter", "Files whose "
		    "--post-rotate hook exited 0." },
		{ "mtracecap_hook_failures_total", "counter", "--post-rotate "
		    "runs that failed (exit status, signal, timeout); each is "
		    "retried." },
	};
	const uint64_t v[3] = { s->deliveries_pending, s->files_delivered,
	    s->hook_failures };

	for (int k = 0; k < 3; k++)
		metrics_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64
		    "\n", fam[k].name, fam[k].help, fam[k].name, fam[k].type,
		    fam[k].name, v[k]);
}

/* The output's directory (cfg: -B's, or the file's), NULL for stdout. */
static char *
output_dir(const struct config *cfg)
{
	const char *p = cfg->output_path, *slash;

	if (cfg->rotating)
		return strdup(p);
	if (strcmp(p, "-") == 0)
		return NULL;
	if ((slash = strrchr(p, '/')) == NULL)
		return strdup(".");
	if (slash == p)
		return strdup("/");
	return strndup(p, (size_t)(slash - p));
}

/* From /proc/self/stat: CPU ticks, start tick (since boot), RSS pages. */
static int
stat_fields(unsigned long long *utime, unsigned long long *stime,
    unsigned long long *start, long *rss)
{
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	(void)fclose(f);
	buf[n] = '\0';
	/* the name may hold spaces and parentheses: the last ')' ends it */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	/* fields 3..: state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime(14) stime(15) cutime cstime priority nice
	 * threads itrealvalue starttime(22) vsize rss(24) */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu "
	    "%llu %*d %*d %*d %*d %*d %*d %llu %*u %ld", utime, stime, start,
	    rss) != 4)
		return -1;
	return 0;
}

/* Boot time (epoch s) from /proc/stat's btime, or 0. */
static double
boot_time(void)
{
	char line[256];
	unsigned long long bt = 0;
	FILE *f = fopen("/proc/stat", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "btime %llu", &bt) == 1)
			break;
	(void)fclose(f);
	return (double)bt;
}

/* When this process started (epoch s): boot time + its start tick. */
static double
process_start(void)
{
	unsigned long long ut, st, start;
	long rss, tck = sysconf(_SC_CLK_TCK);

	if (tck <= 0 || stat_fields(&ut, &st, &start, &rss) != 0)
		return 0;
	return boot_time() + (double)start / (double)tck;
}

static void
process_now(const struct metrics_out *m, struct metrics_process *p)
{
	unsigned long long ut, st, start;
	long rss, tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

	memset(p, 0, sizeof(*p));
	if (tck <= 0 || page <= 0 || stat_fields(&ut, &st, &start, &rss) != 0)
		return;
	p->known = true;
	p->start_time_s = m->start_s;
	p->cpu_s = (double)(ut + st) / (double)tck;
	p->rss_bytes = rss > 0 ? (uint64_t)rss * (uint64_t)page : 0;
}

char *
metrics_out_text(struct metrics_out *m, size_t *len)
{
	struct stats *st = atomic_load_explicit(&m->stats,
	    memory_order_acquire);
	struct metrics_buf b = { 0 };
	struct stats_snapshot *snap;
	struct metrics_view v = { .uris = (const char *const *)m->cfg->inputs,
	    .version = PACKAGE_VERSION };
	struct statvfs vfs;

	if (st == NULL || (snap = stats_snapshot_create(st)) == NULL)
		return NULL;
	stats_snapshot(st, snap);
	/* the lock is released: the rest may take its time */
	v.snap = snap;
	process_now(m, &v.proc);
	if (m->dir != NULL && statvfs(m->dir, &vfs) == 0) {
		v.free_known = true;
		v.free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	}
	(void)metrics_render(&b, &v);
	render_sessions(m, &b, v.uris, snap->n);
	render_delivery(&b, snap);
	stats_snapshot_destroy(snap);
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

/* PATH.tmp-<pid>, then renamed.  0, or -1 with err. */
static int
write_file(struct metrics_out *m, char *err, size_t errlen)
{
	const char *path = m->cfg->metrics_file;
	size_t len;
	char *text = metrics_out_text(m, &len);
	int rc;

	if (text == NULL) {
		log_seterr(err, errlen, "--metrics-file '%s': out of memory",
		    path);
		return -1;
	}
	/* no fsync: a newer one follows within 10 s */
	if ((rc = place_save(path, NULL, text, len, false)) != 0)
		log_seterr(err, errlen, "--metrics-file '%s': %s", path,
		    strerror(errno));
	free(text);
	return rc;
}

/* metrics_http_text_fn */
static char *
http_text(void *arg, size_t *len)
{
	return metrics_out_text(arg, len);
}

/* A write from the timer or at exit: failures logged once per streak. */
static int
write_file_logged(struct metrics_out *m)
{
	char err[1024];

	if (write_file(m, err, sizeof(err)) != 0) {
		if (!m->file_failing)
			log_warn("%s (will retry every %d s)", err,
			    METRICS_FILE_EVERY_S);
		m->file_failing = true;
		return -1;
	}
	if (m->file_failing)
		log_info("--metrics-file '%s' is written again",
		    m->cfg->metrics_file);
	m->file_failing = false;
	return 0;
}

/* control_fd_fn: the textfile's timer (control thread). */
static void
on_timer(struct control *c, int fd, uint32_t events, void *arg)
{
	uint64_t ticks;

	while (read(fd, &ticks, sizeof(ticks)) < 0 && errno == EINTR)
		;
	(void)write_file_logged(arg);
}

struct metrics_out *
metrics_out_create(const struct config *cfg, struct control *c, char *err,
    size_t errlen)
{
	struct metrics_out *m;

	err[0] = '\0';
	if (!cfg->metrics_listen.set && cfg->metrics_file == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		goto oom;
	m->cfg = cfg;
	m->timer = -1;
	m->start_s = process_start();
	if ((m->dir = output_dir(cfg)) == NULL &&
	    strcmp(cfg->output_path, "-") != 0)
		goto oom;
	if (cfg->metrics_listen.set &&
	    (m->http = metrics_http_bind(&cfg->metrics_listen, err,
	    errlen)) == NULL)
		goto fail;
	if (cfg->metrics_file != NULL) {
		if ((m->timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
		    TFD_CLOEXEC)) < 0) {
			log_seterr(err, errlen, "--metrics-file: timerfd: %s",
			    strerror(errno));
			goto fail;
		}
		if (control_add_fd(c, m->timer, EPOLLIN, on_timer, m, err,
		    errlen) != 0)
			goto fail;
	}
	return m;
oom:
	log_seterr(err, errlen, "out of memory");
fail:
	metrics_out_destroy(m);
	return NULL;
}

void
metrics_out_set_sessions(struct metrics_out *m, struct sessions *s)
{
	if (m != NULL)
		m->sessions = s;
}

int
metrics_out_start(struct metrics_out *m, struct stats *stats, char *err,
    size_t errlen)
{
	struct itimerspec every = {
		.it_interval = { .tv_sec = METRICS_FILE_EVERY_S },
		.it_value = { .tv_sec = METRICS_FILE_EVERY_S },
	};

	atomic_store_explicit(&m->stats, stats, memory_order_release);
	if (m->timer >= 0) {
		/* the first file now: a PATH that cannot be written ends
		 * the run before capture */
		if (write_file(m, err, errlen) != 0)
			return -1;
		if (timerfd_settime(m->timer, 0, &every, NULL) != 0) {
			log_seterr(err, errlen, "--metrics-file: timerfd: %s",
			    strerror(errno));
			return -1;
		}
	}
	if (m->http != NULL &&
	    metrics_http_start(m->http, http_text, m, err, errlen) != 0)
		return -1;
	return 0;
}

int
metrics_out_final(struct metrics_out *m)
{
	if (m == NULL || m->timer < 0 ||
	    atomic_load_explicit(&m->stats, memory_order_acquire) == NULL)
		return 0;
	return write_file_logged(m);
}

void
metrics_out_destroy(struct metrics_out *m)
{
	if (m == NULL)
		return;
	metrics_http_stop(m->http);
	if (m->timer >= 0)
		(void)close(m->timer);
	free(m->dir);
	free(m);
}
