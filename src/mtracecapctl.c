/*
 * mtracecapctl.c - the control socket's client: mtracecapctl [-s PATH]
 * COMMAND [ARG...] sends one request line to a running mtracecap
 * (--control=PATH) and prints the answer.
 *
 * The words are joined with single blanks into the request, checked with
 * the daemon's own parser first (a bad command is a usage error here).
 * Answer lines go to standard output, the final "ok" is not printed, an
 * "error: MESSAGE" goes to standard error as "mtracecapctl: MESSAGE".
 * watch prints its blocks as they come (line-buffered) until the daemon
 * closes the connection or the client is ended.
 * Exit status: 0 ok, 1 an error answer or no connection, 2 usage.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlproto.h"
#include "ctlsock.h"

#define EXIT_ERROR	1
#define EXIT_USAGE	2

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: mtracecapctl [-s PATH] COMMAND [ARG...]\n"
"  -s PATH    the control socket (default " CTLSOCK_DEFAULT_PATH ")\n"
"Commands: status | stats | rotate | list | new NAME filter BPF |\n"
"  modify NAME BPF | stop NAME | show NAME | poll NAME | watch NAME SECONDS\n"
"Exit status: 0 ok, 1 an error answer or no connection, 2 usage.\n"
"See mtracecapctl(8).\n");
}

/* The words as one request line with its newline; 0, or -1 (too long). */
static int
join(char **w, int n, char *line, size_t len)
{
	size_t at = 0;

	for (int i = 0; i < n; i++) {
		size_t l = strlen(w[i]);

		if (at + l + 2 > len)
			return -1;
		if (i > 0)
			line[at++] = ' ';
		memcpy(line + at, w[i], l);
		at += l;
	}
	line[at++] = '\n';
	line[at] = '\0';
	return 0;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "mtracecapctl: socket path '%s' is too long\n",
		    path);
		return -1;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "mtracecapctl: cannot connect to '%s': %s\n",
		    path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Print the answer; the exit status.  A watch goes on after each "ok". */
static int
answer(int fd, const char *path, bool watch)
{
	FILE *in = fdopen(fd, "r");
	char line[64 * 1024];
	bool any = false;

	if (in == NULL) {
		fprintf(stderr, "mtracecapctl: %s\n", strerror(errno));
		close(fd);
		return EXIT_ERROR;
	}
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "ok") == 0) {
			any = true;
			if (!watch) {
				fclose(in);
				return 0;
			}
			fflush(stdout);
			continue;
		}
		if (strncmp(line, "error: ", 7) == 0) {
			fprintf(stderr, "mtracecapctl: %s\n", line + 7);
			fclose(in);
			return EXIT_ERROR;
		}
		if (printf("%s\n", line) < 0)
			break;
	}
	fclose(in);
	fprintf(stderr, "mtracecapctl: '%s' closed the connection%s\n", path,
	    any ? "" : " before the answer");
	return EXIT_ERROR;
}

int
main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CTLSOCK_DEFAULT_PATH;
	char line[CTLPROTO_LINE_MAX + 1], err[512];
	struct ctlproto_req req;
	int c, fd;

	/* + : the command's words are not options (a BPF may hold "-") */
	while ((c = getopt_long(argc, argv, "+s:h", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mtracecapctl: no command given\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (join(argv + optind, argc - optind, line, sizeof(line)) != 0 ||
	    ctlproto_parse(line, strlen(line) - 1, &req, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "mtracecapctl: %s\n", line[0] == '\0' ||
		    strchr(line, '\n') == NULL ? "request longer than 1023 "
		    "bytes" : err);
		return EXIT_USAGE;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((fd = connect_to(path)) < 0)
		return EXIT_ERROR;
	/* refused, mtracecap may close before the request is sent: its
	 * one line is there to read all the same */
	if (send_all(fd, line, strlen(line)) != 0 && errno != EPIPE &&
	    errno != ECONNRESET) {
		fprintf(stderr, "mtracecapctl: cannot send to '%s': %s\n", path,
		    strerror(errno));
		close(fd);
		return EXIT_ERROR;
	}
	return answer(fd, path, req.cmd == CTL_WATCH);
}
