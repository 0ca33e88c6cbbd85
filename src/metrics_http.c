/*
 * metrics_http.c - the --metrics-listen endpoint: libmicrohttpd with one
 * internal epoll thread, on a socket bound beforehand.
 *
 * DESIGN
 * - Threads: main binds (metrics_http_bind), starts (metrics_http_start)
 *   and stops (metrics_http_stop); libmicrohttpd's one polling thread
 *   runs answer(), which calls the text function, and does all socket
 *   I/O, non-blocking: a slow or silent client holds a connection slot
 *   until METRICS_HTTP_TIMEOUT_S, never the thread, and never a lock
 *   (the text function renders into memory and returns before anything
 *   is sent).  The capture threads never wait for this one.
 * - Bounds: METRICS_HTTP_CONNECTIONS at once, METRICS_HTTP_REQUEST_MAX
 *   bytes of memory per connection (libmicrohttpd answers 431 past it),
 *   request bodies ignored.
 * - GET /metrics: 200, text/plain; version=0.0.4.  Another method on
 *   /metrics: 405 with Allow: GET.  Any other path: 404.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "log.h"
#include "metrics_http.h"

#define CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	int			 fd;
	struct MHD_Daemon	*d;
	metrics_http_text_fn	*fn;
	void			*arg;
};

struct metrics_http *
metrics_http_bind(const struct options_listen *l, char *err, size_t errlen)
{
	struct metrics_http *h;
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1;
	char where[OPTIONS_ADDR_MAX + 16];

	snprintf(where, sizeof(where), l->v6 ? "[%s]:%u" : "%s:%u", l->addr,
	    (unsigned)l->port);
	memset(&ss, 0, sizeof(ss));
	if (l->v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l->port);
		(void)inet_pton(AF_INET6, l->addr, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(l->port);
		(void)inet_pton(AF_INET, l->addr, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		log_seterr(err, errlen, "--metrics-listen %s: out of memory",
		    where);
		return NULL;
	}
	h->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (h->fd < 0 ||
	    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) != 0 ||
	    (l->v6 && setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
	    sizeof(one)) != 0) ||
	    bind(h->fd, (struct sockaddr *)&ss, sl) != 0 ||
	    listen(h->fd, METRICS_HTTP_CONNECTIONS) != 0) {
		log_seterr(err, errlen, "--metrics-listen %s: cannot listen: "
		    "%s", where, strerror(errno));
		metrics_http_stop(h);
		return NULL;
	}
	return h;
}

/* A fixed answer (404, 405, 500) with a short body. */
static enum MHD_Result
answer_fixed(struct MHD_Connection *c, unsigned status, const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		(void)MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* libmicrohttpd's access handler (its thread). */
static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	static int seen;
	struct metrics_http *h = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *text;

	if (strcmp(url, "/metrics") != 0)
		return answer_fixed(c, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return answer_fixed(c, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "method not allowed\n");
	/* the first call has the headers only: answer on the next one,
	 * after any body (ignored) */
	if (*con_cls == NULL) {
		*con_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if ((text = h->fn(h->arg, &len)) == NULL)
		return answer_fixed(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    CONTENT_TYPE);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

int
metrics_http_start(struct metrics_http *h, metrics_http_text_fn *fn,
    void *arg, char *err, size_t errlen)
{
	h->fn = fn;
	h->arg = arg;
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL, 0, NULL, NULL, answer, h,
	    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)h->fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)METRICS_HTTP_REQUEST_MAX,
	    MHD_OPTION_END);
	if (h->d == NULL) {
		log_seterr(err, errlen, "--metrics-listen: cannot start the "
		    "HTTP server (libmicrohttpd)");
		return -1;
	}
	return 0;
}

void
metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	/* MHD_stop_daemon closes the listening socket it was given */
	if (h->d != NULL)
		MHD_stop_daemon(h->d);
	else if (h->fd >= 0)
		(void)close(h->fd);
	free(h);
}
