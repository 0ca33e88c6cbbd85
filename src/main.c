/*
 * main.c - mtracecap's startup order, and nothing else.
 *
 * parse -> start the control thread (signals, systemd; the metrics
 * port is bound and the metrics file's timer added first) -> check the
 * output place -> open and start every input (main thread: libtrace 3 is
 * not safe otherwise) -> drop privileges -> serve the metrics -> start
 * the readers -> tell systemd we are ready -> merge and write until the
 * inputs end or a signal says stop -> join -> the last metrics file ->
 * report -> exit status.  Each phase is one
 * function below, in that order (command_line, start_control, prepare,
 * open_inputs, drop_privileges, start_threads, capture, drain), and
 * run_free() undoes whatever was set up.  A stop signal before every
 * input is open ends the run at once (stopped_early).
 * Exit status: 0 clean, 1 input/output/runtime error, 2 usage error.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compress.h"
#include "control.h"
#include "ctlsock.h"
#include "deliver.h"
#include "input.h"
#include "log.h"
#include "metrics_out.h"
#include "opener.h"
#include "options.h"
#include "output.h"
#include "place.h"
#include "privs.h"
#include "recover.h"
#include "retain.h"
#include "seqfile.h"
#include "session.h"
#include "spawn.h"
#include "stats.h"
#include "tstamp.h"
#include "words.h"
#include "writer.h"

#define EXIT_USAGE	2
#define EXIT_RUNTIME	1
#define HOOK_WAIT_S	10	/* for --post-rotate hooks at exit */

/*
 * Make sure descriptors 0, 1 and 2 are open before anything else is:
 * started with one closed (`2>&-` in an init script or a cron line), the
 * first file opened would get it, and log lines would go into a capture
 * file.  A closed one gets /dev/null, as daemon(3) does; children inherit
 * them.  Returns a mask of those that were closed (bit n for fd n), or -1
 * with errno if /dev/null cannot be opened.
 */
static int
open_std_fds(void)
{
	int closed = 0, fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* 0..fd-1 are open: nfd is fd */
		if ((nfd = open("/dev/null", O_RDWR)) < 0)
			return -1;
		if (nfd != fd) {
			close(nfd);
			errno = EBADF;
			return -1;
		}
		closed |= 1 << fd;
	}
	return closed;
}

/* recover_calls: a recovered file goes through the delivery queue */
static int
recovering(void *d, const char *want)
{
	return deliver_prepare(d, want);
}

static void
recovered(void *d, const char *want, const char *placed, bool ok)
{
	deliver_placed(d, want, placed, ok);
}

/* retain.c's "awaits delivery?" (deliver.c knows) */
static bool
pending_of(void *deliver, const char *base)
{
	return deliver_is_pending(deliver, base);
}

/* Everything main() sets up, in start-up order; run_free() undoes it. */
struct run {
	struct config	 cfg;
	struct control	 ctl;
	struct ctlsock	*ctlsock;	/* --control, or NULL */
	struct sessions	*sessions;
	struct queue_waiter waiter;
	struct stats	 stats;
	struct input	**inputs;	/* cfg.ninputs slots, NULL: not opened */
	size_t		 opened, started;
	char		*pipeout_path, *hook_path;
	struct deliver	*deliver;	/* -B or --post-rotate, else NULL */
	struct metrics_out *metrics;	/* NULL: no --metrics-* */
	struct recover	*recovery;
	struct retain	*retain;	/* the disk bounds, or NULL */
	struct privs_user user;
	char		**lzop_argv;	/* -Z lzo through lzop (owned) */
	char		**pipeout_argv;	/* lzop_argv or cfg.pipeout_argv */
	int		 compress_type;	/* libwandio's, 0 for none */
	uint32_t	 first_seq;
	bool		 waiter_ok, stats_ok;
	bool		 stopped;	/* by a signal before the inputs opened */
	char		 err[1024];
};

/*
 * --list-time-stamp-types: every interface in turn, the others still
 * listed after one that cannot be (logged).  0, or EXIT_RUNTIME.
 */
