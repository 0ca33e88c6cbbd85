/*
 * main.c - mtracecap's startup order, and nothing else.
 *
 * parse -> check the output place -> open and start every input (main
 * thread: libtrace 3 is not safe otherwise) -> drop privileges -> start
 * the signal thread and the readers -> tell systemd we are ready -> merge
 * and write until the inputs end or a signal says stop -> join -> report
 * -> exit status.
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

#include "control.h"
#include "input.h"
#include <wandio.h>

#include "log.h"
#include "notify.h"
#include "options.h"
#include "output.h"
#include "pipeout.h"
#include "postrotate.h"
#include "privs.h"
#include "recover.h"
#include "seqfile.h"
#include "stats.h"
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

static void
run_hook(const char *path, void *arg)
{
	postrotate_run(arg, path);
}

/* Can we create files in dir?  O_TMPFILE leaves nothing behind. */
static int
check_dir_writable(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (stat(dir, &st) != 0) {
		log_seterr(err, errlen, "output directory '%s': %s", dir,
		    strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		log_seterr(err, errlen, "output directory '%s': not a "
		    "directory", dir);
		return -1;
	}
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
		if (access(dir, W_OK | X_OK) == 0)
			return 0;
	}
	log_seterr(err, errlen, "output directory '%s' is not writable: %s",
	    dir, strerror(errno));
	return -1;
}

static int
check_output(const struct config *cfg, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	const char *slash;

	if (cfg->rotating)
		return check_dir_writable(cfg->output_path, err, errlen);
	if (strcmp(cfg->output_path, "-") == 0)
		return 0;
	slash = strrchr(cfg->output_path, '/');
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == cfg->output_path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s",
		    (int)(slash - cfg->output_path), cfg->output_path);
	if (slash != NULL && slash[1] == '\0') {
		log_seterr(err, errlen, "output file '%s' names a directory "
		    "(use -B for a directory)", cfg->output_path);
		return -1;
	}
	if (check_dir_writable(dir, err, errlen) != 0)
		return -1;
	return output_check_target(cfg->output_path, err, errlen);
}

/*
 * -Z/-z: map to libwandio and make sure it really compresses.  Debian's
 * libwandio1 writes "lzo" uncompressed: then lzop, if installed, does the
 * job as a --pipeout child (*lzop_argv); otherwise refuse.
 */
static int
choose_compression(const struct config *cfg, int *type, char ***lzop_argv,
    char *err, size_t errlen)
{
	static const int wandio_type[] = {
		[COMPRESS_NONE] = WANDIO_COMPRESS_NONE,
		[COMPRESS_GZ] = WANDIO_COMPRESS_ZLIB,
		[COMPRESS_BZ2] = WANDIO_COMPRESS_BZ2,
		[COMPRESS_LZO] = WANDIO_COMPRESS_LZO,
		[COMPRESS_XZ] = WANDIO_COMPRESS_LZMA,
#if HAVE_DECL_WANDIO_COMPRESS_ZSTD
		[COMPRESS_ZSTD] = WANDIO_COMPRESS_ZSTD,
#else
		[COMPRESS_ZSTD] = -1,
#endif
#if HAVE_DECL_WANDIO_COMPRESS_LZ4
		[COMPRESS_LZ4] = WANDIO_COMPRESS_LZ4,
#else
		[COMPRESS_LZ4] = -1,
#endif
	};
	const char *name = options_compress_name(cfg->compress_type);
	char perr[256], cmd[32];

	*type = 0;
	*lzop_argv = NULL;
	if (cfg->compress_type == COMPRESS_NONE)
		return 0;
	if (!cfg->compress_type_given)
		log_warn("-z given without -Z: compressing with gzip, as "
		    "mtracecap 0.6 did");
	if (wandio_type[cfg->compress_type] < 0) {
		/* libwandio < 4.2 has no such writer */
		log_seterr(err, errlen, "invalid value '%s' for "
		    "-Z/--compress-type: this libwandio cannot write %s; use "
		    "--pipeout='%s -1' instead", name, name, name);
		return -1;
	}
	if (output_probe_compression(wandio_type[cfg->compress_type],
	    cfg->compress_level, perr, sizeof(perr)) == 0) {
		*type = wandio_type[cfg->compress_type];
		return 0;
	}
	if (cfg->compress_type == COMPRESS_LZO) {
		char *lzop = pipeout_resolve("lzop", NULL, 0);

		if (lzop != NULL) {
			free(lzop);
			snprintf(cmd, sizeof(cmd), "lzop -%d -c",
			    cfg->compress_level);
			*lzop_argv = options_split_words(cmd, err, errlen);
			if (*lzop_argv == NULL)
				return -1;
			log_info("-Z lzo: libwandio cannot write lzo here, "
			    "compressing with '%s' instead", cmd);
			return 0;
		}
	}
	log_seterr(err, errlen, "invalid value '%s' for -Z/--compress-type: "
	    "%s%s", name, perr, cfg->compress_type == COMPRESS_LZO ?
	    "; install lzop or use --pipeout" : "");
	return -1;
}