static int
list_tstamp_types(struct run *r)
{
	int status = 0;

	for (size_t i = 0; i < r->cfg.ninputs; i++) {
		if (tstamp_list(stdout, r->cfg.inputs[i], r->err,
		    sizeof(r->err)) != 0) {
			log_error("%s", r->err);
			status = EXIT_RUNTIME;
		}
	}
	return status;
}

/*
 * Parse the command line and settle the compression.  Returns true to go
 * on and capture; false when main is to return *status at once (an
 * action such as --help, or an error, logged).
 */
static bool
command_line(struct run *r, int argc, char **argv, int std_closed,
    int *status)
{
	struct config *cfg = &r->cfg;

	*status = EXIT_USAGE;
	if (options_parse(argc, argv, cfg, r->err, sizeof(r->err)) != 0) {
		log_error("%s", r->err);
		return false;
	}
	*status = 0;
	switch (cfg->action) {
	case ACTION_HELP:
		options_usage(stdout);
		return false;
	case ACTION_VERSION:
		printf("mtracecap %s\n", PACKAGE_VERSION);
		return false;
	case ACTION_LIBTRACE_HELP:
		input_libtrace_help();
		return false;
	case ACTION_LIST_TSTAMP_TYPES:
		*status = list_tstamp_types(r);
		return false;
	case ACTION_RUN:
		break;
	}
	log_set_verbosity(cfg->verbose);
	if ((std_closed & 1 << STDOUT_FILENO) && !cfg->rotating &&
	    strcmp(cfg->output_path, "-") == 0) {
		/* it is /dev/null now: the capture would vanish */
		log_error("output '-': standard output was closed at start");
		*status = EXIT_RUNTIME;
		return false;
	}
	if (compress_choose(cfg->compress_type, cfg->compress_level,
	    cfg->compress_type_given, &r->compress_type, &r->lzop_argv,
	    r->err, sizeof(r->err)) != 0) {
		log_error("%s", r->err);
		*status = EXIT_USAGE;
		return false;
	}
	r->pipeout_argv = r->lzop_argv != NULL ? r->lzop_argv :
	    cfg->pipeout_argv;
	return true;
}

/*
 * The control thread, before anything that may take long: from here on a
 * stop signal is seen at once.  The control socket is made here, before
 * privileges are dropped (ctlsock_file.c says what that means for its
 * removal).  Returns 0, or -1 (logged).
 */
static int
start_control(struct run *r)
{
	const struct ctlsock_setup cs = { .path = r->cfg.control_path,
	    .group = r->cfg.control_group,
	    .run_user = r->cfg.relinquish_user };

	if (control_init(&r->ctl, r->err, sizeof(r->err)) != 0 ||
	    ((r->metrics = metrics_out_create(&r->cfg, &r->ctl, r->err,
	    sizeof(r->err))) == NULL && r->err[0] != '\0') ||
	    (cs.path != NULL && (r->ctlsock = ctlsock_open(&r->ctl, &cs,
	    r->err, sizeof(r->err))) == NULL) ||
	    control_start(&r->ctl, r->err, sizeof(r->err)) != 0) {
		log_error("%s", r->err);
		return -1;
	}
	return 0;
}

static bool
stopping(const struct run *r)
{
	return atomic_load(&r->ctl.stop);
}

/*
 * Open every input on this thread, live ones first.  Returns 0, 1 if a
 * stop signal came first (or made an open give up), or -1 (r->err).
 */
static int
open_each(struct run *r)
{
	const struct config *cfg = &r->cfg;

	/*
	 * Live inputs first: capture needs CAP_NET_RAW/CAP_NET_ADMIN only to
	 * open them.  Without root, give those up before the file inputs
	 * open, so that no thread or child they start (libwandio's reader,
	 * the relay, a decompressor) ever holds them: capabilities belong to
	 * threads, and dropping them later reaches this thread only.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg->ninputs; i++) {
			if (input_uri_is_live(cfg->inputs[i]) != (pass == 0))
				continue;
			if (stopping(r))
				return 1;
			r->inputs[i] = input_open(cfg->inputs[i], i, cfg,
			    cfg->relinquish_user != NULL ? &r->user : NULL,
			    &r->waiter, &r->ctl.stop, r->err, sizeof(r->err));
			if (r->inputs[i] == NULL)	/* EINTR from a stop? */
				return stopping(r) ? 1 : -1;
			r->opened++;
		}
		/* (root keeps them: privs_drop_caps leaves root alone; the
		 * opener keeps what reopening needs) */
		if (pass == 0 &&
		    (privs_drop_caps(r->err, sizeof(r->err)) != 0 ||
		    opener_restrict(r->err, sizeof(r->err)) != 0))
			return -1;
	}
	return 0;
}

/*
 * Before any input opens: the commands to run, the output place, the
 * user to become, the sequence number.  Returns 0, or -1 (logged).
 */
static int
prepare(struct run *r)
{
	const struct config *cfg = &r->cfg;
	char *err = r->err;
	size_t errlen = sizeof(r->err);

	if (r->pipeout_argv != NULL) {
		r->pipeout_path = spawn_resolve(r->pipeout_argv[0], err,
		    errlen);
		if (r->pipeout_path == NULL) {
			log_error("--pipeout: %s", err);
			return -1;
		}
	}
	if (place_check_output(cfg->output_path, cfg->rotating, err,
	    errlen) != 0)
		goto fail;
	/* known before the inputs open: their decompressors run as the user */
	if (cfg->relinquish_user != NULL &&
	    privs_lookup(cfg->relinquish_user, &r->user, err, errlen) != 0)
		goto fail;
	if (cfg->post_rotate_argv != NULL && (r->hook_path = spawn_resolve(
	    cfg->post_rotate_argv[0], err, errlen)) == NULL) {
		log_error("--post-rotate: %s", err);
		return -1;
	}
	/* the delivery state of DIR, before anything may change DIR */
	if ((cfg->rotating || r->hook_path != NULL) &&
	    (r->deliver = deliver_create(&(struct deliver_setup){
	    .dir = cfg->rotating ? cfg->output_path : NULL,
	    .ext = cfg->file_ext, .hook_path = r->hook_path,
	    .hook_argv = cfg->post_rotate_argv,
	    .timeout_s = cfg->post_rotate_timeout_s }, err, errlen)) == NULL)
		goto fail;
	if (cfg->seqfile != NULL &&
	    seqfile_load(cfg->seqfile, &r->first_seq, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	log_error("%s", err);
	return -1;
}

/*
 * Open every input, a stop signal interrupting an open that waits.
 * Returns 0 (r->stopped set if a stop came first), or -1 (logged).
 */
static int
open_inputs(struct run *r)
{
	int rc;

	if (queue_waiter_init(&r->waiter) != 0) {
		log_error("cannot initialise the merger's lock");
		return -1;
	}
	r->waiter_ok = true;
	if ((r->inputs = calloc(r->cfg.ninputs, sizeof(*r->inputs))) == NULL) {
		log_error("out of memory");
		return -1;
	}
	/* before any drop: the thread that may reopen live inputs later */
	for (size_t i = 0; i < r->cfg.ninputs; i++)
		if (input_uri_is_live(r->cfg.inputs[i]) &&
		    opener_start(r->err, sizeof(r->err)) != 0)
			goto fail;
	if (control_interrupt_begin(&r->ctl, r->err, sizeof(r->err)) != 0)
		goto fail;
	rc = open_each(r);
	control_interrupt_end(&r->ctl);
	if (rc == 1) {
		r->stopped = true;
		return 0;
	}
	if (rc != 0 || writer_check_inputs(&r->cfg, r->inputs, r->opened,
	    r->err, sizeof(r->err)) != 0)
		goto fail;
	return 0;
fail:
	log_error("%s", r->err);
	return -1;
}

/*
 * A stop signal came before every input was open: nothing was read, and
 * nothing written (no output exists before capture).  A clean stop, as
 * during capture: exit 0 and the total line (no input has a line: not
 * every one was opened).
 */
static int
stopped_early(struct run *r)
{
	if (stats_init(&r->stats, r->inputs, 0) != 0) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	r->stats_ok = true;
	stats_final_report(&r->stats);
	return 0;
}

/* Become the --relinquish-privileges user for good.  0, or -1 (logged). */
static int
drop_privileges(struct run *r)
{
	const struct config *cfg = &r->cfg;
	char *err = r->err;
	size_t errlen = sizeof(r->err);

	if (cfg->relinquish_user != NULL) {
		/* again as the user that writes the files and the seqfile */
		if (privs_drop(cfg->relinquish_user, &r->user, err,
		    errlen) != 0 ||
		    place_check_output(cfg->output_path, cfg->rotating, err,
	    errlen) != 0 ||
		    (cfg->seqfile != NULL &&
		    seqfile_check(cfg->seqfile, err, errlen) != 0)) {
			log_error("%s", err);
			return -1;
		}
		ctlsock_check_removable(r->ctlsock);
	}
	/* capture needs CAP_NET_RAW/CAP_NET_ADMIN only to open inputs: the
	 * opener alone keeps them, for reopening */
	if (privs_drop_caps(err, errlen) != 0 ||
	    opener_restrict(err, errlen) != 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/*
 * Start recovery and the readers.  Returns -1 (logged)
 * if nothing may run; 0 otherwise, with r->started < r->opened if a
 * reader failed to start (then the stop flag is set).
 */
static int
start_threads(struct run *r)
{
	/* as the user that writes the files from here on; beside capture;
	 * hooks start first (files left pending by the last run) */
	if (deliver_start(r->deliver, r->err, sizeof(r->err)) != 0 ||
	    (r->cfg.rotating && (r->recovery = recover_start(
	    r->cfg.output_path, r->cfg.manifest, &r->ctl.stop,
	    &(struct recover_calls){ recovering, recovered, r->deliver },
	    r->err, sizeof(r->err))) == NULL)) {
		log_error("%s", r->err);
		return -1;
	}
	if (stats_init(&r->stats, r->inputs, r->opened) != 0) {
		log_error("out of memory");
		return -1;
	}
	r->stats_ok = true;
	stats_set_delivery(&r->stats, deliver_stats(r->deliver));
	/* the disk bounds: may delete files of earlier runs right away,
	 * never one that awaits delivery */
	if ((r->retain = retain_create(&r->cfg, &r->stats, WRITER_BUFSIZE,
	    r->first_seq, pending_of, r->deliver, r->err,
	    sizeof(r->err))) == NULL && r->err[0] != '\0') {
		log_error("%s", r->err);
		return -1;
	}
	deliver_set_on_delivered(r->deliver, retain_wake, r->retain);
	/* before the readers start; the control socket's commands use them */
	if ((r->sessions = sessions_create(r->inputs, r->opened, r->err,
	    sizeof(r->err))) == NULL) {
		log_error("%s", r->err);
		return -1;
	}
	ctlsock_ready(r->ctlsock, &r->stats, r->sessions);
	metrics_out_set_sessions(r->metrics, r->sessions);
	if (r->metrics != NULL && metrics_out_start(r->metrics, &r->stats,
	    r->err, sizeof(r->err)) != 0) {
		log_error("%s", r->err);
		return -1;
	}
	for (r->started = 0; r->started < r->opened; r->started++) {
		if (input_start(r->inputs[r->started], &r->ctl.stop, r->err,
		    sizeof(r->err)) != 0) {
			log_error("%s", r->err);
			/* the readers already running must end too */
			atomic_store(&r->ctl.stop, true);
			break;
		}
	}
	return 0;
}

/* Merge and write until the inputs end or a signal says stop. */
static int
capture(struct run *r)
{
	struct writer_setup ws = {
		.cfg = &r->cfg,
		.inputs = r->inputs,
		.ninputs = r->opened,
		.control = &r->ctl,
		.waiter = &r->waiter,
		.stats = &r->stats,
		.first_seq = r->first_seq,
		.pipeout_path = r->pipeout_path,
		.pipeout_argv = r->pipeout_argv,
		.compress_type = r->compress_type,
		.deliver = r->deliver,
		.retain = r->retain,
	};

	/* systemd (Type=notify); no-ops without NOTIFY_SOCKET */
	control_ready(&r->ctl, &r->stats);
	return writer_run(&ws) == 0 ? 0 : EXIT_RUNTIME;
}

/* Join recovery and the readers, report; the exit status from status. */
static int
drain(struct run *r, int status)
{
	/* recovery goes on to its end unless a signal stopped the run */
	(void)recover_join(r->recovery);
	r->recovery = NULL;
	/* the writer returns only after every reader closed its queue */
	atomic_store(&r->ctl.stop, true);
	for (size_t i = 0; i < r->started; i++)
		input_join(r->inputs[i]);
	/* every file is placed: hooks get a bounded time to finish */
	deliver_stop(r->deliver, HOOK_WAIT_S);
	retain_destroy(r->retain);	/* its last deletions in the totals */
	r->retain = NULL;
	control_finish(&r->ctl);	/* the final STATUS line */
	(void)metrics_out_final(r->metrics);	/* totals final; logs */
	for (size_t i = 0; i < r->started; i++)
		if (input_failed(r->inputs[i]))
			status = EXIT_RUNTIME;
	if (r->started == r->opened)
		stats_final_report(&r->stats);
	else
		status = EXIT_RUNTIME;
	return status;
}

/* Undo what was set up, whatever phase failed. */
static void
run_free(struct run *r)
{
	if (r->recovery != NULL) {
		atomic_store(&r->ctl.stop, true);
		(void)recover_join(r->recovery);
	}
	/* the delivery thread may wake the disk bounds' thread: it first */
	deliver_stop(r->deliver, 0);
	retain_destroy(r->retain);
	control_finish(&r->ctl);
	/* stops serving: the metrics read the stats, the sessions and
	 * through them the inputs, all freed below */
	metrics_out_destroy(r->metrics);
	ctlsock_close(r->ctlsock);	/* the control thread is gone */
	sessions_destroy(r->sessions);	/* before the inputs' streams */
	if (r->inputs != NULL)
		for (size_t i = 0; i < r->cfg.ninputs; i++)
			input_destroy(r->inputs[i]);	/* NULL: not opened */
	free(r->inputs);
	opener_stop();		/* after every reader that may use it */
	if (r->stats_ok)
		stats_destroy(&r->stats);
	if (r->waiter_ok)
		queue_waiter_destroy(&r->waiter);
	/* after the statistics' readers: it holds their delivery figures */
	deliver_destroy(r->deliver);
	free(r->hook_path);
	free(r->pipeout_path);
	privs_user_free(&r->user);
	words_free(r->lzop_argv);
	options_free(&r->cfg);
}

int
main(int argc, char **argv)
{
	static struct run r;
	int status = EXIT_RUNTIME;
	int std_closed;

	if ((std_closed = open_std_fds()) < 0) {
		if (fcntl(STDERR_FILENO, F_GETFD) != -1)
			log_error("cannot open /dev/null: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	/*
	 * Before anything that may start a thread: the -Z probe
	 * (compress_choose) runs a libwandio writer thread, and glibc's
	 * pthread_create blocks every signal in the caller for a moment.
	 * Blocked only later, a thread could start with SIGTERM open, and
	 * the moment of that all-blocked mask looks like "signals blocked"
	 * from outside (/proc/PID/status) while a SIGTERM just after it
	 * still kills.
	 */
	if (control_block_signals() != 0) {
		log_error("cannot block signals: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (!command_line(&r, argc, argv, std_closed, &status)) {
		run_free(&r);
		return status;
	}
	status = EXIT_RUNTIME;
	if (start_control(&r) == 0 && prepare(&r) == 0 &&
	    open_inputs(&r) == 0) {
		if (r.stopped) {
			status = stopped_early(&r);
		} else if (drop_privileges(&r) == 0 &&
		    start_threads(&r) == 0) {
			if (r.started == r.opened)
				status = capture(&r);
			status = drain(&r, status);
		}
	}
	run_free(&r);
	return status;
}