/* Every input whose link type is known up front must agree. */
static int
check_linktypes(struct input *const *inputs, size_t n, int *linktype,
    char *err, size_t errlen)
{
	*linktype = -1;
	for (size_t i = 0; i < n; i++) {
		int lt = input_linktype(inputs[i]);

		if (lt < 0)
			continue;
		if (*linktype < 0) {
			*linktype = lt;
		} else if (lt != *linktype) {
			log_seterr(err, errlen, "input '%s' has link type %d "
			    "but an earlier input has %d: one pcap file "
			    "cannot hold both", input_uri(inputs[i]), lt,
			    *linktype);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct control ctl;
	struct queue_waiter waiter;
	struct stats stats;
	struct input **inputs = NULL;
	size_t opened = 0, started = 0;
	char err[1024];
	char *pipeout_path = NULL, *hook_path = NULL;
	struct postrotate *hook = NULL;
	struct recover *recovery = NULL;
	struct privs_user user = { 0 };
	char **lzop_argv = NULL, **pipeout_argv;
	int compress_type = 0;
	uint32_t first_seq = 0;
	int linktype = -1;
	int status = EXIT_RUNTIME;
	int std_closed;
	bool waiter_ok = false, stats_ok = false;

	if ((std_closed = open_std_fds()) < 0) {
		if (fcntl(STDERR_FILENO, F_GETFD) != -1)
			log_error("cannot open /dev/null: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	/*
	 * Before anything that may start a thread: choose_compression's
	 * probe runs a libwandio writer thread, and glibc's pthread_create
	 * blocks every signal in the caller for a moment.  Blocked only
	 * later, a thread could start with SIGTERM open, and the moment of
	 * that all-blocked mask looks like "signals blocked" from outside
	 * (/proc/PID/status) while a SIGTERM just after it still kills.
	 */
	if (control_block_signals() != 0) {
		log_error("cannot block signals: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (options_parse(argc, argv, &cfg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		return EXIT_USAGE;
	}
	switch (cfg.action) {
	case ACTION_HELP:
		options_usage(stdout);
		return 0;
	case ACTION_VERSION:
		printf("mtracecap %s\n", PACKAGE_VERSION);
		return 0;
	case ACTION_LIBTRACE_HELP:
		input_libtrace_help();
		return 0;
	case ACTION_RUN:
		break;
	}
	log_set_verbosity(cfg.verbose);
	if ((std_closed & 1 << STDOUT_FILENO) && !cfg.rotating &&
	    strcmp(cfg.output_path, "-") == 0) {
		/* it is /dev/null now: the capture would vanish */
		log_error("output '-': standard output was closed at start");
		options_free(&cfg);
		return EXIT_RUNTIME;
	}
	if (choose_compression(&cfg, &compress_type, &lzop_argv, err,
	    sizeof(err)) != 0) {
		log_error("%s", err);
		options_free(&cfg);
		return EXIT_USAGE;
	}
	pipeout_argv = lzop_argv != NULL ? lzop_argv : cfg.pipeout_argv;
	if (pipeout_argv != NULL) {
		pipeout_path = pipeout_resolve(pipeout_argv[0], err,
		    sizeof(err));
		if (pipeout_path == NULL) {
			log_error("--pipeout: %s", err);
			goto out;
		}
	}
	if (check_output(&cfg, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	/* known before the inputs open: their decompressors run as the user */
	if (cfg.relinquish_user != NULL &&
	    privs_lookup(cfg.relinquish_user, &user, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	if (cfg.post_rotate_argv != NULL) {
		hook_path = pipeout_resolve(cfg.post_rotate_argv[0], err,
		    sizeof(err));
		if (hook_path == NULL ||
		    (hook = postrotate_create(hook_path, cfg.post_rotate_argv,
		    err, sizeof(err))) == NULL) {
			log_error("--post-rotate: %s", err);
			goto out;
		}
	}
	if (cfg.seqfile != NULL &&
	    seqfile_load(cfg.seqfile, &first_seq, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	control_init(&ctl);
	if (queue_waiter_init(&waiter) != 0) {
		log_error("cannot initialise the merger's lock");
		goto out;
	}
	waiter_ok = true;
	if ((inputs = calloc(cfg.ninputs, sizeof(*inputs))) == NULL) {
		log_error("out of memory");
		goto out;
	}
	/*
	 * Live inputs first: capture needs CAP_NET_RAW/CAP_NET_ADMIN only to
	 * open them.  Without root, give those up before the file inputs
	 * open, so that no thread or child they start (libwandio's reader,
	 * the relay, a decompressor) ever holds them: capabilities belong to
	 * threads, and dropping them later reaches this thread only.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < cfg.ninputs; i++) {
			if (input_uri_is_live(cfg.inputs[i]) != (pass == 0))
				continue;
			inputs[i] = input_open(cfg.inputs[i], i, &cfg,
			    cfg.relinquish_user != NULL ? &user : NULL,
			    &waiter, err, sizeof(err));
			if (inputs[i] == NULL) {
				log_error("%s", err);
				goto out;
			}
			opened++;
		}
		/* (root keeps them: privs_drop_caps leaves root alone) */
		if (pass == 0 && privs_drop_caps(err, sizeof(err)) != 0) {
			log_error("%s", err);
			goto out;
		}
	}
	if (check_linktypes(inputs, opened, &linktype, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	if (cfg.relinquish_user != NULL) {
		/* again as the user that writes the files and the seqfile */
		if (privs_drop(cfg.relinquish_user, &user, err,
		    sizeof(err)) != 0 ||
		    check_output(&cfg, err, sizeof(err)) != 0 ||
		    (cfg.seqfile != NULL &&
		    seqfile_check(cfg.seqfile, err, sizeof(err)) != 0)) {
			log_error("%s", err);
			goto out;
		}
	}
	/* capture needs CAP_NET_RAW/CAP_NET_ADMIN only to open inputs */
	if (privs_drop_caps(err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	/* as the user that writes the files from here on; beside capture */
	if (cfg.rotating && (recovery = recover_start(cfg.output_path,
	    &ctl.stop, run_hook, hook, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		goto out;
	}
	if (stats_init(&stats, inputs, opened) != 0) {
		log_error("out of memory");
		goto out;
	}
	stats_ok = true;
	if (control_start(&ctl, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	for (started = 0; started < opened; started++) {
		if (input_start(inputs[started], &ctl.stop, err,
		    sizeof(err)) != 0) {
			log_error("%s", err);
			/* the readers already running must end too */
			atomic_store(&ctl.stop, true);
			break;
		}
	}
	if (started == opened) {
		struct writer_setup ws = {
			.cfg = &cfg,
			.inputs = inputs,
			.ninputs = opened,
			.control = &ctl,
			.waiter = &waiter,
			.stats = &stats,
			.first_seq = first_seq,
			.linktype = linktype,
			.pipeout_path = pipeout_path,
			.pipeout_argv = pipeout_argv,
			.compress_type = compress_type,
			.post_rotate = hook,
		};

		/* systemd (Type=notify); no-ops without NOTIFY_SOCKET */
		if (notify_start(&ctl, &stats, err, sizeof(err)) != 0)
			log_warn("%s; capture goes on without it", err);
		notify_ready();
		status = writer_run(&ws) == 0 ? 0 : EXIT_RUNTIME;
	}
	/* recovery goes on to its end unless a signal stopped the run */
	(void)recover_join(recovery);
	recovery = NULL;
	/* the writer returns only after every reader closed its queue */
	atomic_store(&ctl.stop, true);
	for (size_t i = 0; i < started; i++)
		input_join(inputs[i]);
	notify_finish();
	for (size_t i = 0; i < started; i++)
		if (input_failed(inputs[i]))
			status = EXIT_RUNTIME;
	if (started == opened)
		stats_final_report(&stats);
	else
		status = EXIT_RUNTIME;
out:
	if (recovery != NULL) {
		atomic_store(&ctl.stop, true);
		(void)recover_join(recovery);
	}
	control_finish(&ctl);
	if (inputs != NULL)
		for (size_t i = 0; i < cfg.ninputs; i++)
			input_destroy(inputs[i]);	/* NULL: not opened */
	free(inputs);
	if (stats_ok)
		stats_destroy(&stats);
	if (waiter_ok)
		queue_waiter_destroy(&waiter);
	/* hooks get a bounded time to finish, then we exit anyway */
	postrotate_destroy(hook, HOOK_WAIT_S);
	free(hook_path);
	free(pipeout_path);
	privs_user_free(&user);
	options_free_words(lzop_argv);
	options_free(&cfg);
	return status;
}
